"""Answers carry over: `engagement upgrade` moves an engagement to a new bank without losing a row,
and scores and trends read through the bank's retired ids."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import yaml

from dsm_assess.capture.upgrade import apply_upgrade, plan_upgrade
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.framework.model import read_framework
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.sqlite import open_store

ANSWER_COLUMNS = ["respondent", "rating", "na_reason", "confidence", "evidence", "comment"]


def load(root: Path):
    fw, problems = read_framework(root)
    assert fw is not None, problems
    return fw


def next_bank(questionnaires: Path) -> dict[str, object]:
    """Turn a copy of the bank into a later release that rewords one PR.INC criterion under a new
    id (same), splits one and drops one; returns the ids involved."""
    shutil.rmtree(questionnaires / "initiatives")
    meta = questionnaires / "bank" / "bank.yaml"
    meta.write_text(re.sub(r'version: "[^"]+"', 'version: "9.0.0"', meta.read_text()))
    path = questionnaires / "bank" / "subjects" / "PR.INC.yaml"
    data = yaml.safe_load(path.read_text())
    at = {lv: [c for c in data["criteria"] if f".L{lv}." in c["id"]] for lv in (2, 3, 4)}
    same, split, dropped = at[2][1], at[3][1], at[4][2]
    new_same = dict(same, id="PR.INC.L2.91", statement=same["statement"].replace(".", " (reworded)."))
    parts = [dict(split, id=f"PR.INC.L3.9{i}", statement=f"Part {i} of: {split['statement']}",
                  profiles=split.get("profiles", []) if i == 1 else []) for i in (1, 2)]
    data["criteria"] = [c for c in data["criteria"] if c["id"] not in {same["id"], split["id"], dropped["id"]}]
    data["criteria"] += [new_same, *parts]
    data["retired"] = [
        {"id": same["id"], "kind": "same", "replaced_by": [new_same["id"]], "since": "9.0.0", "reason": "Reworded."},
        {"id": split["id"], "kind": "split", "replaced_by": [p["id"] for p in parts], "since": "9.0.0",
         "reason": "Two requirements."},
        {"id": dropped["id"], "kind": "dropped", "since": "9.0.0", "reason": "No longer asked."},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return {"same": (same["id"], new_same["id"]), "split": (split["id"], [p["id"] for p in parts]),
            "dropped": dropped["id"]}


@pytest.fixture
def moved(fw, questionnaires, root):
    """Engagement `acme` answered on the shipped bank (full profile), and the later bank."""
    ids = next_bank(questionnaires)
    generate_engagement(fw, "acme", respondents=4, seed=7, profile="full", root=root, client="Acme Ltd")
    return load(questionnaires), ids


def history(root: Path, slug: str = "acme"):
    with open_store(engagement_dir(slug, root), slug) as st:
        return st.history(), st.consensus_history()


def upgrade(fw, root: Path, slug: str = "acme", dry_run: bool = False):
    eng = load_engagement(slug, root, fw)
    with open_store(engagement_dir(slug, root), slug) as st:
        plan = plan_upgrade(fw, eng, st)
        if not dry_run:
            apply_upgrade(fw, eng, st, plan, engagement_file(slug, root))
    return plan


def test_every_bank_1_criterion_is_still_asked_or_retired(fw, fw1):
    """A bank change never strands an answer: every id a 1.x engagement can hold means something today."""
    old = fw1
    stranded = [c.id for c in old.criteria if fw.successor(c.id)[0] == "unknown"]
    assert stranded == []


def test_reworded_answers_carry_over_equal_to_their_source(moved, root):
    new, ids = moved
    (old_id, new_id), (split_id, parts) = ids["same"], ids["split"]
    before, consensus_before = history(root)
    was = load_engagement("acme", root, new).bank_version
    plan = upgrade(new, root)
    after, consensus_after = history(root)
    # nothing stored is changed or removed: the old history is a prefix of the new one
    assert after.iloc[:len(before)].equals(before)
    assert consensus_after.iloc[:len(consensus_before)].equals(consensus_before)
    added = after.iloc[len(before):]
    assert set(added["source"]) == {"upgrade"} and set(added["criterion_id"]) == {new_id}
    current_old = before.sort_values("id").groupby("respondent").apply(
        lambda g: g[g["criterion_id"] == old_id].tail(1), include_groups=False)
    assert len(added) == len(current_old) == len(plan.carried) > 0
    for _, row in added.iterrows():
        source = before[(before["criterion_id"] == old_id) & (before["respondent"] == row["respondent"])].iloc[-1]
        assert row[ANSWER_COLUMNS].equals(source[ANSWER_COLUMNS].rename(row[ANSWER_COLUMNS].name))
    # split criteria are asked again of everyone who answered the old one; dropped ones stay in history
    answered_split = set(before.loc[before["criterion_id"] == split_id, "respondent"])
    assert set(plan.reask) == answered_split and all(set(v) == set(parts) for v in plan.reask.values())
    assert {c for _, c in plan.dropped} == {ids["dropped"]}
    data = yaml.safe_load(engagement_file("acme", root).read_text())
    assert (data["bank_version"], data["upgraded_from"]) == ("9.0.0", was) and was != "9.0.0"


def test_upgrade_twice_carries_nothing_more_and_dry_run_changes_nothing(moved, root):
    new, _ = moved
    yaml_before = engagement_file("acme", root).read_text()
    rows_before, _ = history(root)
    dry = upgrade(new, root, dry_run=True)
    assert engagement_file("acme", root).read_text() == yaml_before
    assert history(root)[0].equals(rows_before)
    first = upgrade(new, root)
    assert [a for _, a in first.carried] == [a for _, a in dry.carried]
    rows_after, _ = history(root)
    again = upgrade(new, root)
    assert again.carried == [] and again.consensus == []
    assert history(root)[0].equals(rows_after)


def test_scores_read_through_a_reworded_id_before_the_upgrade(fw, moved, root):
    """A `same` retirement asks the same thing: the score does not wait for the upgrade to count it."""
    new, ids = moved
    old_id, _ = ids["same"]
    on_old_bank = load_assessment("acme", root, fw=new)
    upgrade(new, root)
    after = load_assessment("acme", root, fw=new)
    a = on_old_bank.scores.criteria.set_index("id")
    b = after.scores.criteria.set_index("id")
    new_id = ids["same"][1]
    assert a.loc[new_id, "answers"] == b.loc[new_id, "answers"] > 0
    assert a.loc[new_id, "rating"] == b.loc[new_id, "rating"]
    assert old_id not in a.index
    inc = on_old_bank.scores.subjects.set_index("id").loc["PR.INC", ["level", "score"]]
    assert inc.equals(after.scores.subjects.set_index("id").loc["PR.INC", ["level", "score"]])


def test_export_prefill_after_an_upgrade_asks_only_what_is_new_or_split(cli, moved, root, tmp_path):
    new, ids = moved
    questionnaires = tmp_path / "questionnaires"
    res = cli("engagement", "upgrade", "acme", "--root", root, "--questionnaires", questionnaires)
    assert res.exit_code == 0, res.output
    assert "to ask again (replaced, split or merged)" in res.output
    eng = load_engagement("acme", root, new)
    with open_store(engagement_dir("acme", root), "acme") as st:
        answers = st.current_answer_objects()
    split_id, parts = ids["split"]
    who = next(r.email for r in eng.respondents if split_id in answers.get(r.email, {}))
    open_now = set(eng.criteria_for(new, eng.respondent(who))) - set(answers[who])
    out = tmp_path / "out"
    res = cli("questionnaire", "export", "acme", "--prefill", "--respondent", who, "--out-dir", out,
              "--root", root, "--questionnaires", questionnaires)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(next(out.glob("*.xlsx")))
    asked = {row[0].value: row for ws in wb.worksheets[1:] if ws.title.startswith(("PR.", "DSM."))
             for row in ws.iter_rows(min_row=4) if row[0].value}
    # only what is open: the split parts, and anything this respondent never answered at all
    assert set(asked) == open_now and set(parts) <= open_now
    never = {c for c in open_now if c not in parts}
    assert all(new.successor(c)[0] == "current" for c in never)
    hint = asked[parts[0]]
    assert any(isinstance(c.value, str) and f"question this replaces: {split_id}:" in c.value for c in hint)


def test_successor_follows_every_later_retirement(fw, questionnaires):
    """Chains combine to the strongest change: same then same is same; same then split is split."""
    path = questionnaires / "bank" / "subjects" / "PR.INC.yaml"
    data = yaml.safe_load(path.read_text())
    first, second = data["criteria"][0], data["criteria"][1]
    a, b = first["id"], second["id"]
    data["criteria"] = [c for c in data["criteria"] if c["id"] not in (a, b)]
    data["criteria"] += [dict(first, id="PR.INC.L2.93"), dict(second, id="PR.INC.L2.95", statement="One."),
                         dict(second, id="PR.INC.L2.96", statement="Two.")]
    data["retired"] = [
        {"id": a, "kind": "same", "replaced_by": ["PR.INC.L2.92"], "since": "2.0.0", "reason": "Reworded."},
        {"id": "PR.INC.L2.92", "kind": "same", "replaced_by": ["PR.INC.L2.93"], "since": "3.0.0", "reason": "Again."},
        {"id": b, "kind": "replaced", "replaced_by": ["PR.INC.L2.94"], "since": "2.0.0", "reason": "New question."},
        {"id": "PR.INC.L2.94", "kind": "split", "replaced_by": ["PR.INC.L2.95", "PR.INC.L2.96"], "since": "3.0.0",
         "reason": "Two parts."},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    shutil.rmtree(questionnaires / "initiatives")
    new = load(questionnaires)
    assert new.successor(a) == ("same", ("PR.INC.L2.93",))
    assert new.same_as[a] == "PR.INC.L2.93"
    assert new.successor(b) == ("split", ("PR.INC.L2.95", "PR.INC.L2.96"))
    assert new.successor("PR.INC.L2.93") == ("current", ("PR.INC.L2.93",))
    assert new.successor("PR.XYZ.L2.01") == ("unknown", ())
    kept = next(c.id for c in new.criteria if c.subject == "PR.CHG")
    assert new.changed_subjects([a, b, kept]) == {"PR.INC": [b]}


def test_upgrade_json_and_dry_run(cli, moved, root, tmp_path):
    _, ids = moved
    q = tmp_path / "questionnaires"
    res = cli("engagement", "upgrade", "acme", "--dry-run", "--json", "--root", root, "--questionnaires", q)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["dry_run"] is True and data["to"] == "9.0.0"
    assert {c["to"] for c in data["carried"]} == {ids["same"][1]}
    assert all(set(v) == set(ids["split"][1]) for v in data["reask"].values())


def test_compare_across_bank_versions_marks_changed_subjects(cli, fw, moved, root, tmp_path):
    """An assessment on the old bank compared with one on the new: the split subject is not comparable."""
    new, ids = moved
    generate_engagement(new, "acme-2027", respondents=3, seed=8, profile="full", root=root, client="Acme Ltd")
    q = tmp_path / "questionnaires"
    res = cli("score", "acme-2027", "--compare", "acme", "--json", "--root", root, "--questionnaires", q)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["trend_not_comparable"] == {"PR.INC": sorted([ids["split"][0], ids["dropped"]])}
    assert any("PR.INC is not comparable" in n for n in data["trend_notes"])
    rows = {r["id"]: r for r in data["trend"]}
    assert rows["PR.INC"]["comparable"] is False and rows["PR.CHG"]["comparable"] is True


def test_a_bank_1_engagement_upgrades_to_the_current_bank_without_loss(fw, fw1, root):
    old = fw1
    generate_engagement(old, "legacy", respondents=3, seed=3, profile="full", root=root, client="Legacy plc")
    before, _ = history(root, "legacy")
    plan = upgrade(fw, root, "legacy")
    after, _ = history(root, "legacy")
    assert after.iloc[:len(before)].equals(before)
    assert upgrade(fw, root, "legacy").carried == []  # nothing left to carry
    for old_id, a in plan.carried:
        src = before[(before["criterion_id"] == old_id) & (before["respondent"] == a.respondent)].iloc[-1]
        assert (src["rating"], src["comment"] or None) == (a.rating, a.comment or None)
        assert fw.successor(old_id) == ("same", (a.criterion_id,))
    scores = load_assessment("legacy", root, fw=fw).scores
    assert len(scores.subjects) == 41
    assert load_engagement("legacy", root, fw).bank_version == fw.bank_version


def test_the_demo_engagement_answered_on_bank_2_0_upgrades_and_still_scores(fw, fw2, tmp_path):
    """The demo's data made on bank 2.0, imported, then moved to the current bank. (An engagement
    answered on 1.x upgrades through 2.0's retirements: test_a_bank_1_engagement_upgrades_...)"""
    from dsm_assess.demo.data import ROUNDS, make_round
    from dsm_assess.demo.run import prepare

    old = fw2
    root = tmp_path / "engagements"
    rnd = next(r for r in ROUNDS if r.slug == "demo")
    make_round(old, rnd, root)
    prepare(old, "demo", root)
    before, consensus_before = history(root, "demo")
    with open_store(engagement_dir("demo", root), "demo") as st:
        current = st.current_answer_objects()
    # read on the old bank before the upgrade: afterwards a kit on it refuses the engagement (newer bank)
    before_scores = load_assessment("demo", root, fw=old).scores.subjects.set_index("id")
    e1 = load_engagement("demo", root, old)
    plan = upgrade(fw, root, "demo")
    after, consensus_after = history(root, "demo")
    assert after.iloc[:len(before)].equals(before) and consensus_after.iloc[:len(consensus_before)].equals(
        consensus_before)
    assert plan.carried and plan.reask  # the bank change touches the demo's answers both ways
    for old_id, a in plan.carried:  # every field as the respondent gave it, on the new id
        assert replace(current[a.respondent][old_id], criterion_id=a.criterion_id) == a
    # it still scores; a subject whose questions the bank change only renamed or re-levelled as the
    # same question keeps its level and score exactly
    after_scores = load_assessment("demo", root, fw=fw).scores.subjects.set_index("id")
    e2 = load_engagement("demo", root, fw)

    def asked_today(cid):
        kind, ids = fw.successor(cid)
        return set(ids) if kind in ("current", "same") else {None}

    untouched = [s.id for s in fw.subjects
                 if set().union(*(asked_today(i) for i in e1.criteria_for(old) if i.startswith(s.id + "."))) ==
                 {i for i in e2.criteria_for(fw) if i.startswith(s.id + ".")}]
    assert untouched
    cols = ["level", "score"]
    assert after_scores.loc[untouched, cols].equals(before_scores.loc[untouched, cols])
    assert len(after_scores) == 41 and after_scores["level"].notna().sum() > 41 / 2
