"""Synthetic engagements for tests, demos and benchmarks."""

from __future__ import annotations

import json

from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.store.sqlite import open_store


def _answers(root, slug):
    with open_store(engagement_dir(slug, root)) as store:
        return store.current_answers()


def test_generator_is_deterministic_and_plausible(fw, root):
    generate_engagement(fw, "one", respondents=4, seed=7, root=root)
    generate_engagement(fw, "two", respondents=4, seed=7, root=root)
    generate_engagement(fw, "three", respondents=4, seed=8, root=root)
    a, b, c = _answers(root, "one"), _answers(root, "two"), _answers(root, "three")
    assert a.equals(b) and not a["rating"].equals(c["rating"])
    assert set(a["rating"]) == {"N", "P", "L", "F", "NA", "DK"}
    assert a.loc[a["rating"] == "NA", "na_reason"].notna().all()
    assert a["evidence"].notna().any()
    steps = a[a["rating"].isin(list("NPLF"))].assign(step=lambda d: d["rating"].astype(str).map("NPLF".index))
    spread = steps.groupby("criterion_id")["step"].agg(lambda s: s.max() - s.min())
    assert (spread >= 2).any()  # some respondents disagree
    assert steps.groupby("criterion_id").size().max() >= 2
    eng = load_engagement("one", root, fw)
    assert len(eng.respondents) == 4 and len({r.email for r in eng.respondents}) == 4


def test_generate_cli(cli, root):
    result = cli("engagement", "generate", "demo-x", "--respondents", "3", "--seed", "2", "--root", root)
    assert result.exit_code == 0
    data = json.loads(cli("status", "demo-x", "--root", root, "--json").stdout)
    assert len(data["respondents"]) == 3
    assert all(r["answered"] > 0 for r in data["respondents"])
    again = cli("engagement", "generate", "demo-x", "--root", root)
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_every_respondent_has_subjects_however_many_there_are(fw, root):
    # 41 subjects: respondents after the 41st once got an empty list, which silently meant everything.
    eng = generate_engagement(fw, "crowd", respondents=100, seed=1, profile="quick-scan", root=root)
    subject_lists = [r.subjects for r in eng.respondents]
    assert len(subject_lists) == 100 and all(len(s) == 2 for s in subject_lists)
    answered_by = {s.id: sum(s.id in own for own in subject_lists) for s in fw.subjects}
    assert min(answered_by.values()) >= 2
    with open_store(engagement_dir("crowd", root)) as store:
        answers = store.current_answers()
    assert answers.groupby("respondent").size().max() == 8  # two subjects x four quick-scan levels
