"""Scoring: every formula against values computed by hand in the test, plus properties."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsm_assess.engagement import Engagement, Respondent, Target
from dsm_assess.scoring import compare, score_engagement
from dsm_assess.whatif import WhatIf

INC = [f"PR.INC.L{lv}.{n:02d}" for lv in (2, 3, 4, 5) for n in (1, 2, 3)]


def engagement(fw, scope=("PR.INC",), **kw) -> Engagement:
    return Engagement(slug="t", client="T", assessment_date="2026-01-01", bank_version=fw.bank_version,
                      profile="full", scope=list(scope),
                      respondents=[Respondent(name=f"R{i}", email=f"r{i}@t.example.com", role="x") for i in range(4)],
                      **kw)


def answers(*rows) -> pd.DataFrame:
    """rows: (respondent number, criterion id, rating[, evidence[, confidence]])."""
    out = []
    for r in rows:
        resp, cid, rating, *rest = r
        out.append({"respondent": f"r{resp}@t.example.com", "criterion_id": cid, "rating": rating,
                    "na_reason": "n/a here" if rating == "NA" else None,
                    "evidence": rest[0] if rest else None, "confidence": rest[1] if len(rest) > 1 else None})
    return pd.DataFrame(out, columns=["respondent", "criterion_id", "rating", "na_reason", "evidence", "confidence"])


def by_level(l2, l3, l4, l5, resp=0):
    """One respondent rating PR.INC's 12 criteria, three letters per level."""
    ratings = l2 + l3 + l4 + l5
    return answers(*[(resp, cid, r) for cid, r in zip(INC, ratings, strict=True) if r != "-"])


NO_CONSENSUS = pd.DataFrame(columns=["criterion_id", "rating"])


def score(fw, ans, consensus=NO_CONSENSUS, eng=None, what_if=None):
    return score_engagement(fw, eng or engagement(fw), ans, consensus, what_if)


def subject(scores, sid="PR.INC") -> dict:
    return scores.subjects.set_index("id").loc[sid].to_dict()


def crit(scores, cid) -> dict:
    return scores.criteria.set_index("id").loc[cid].to_dict()


# ---- per criterion ----------------------------------------------------------------------------

@pytest.mark.parametrize("ratings, expected", [
    ("LF", "L"), ("NLF", "L"), ("PPFF", "P"), ("F", "F"), ("NF", "N"), ("FFFL", "F"), ("NPLF", "P")])
def test_aggregate_is_the_lower_median(fw, ratings, expected):
    s = score(fw, answers(*[(i, INC[0], r) for i, r in enumerate(ratings)]))
    assert crit(s, INC[0])["rating"] == expected


def test_spread_dispersion_and_disagreement(fw):
    s = score(fw, answers((0, INC[0], "N"), (1, INC[0], "F"), (0, INC[1], "P"), (1, INC[1], "L"),
                          (0, INC[2], "P", None, 2), (1, INC[2], "F", None, 5)))
    a, b, c = crit(s, INC[0]), crit(s, INC[1]), crit(s, INC[2])
    assert (a["spread"], a["dispersion"], a["disagreement"]) == (3, 1.5, True)   # steps 0 and 3
    assert (b["spread"], b["dispersion"], b["disagreement"]) == (1, 0.5, False)  # steps 1 and 2
    assert (c["spread"], c["disagreement"], c["mean_confidence"]) == (2, True, 3.5)
    assert crit(s, INC[3])["answers"] == 0 and crit(s, INC[3])["status"] == "no data"


def test_consensus_overrides_a_split_vote(fw):
    cons = pd.DataFrame([{"criterion_id": INC[0], "rating": "L"}])
    s = score(fw, answers((0, INC[0], "N"), (1, INC[0], "F")), cons)
    c = crit(s, INC[0])
    assert (c["rating"], c["consensus_applied"], c["disagreement"]) == ("L", True, True)


def test_consensus_na_and_dk(fw):
    cons = pd.DataFrame([{"criterion_id": INC[0], "rating": "NA"}, {"criterion_id": INC[1], "rating": "DK"}])
    s = score(fw, answers((0, INC[0], "F"), (0, INC[1], "F")), cons)
    assert crit(s, INC[0])["status"] == "n/a" and crit(s, INC[1])["status"] == "no data"


def test_na_answers_beside_ratings_are_ignored(fw):
    s = score(fw, answers((0, INC[0], "NA"), (1, INC[0], "P"), (0, INC[1], "NA"), (1, INC[1], "DK")))
    assert crit(s, INC[0])["rating"] == "P"
    assert crit(s, INC[1])["status"] == "n/a" and crit(s, INC[1])["dk"] == 1


def test_unsupported_means_l_or_f_with_no_evidence_from_anyone(fw):
    s = score(fw, answers((0, INC[0], "F"), (0, INC[1], "F"), (1, INC[1], "P", "Report"), (0, INC[2], "P"),
                          (0, INC[3], "L", "  ")))
    assert [crit(s, c)["unsupported"] for c in INC[:4]] == [True, False, False, True]


# ---- per subject: the two views ----------------------------------------------------------------

def test_everything_fully_achieved(fw):
    s = subject(score(fw, by_level("FFF", "FFF", "FFF", "FFF")))
    assert (s["level"], s["score"], s["coverage"]) == (5, 5.0, 1.0)


def test_level_2_largely_achieved_only(fw):
    s = subject(score(fw, by_level("LLL", "NNN", "NNN", "NNN")))
    assert s["level"] == 2 and s["score"] == pytest.approx(1 + 0.7)


def test_worked_example_from_the_methodology(fw):
    s = subject(score(fw, by_level("FFF", "FLF", "LLL", "NNN")))
    assert s["level"] == 3 and s["score"] == pytest.approx(1 + 1.0 + (1 + 0.7 + 1) / 3 + 0.7 + 0.0)


def test_level_3_failing_while_level_4_is_fully_met(fw):
    s = subject(score(fw, by_level("FFF", "FNF", "FFF", "NNN")))
    assert s["level"] == 2
    assert s["score"] == pytest.approx(1 + 1 + 2 / 3 + 1 + 0)


def test_level_2_needs_only_largely_but_level_3_needs_level_2_fully(fw):
    assert subject(score(fw, by_level("LLF", "FFF", "FFF", "FFF")))["level"] == 2
    assert subject(score(fw, by_level("FFF", "LLL", "LLL", "LLL")))["level"] == 3


def test_missing_answer_blocks_the_gate_but_not_the_mean(fw):
    s = subject(score(fw, by_level("FF-", "FFF", "FFF", "FFF")))
    assert s["level"] == 1 and s["score"] == pytest.approx(5.0) and s["coverage"] == pytest.approx(11 / 12)


def test_na_level_does_not_hold_the_subject_back(fw):
    ans = pd.concat([by_level("FFF", "---", "FFF", "FFF"), answers(*[(0, c, "NA") for c in INC[3:6]])])
    s = subject(score(fw, ans))
    assert (s["level"], s["score"]) == (5, 5.0)
    assert s["na_criteria"] == INC[3:6]


def test_all_na_is_insufficient_data(fw):
    s = subject(score(fw, answers(*[(0, c, "NA") for c in INC])))
    assert s["insufficient"] and pd.isna(s["level"]) and pd.isna(s["score"])
    assert s["na_criteria"] == INC


def test_all_dont_know_is_insufficient_data_not_level_1(fw):
    s = subject(score(fw, answers(*[(0, c, "DK") for c in INC])))
    assert s["insufficient"] and pd.isna(s["level"]) and s["coverage"] == 0


def test_coverage_threshold_is_half(fw):
    five = answers(*[(0, c, "F") for c in INC[:5]], *[(0, c, "DK") for c in INC[5:]])
    six = answers(*[(0, c, "F") for c in INC[:6]], *[(0, c, "DK") for c in INC[6:]])
    assert subject(score(fw, five))["insufficient"]
    s = subject(score(fw, six))
    assert not s["insufficient"] and s["coverage"] == 0.5
    assert s["level"] == 3 and s["score"] == pytest.approx(1 + 1 + 1 + 0 + 0)


def test_one_respondent_is_enough(fw):
    s = score(fw, by_level("FFF", "PPP", "NNN", "NNN", resp=3))
    assert subject(s)["level"] == 2 and subject(s)["score"] == pytest.approx(2.3)
    assert s.criteria["answers"].max() == 1 and not s.criteria["disagreement"].any()


# ---- targets, gaps, priorities ----------------------------------------------------------------

def test_target_derived_from_business_context(fw):
    eng = engagement(fw, scope=("PR.INC", "PR.SLM"), business_context={"CAP.OPERATE": 5, "CAP.INVEST": 2})
    ans = pd.concat([by_level("NNN", "NNN", "NNN", "NNN"),
                     answers(*[(0, f"PR.SLM.L{lv}.{n:02d}", "F") for lv in (2, 3, 4, 5) for n in (1, 2, 3)])])
    s = score(fw, ans, eng=eng)
    inc, slm = subject(s), subject(s, "PR.SLM")
    assert (inc["demand"], inc["target"], inc["target_source"]) == (5, 4, "derived")
    # PR.SLM supports only CAP.COCREATE, which is not rated: median of 5 and 2, rounded down, is 3.
    assert (slm["demand"], slm["target"]) == (3, 3)
    assert (inc["level"], inc["gap"], inc["priority_score"], inc["priority"]) == (1, 3, 15.0, "High")
    assert (slm["level"], slm["gap"], slm["over_maturity"], slm["priority"]) == (5, -2, True, None)


@pytest.mark.parametrize("level_ratings, demand, gap, priority_score, band", [
    (("LLL", "NNN", "NNN", "NNN"), 4, 2, 8 * 0.8, "High"),     # level 2, target 4
    (("FFF", "LLL", "NNN", "NNN"), 5, 1, 3.0, "Medium"),       # level 3, target 4
    (("FFF", "LLL", "NNN", "NNN"), 3, 0, None, None),          # level 3, target 3
])
def test_priority_grows_faster_than_the_gap(fw, level_ratings, demand, gap, priority_score, band):
    eng = engagement(fw, business_context={"CAP.OPERATE": demand})
    s = subject(score(fw, by_level(*level_ratings), eng=eng))
    assert s["gap"] == gap and s["priority"] == band
    assert (s["priority_score"] == pytest.approx(priority_score)) if priority_score else pd.isna(s["priority_score"])


def test_low_priority_band(fw):
    eng = engagement(fw, business_context={"CAP.OPERATE": 3})
    s = subject(score(fw, by_level("LLL", "NNN", "NNN", "NNN"), eng=eng))   # level 2, target 3
    assert (s["gap"], s["priority_score"], s["priority"]) == (1, pytest.approx(1.8), "Low")


def test_manual_target_overrides_derived_and_keeps_its_reason(fw):
    eng = engagement(fw, business_context={"CAP.OPERATE": 5},
                     targets={"PR.INC": Target(level=2, reason="Outsourced next year")})
    s = subject(score(fw, by_level("FFF", "FFF", "NNN", "NNN"), eng=eng))
    assert (s["target"], s["target_source"], s["target_reason"]) == (2, "manual", "Outsourced next year")
    assert (s["gap"], s["over_maturity"]) == (-1, True)


def test_no_context_no_target(fw):
    s = subject(score(fw, by_level("FFF", "FFF", "NNN", "NNN")))
    assert pd.isna(s["target"]) and pd.isna(s["gap"]) and s["priority"] is None and not s["over_maturity"]


# ---- roll-ups ---------------------------------------------------------------------------------

def test_value_chain_weights_practices_by_contribution(fw):
    eng = engagement(fw, scope=("PR.INC", "PR.SLM"))
    ans = pd.concat([by_level("FFF", "FFF", "FFF", "FFF"),
                     answers(*[(0, f"PR.SLM.L{lv}.{n:02d}", "L" if lv == 2 else "N")
                               for lv in (2, 3, 4, 5) for n in (1, 2, 3)])])
    s = score(fw, ans, eng=eng)
    vc = s.value_chain.set_index("activity")["score"]
    # PR.INC 5.0, PR.SLM 1.7. Engage: both high. Plan: only SLM (INC none). Improve: both medium.
    assert vc["engage"] == pytest.approx((2 * 5 + 2 * 1.7) / 4)
    assert vc["plan"] == pytest.approx(1.7)
    assert vc["improve"] == pytest.approx((5 + 1.7) / 2)
    groups = s.groups.set_index("group")
    assert groups.loc["service", "score"] == pytest.approx((5 + 1.7) / 2) and groups.loc["service", "subjects"] == 2


def test_area_combined_score_includes_linked_practice_criteria(fw):
    eng = engagement(fw, scope=("PR.INC", "DSM.TOOLS"))
    tools = [f"DSM.TOOLS.L{lv}.{n:02d}" for lv in (2, 3, 4, 5) for n in (1, 2, 3)]
    s = score(fw, pd.concat([by_level("NNN", "NNN", "NNN", "NNN"), answers(*[(0, c, "F") for c in tools])]),
              eng=eng)
    linked = {lv: sum(1 for c in fw.criteria if c.subject == "PR.INC" and c.level == lv and "DSM.TOOLS" in c.informs)
              for lv in (2, 3, 4, 5)}
    expected = 1 + sum(3 / (3 + linked[lv]) for lv in (2, 3, 4, 5))  # own criteria F, linked ones N
    row = s.areas.set_index("id").loc["DSM.TOOLS"]
    assert row["own_score"] == 5.0 and row["linked_criteria"] == sum(linked.values())
    assert row["combined_score"] == pytest.approx(expected)


def test_dimension_scores(fw):
    s = score(fw, by_level("FFF", "FFF", "FFF", "FFF"))
    dims = s.dimensions.set_index("id")["score"]
    present = {c.dimension for c in fw.criteria if c.subject == "PR.INC"}
    assert all(dims[d] == 5.0 for d in present)


def test_headline(fw):
    eng = engagement(fw, scope=("PR.INC", "PR.SLM"), business_context={"CAP.OPERATE": 5, "CAP.COCREATE": 3})
    ans = pd.concat([by_level("NNN", "NNN", "NNN", "NNN"),
                     answers((0, "PR.SLM.L2.01", "N"), (1, "PR.SLM.L2.01", "F"))])
    h = score(fw, ans, eng=eng).headline
    assert (h["subjects"], h["scored"], h["insufficient"]) == (2, 1, 1)
    assert h["score"] == 1.0 and h["below_target"] == 1 and h["priorities"] == {"High": 1, "Medium": 0, "Low": 0}
    assert h["disagreements"] == 1


# ---- what-if and trend ------------------------------------------------------------------------

def test_what_if_changes_targets_na_and_consensus_in_memory(fw):
    ans = by_level("FFF", "FNF", "FFF", "NNN")
    base = subject(score(fw, ans))
    what = WhatIf(targets={"PR.INC": Target(level=4, reason="try")}, consensus={INC[4]: "F"},
                  na={INC[9]: "not for us"})
    s = score(fw, ans, what_if=what)
    assert base["level"] == 2 and subject(s)["level"] == 4  # INC.L3.02 now F; L5.01 N/A
    assert subject(s)["target"] == 4 and subject(s)["gap"] == 0
    assert crit(s, INC[9])["status"] == "n/a"


def test_trend_between_assessments(fw):
    before = score(fw, by_level("LLL", "NNN", "NNN", "NNN"))
    after = score(fw, by_level("FFF", "LLL", "NNN", "NNN"))
    t = compare(before, after).set_index("id").loc["PR.INC"]
    assert t["score_change"] == pytest.approx(2.7 - 1.7) and t["level_change"] == 1


def test_trend_matches_criteria_by_id_and_lists_the_rest(fw):
    before = score(fw, by_level("FFF", "FFF", "NNN", "NNN"))
    after = score(fw, pd.concat([by_level("FFF", "FFF", "FFF", "NNN"),
                                 answers((0, "PR.SLM.L2.01", "F"))]), eng=engagement(fw, scope=("PR.INC", "PR.SLM")))
    trend = compare(before, after)
    assert trend.attrs["criteria_added"] == [f"PR.SLM.L{lv}.{n:02d}" for lv in (2, 3, 4, 5) for n in (1, 2, 3)]
    assert trend.attrs["criteria_dropped"] == []
    inc = trend.set_index("id").loc["PR.INC"]
    assert inc["score_change"] == pytest.approx(4.0 - 3.0) and inc["level_change"] == 4 - 3


# ---- properties -------------------------------------------------------------------------------

RATING = st.sampled_from(["N", "P", "L", "F", "NA", "DK"])
ANSWER_SETS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(INC), RATING), min_size=1, max_size=30,
                       unique_by=lambda t: (t[0], t[1]))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(rows=ANSWER_SETS, pick=st.integers(0, 29))
def test_raising_any_one_answer_never_lowers_score_or_level(fw, rows, pick):
    i = pick % len(rows)
    resp, cid, rating = rows[i]
    assume(rating in ("N", "P", "L"))
    raised = list(rows)
    raised[i] = (resp, cid, "NPLF"["NPLF".index(rating) + 1])
    a, b = subject(score(fw, answers(*rows))), subject(score(fw, answers(*raised)))
    assert a["insufficient"] == b["insufficient"]
    if not a["insufficient"]:
        assert b["score"] >= a["score"] - 1e-9 and b["level"] >= a["level"]


@FAST
@given(rows=ANSWER_SETS, order=st.permutations(range(3)))
def test_reordering_respondents_changes_nothing(fw, rows, order):
    renamed = [(order[r], cid, rating) for r, cid, rating in rows]
    a = score(fw, answers(*rows)).subjects
    b = score(fw, answers(*reversed(renamed))).subjects
    pd.testing.assert_frame_equal(a, b)


@FAST
@given(rows=ANSWER_SETS)
def test_gated_level_never_exceeds_what_the_score_allows(fw, rows):
    s = subject(score(fw, answers(*rows)))
    if not s["insufficient"]:
        assert s["level"] <= s["score"] + 0.3 + 1e-9


# ---- the command ------------------------------------------------------------------------------

def test_score_json_interface(cli, fw, root):
    cli("engagement", "generate", "acme", "--respondents", "3", "--seed", "5", "--root", root)
    result = cli("score", "acme", "--format", "json", "--root", root)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["subjects"]) == 41 and len(data["criteria"]) == len(fw.criteria)
    for s in data["subjects"]:
        assert {"id", "kind", "level", "score", "target", "gap", "priority", "over_maturity"} <= set(s)
        assert s["kind"] in ("practice", "area") and (s["level"] is None or 1 <= s["level"] <= 5)
        assert s["priority"] in ("High", "Medium", "Low", None) and isinstance(s["over_maturity"], bool)
    for c in data["criteria"]:
        assert {"id", "rating", "answers", "spread", "disagreement", "unsupported"} <= set(c)


def test_score_what_if_leaves_the_store_untouched(cli, root, tmp_path):
    from dsm_assess.store import open_store

    cli("engagement", "generate", "acme", "--respondents", "2", "--seed", "5", "--root", root)
    with open_store(root / "acme") as store:
        before = (store.count("answers"), store.count("consensus"), store.count("audit"))
    plan = tmp_path / "what-if.yaml"
    plan.write_text("targets:\n  PR.INC: {level: 5, reason: board ambition}\nconsensus:\n  PR.INC.L2.01: F\n")
    data = json.loads(cli("score", "acme", "--format", "json", "--what-if", plan, "--root", root).stdout)
    inc = next(s for s in data["subjects"] if s["id"] == "PR.INC")
    assert inc["target"] == 5 and inc["target_source"] == "manual"
    with open_store(root / "acme") as store:
        assert (store.count("answers"), store.count("consensus"), store.count("audit")) == before
    plan.write_text("targets:\n  PR.INC: 2\n")
    data = json.loads(cli("score", "acme", "--format", "json", "--what-if", plan, "--root", root).stdout)
    inc = next(s for s in data["subjects"] if s["id"] == "PR.INC")
    assert (inc["target"], inc["target_reason"]) == (2, "what-if")
    plan.write_text("consensus:\n  PR.INC.L2.01: maybe\ntargets:\n  PR.NOPE: {level: 3, reason: x}\n")
    bad = cli("score", "acme", "--what-if", plan, "--root", root)
    assert bad.exit_code == 1 and "what-if.yaml:2: consensus.PR.INC.L2.01: input should be 'N'" in bad.stderr
    plan.write_text("targets:\n  PR.NOPE: {level: 3, reason: x}\nna:\n  PR.INC.L9.01: gone\n")
    bad = cli("score", "acme", "--what-if", plan, "--root", root)
    assert "what-if.yaml:2: targets.PR.NOPE: unknown subject 'PR.NOPE'" in bad.stderr
    assert "na.PR.INC.L9.01: unknown criterion" in bad.stderr


def test_score_table_and_csv(cli, root, tmp_path):
    cli("engagement", "generate", "acme", "--respondents", "2", "--seed", "5", "--root", root)
    table = cli("score", "acme", "--root", root).stdout
    assert table.splitlines()[0].split() == ["subject", "name", "level", "score", "target", "gap", "priority"]
    assert "Incident management" in table and "subjects scored" in table
    paths = cli("score", "acme", "--format", "csv", "--out-dir", tmp_path, "--root", root).stdout.split()
    assert [p.rsplit("-", 1)[1] for p in paths] == [
        "subjects.csv", "criteria.csv", "groups.csv", "value_chain.csv", "areas.csv", "dimensions.csv"]
    assert len(pd.read_csv(paths[0])) == 41


def test_score_compare_with_an_earlier_assessment(cli, root):
    cli("engagement", "generate", "acme", "--respondents", "2", "--seed", "5", "--pattern", "struggling",
        "--root", root)
    cli("engagement", "generate", "acme-2027", "--respondents", "2", "--seed", "6", "--pattern", "mature",
        "--root", root)
    data = json.loads(cli("score", "acme-2027", "--compare", "acme", "--format", "json", "--root", root).stdout)
    before = {s["id"]: s["score"] for s in json.loads(cli("score", "acme", "--format", "json", "--root", root).stdout)
              ["subjects"]}
    now = {s["id"]: s["score"] for s in data["subjects"]}
    trend = {t["id"]: t for t in data["trend"]}
    assert set(trend) == set(now)
    for sid, t in trend.items():
        if before[sid] is not None and now[sid] is not None:
            assert t["score_change"] == pytest.approx(now[sid] - before[sid], abs=1e-3)
    assert sum(t["score_change"] > 0 for t in trend.values() if t["score_change"] is not None) > 30
    assert data["trend_criteria"] == {"added": [], "dropped": []}  # both assessed the full bank
    text = cli("score", "acme-2027", "--compare", "acme", "--root", root).stdout
    assert "trend against acme:" in text


def test_consensus_recorded_in_the_store_takes_precedence_in_scoring(cli, root):
    cli("engagement", "generate", "acme", "--respondents", "3", "--seed", "4", "--root", root)
    before = {c["id"]: c for c in json.loads(cli("score", "acme", "--format", "json", "--root", root).stdout)
              ["criteria"]}
    target = next(cid for cid, c in before.items() if c["rating"] in ("N", "P"))
    assert cli("consensus", "set", "acme", target, "F", "--rationale", "Evidence reviewed", "--root", root) \
        .exit_code == 0
    after = {c["id"]: c for c in json.loads(cli("score", "acme", "--format", "json", "--root", root).stdout)
             ["criteria"]}
    assert (after[target]["rating"], after[target]["consensus_applied"]) == ("F", True)
    assert before[target]["consensus_applied"] is False


def test_score_many_equals_score_engagement_in_every_view(fw, root):
    from dsm_assess.generate import generate_engagement
    from dsm_assess.scoring import score_many
    from dsm_assess.store import open_store
    engs, frames, cons = [], [], []
    for i, (pattern, profile) in enumerate((("typical", "full"), ("mature", "quick-scan"), ("uneven", "full"))):
        eng = generate_engagement(fw, f"e{i}", respondents=3 + i, seed=i, pattern=pattern, profile=profile,
                                  root=root)
        eng.targets = {"PR.INC": Target(level=5, reason="critical")} if i == 1 else {}
        with open_store(root / eng.slug) as store:
            store.set_consensus("PR.SLM.L2.01", "NA" if i else "F", "agreed")
            ans, c = store.scoring_answers(), store.consensus()
        engs.append(eng)
        frames.append(ans.assign(engagement=eng.slug))
        cons.append(c.assign(engagement=eng.slug))
    many = score_many(fw, engs, pd.concat(frames, ignore_index=True), pd.concat(cons, ignore_index=True))
    for eng, ans, c in zip(engs, frames, cons, strict=True):
        one = score_engagement(fw, eng, ans.drop(columns="engagement"), c.drop(columns="engagement"))
        part = many.for_engagement(eng.slug)
        for table in (*one.TABLES, "headlines"):
            pd.testing.assert_frame_equal(getattr(part, table), getattr(one, table), check_categorical=False,
                                          obj=f"{eng.slug} {table}")
        assert part.headline == one.headline
    assert many.subjects.groupby("engagement", observed=True).size().tolist() == [41, 41, 41]
