"""The executive report's point of view: key messages, recommendations, decisions, next steps."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from dsm_assess.api import Engagement
from dsm_assess.core.errors import InvalidInput
from dsm_assess.deliver.messages import point_of_view, reaching
from dsm_assess.engagement.spec import Message


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def demo(demo_rendered, fw):
    return Engagement("demo", demo_rendered[0], framework=fw).gather()


def test_an_unassessed_subject_never_counts_as_reaching_its_target():
    projection = pd.DataFrame({"wave": [0, 0, 0, 1, 1, 1], "subject": ["A", "B", "C"] * 2,
                               "level": [2, None, 4, 3, None, 4], "target": [3, 1, 4, 3, 1, None]},
                              ).astype({"level": "Int64", "target": "Int64"})
    assert reaching(projection, 0) == (1, 2)   # C reaches 4 of 4; B has no level, so is not counted at all
    assert reaching(projection, 1) == (1, 1)   # A reaches 3; C has no target


def test_key_messages_name_the_numbers_of_the_tables(demo, fw):
    pov = point_of_view(fw, demo.engagement, demo.scores, demo.plan, demo.findings)
    key = {m.id: m.text for m in pov["key messages"]}
    assert 3 <= len(key) <= 5
    h, s = demo.scores.headline, demo.scores.subjects
    below = int((s["gap"].fillna(0) > 0).sum())
    assert key["overall"] == (f"Fenmoor County Council works at capability level {h['median_level']} (the median) "
                              f"with a mean score of {h['score']:.1f} of 5 across the {h['scored']} subjects "
                              f"scored; {below} of them are below the level the business needs.")
    ranked = s.sort_values(["score", "id"])
    for r in [*ranked.tail(2).itertuples(), *ranked.head(2).itertuples()]:
        assert f"{r.name} ({r.score:.1f})" in key["strengths"]
    p, w = demo.plan.projection, demo.plan.parameters.waves
    end = p[p["wave"].eq(w)]
    assert f"bring {int((end['level'] >= end['target']).sum())} of {len(end)} subjects" in key["roadmap"]
    assert f"from {p[p['wave'].eq(0)]['score'].mean():.1f} to {end['score'].mean():.1f}" in key["roadmap"]
    before = p[p["wave"].eq(0)].set_index("subject")["level"]
    raised = sum(1 for sid, lv in end.set_index("subject")["level"].items() if lv > before[sid])
    assert f"would raise {raised} subjects by at least one level" in key["roadmap"] and raised > 0


def test_recommendations_are_tied_to_gaps_and_initiatives_and_steps_are_dated(demo, fw):
    pov = point_of_view(fw, demo.engagement, demo.scores, demo.plan, demo.findings)
    s = demo.scores.subjects.set_index("id")
    for m in pov["recommendations"]:
        sid = m.id.removeprefix("raise-")
        assert m.text.startswith(f"Raise {s.loc[sid, 'name']} from level {s.loc[sid, 'level']} to "
                                 f"{s.loc[sid, 'target']}")
        work = [p for p in demo.plan.initiatives if sid in p.closes and p.wave]
        if work:
            first = min(work, key=lambda p: (p.wave, p.initiative.id))
            assert f"in wave {first.wave}" in m.text
        else:  # a gap the roadmap leaves open says why, from the plan's own reasons
            kinds = {g.kind for g in demo.plan.open_gaps if g.subject == sid}
            assert "this roadmap starts no work on it (" in m.text and kinds
    start = demo.plan.waves[0].start
    steps = [m.text for m in pov["next steps"]]
    assert steps[0].startswith(f"By {start - dt.timedelta(weeks=2):%d %B %Y}:")
    assert steps[1].startswith(f"{start:%d %B %Y}: wave 1 starts")
    assert [m.id for m in pov["decisions"]] == ["targets", "capacity", "operating-model", "disagreements"]


def test_the_executive_pdf_carries_the_point_of_view(demo_rendered, demo, fw):
    text = flat(" ".join(demo_rendered[3]["executive"]))
    pov = point_of_view(fw, demo.engagement, demo.scores, demo.plan, demo.findings)
    for section in pov.values():
        for m in section:
            assert flat(m.text) in text, m.text
    for title in ("Key messages", "Recommendations", "Decisions we ask of you", "Next steps"):
        assert title in text


def test_a_consultant_adds_and_replaces_messages_and_they_are_marked(demo, fw):
    eng = demo.engagement.model_copy(update={"messages": [
        Message(text="The service desk is the council's strongest asset."),
        Message(section="decisions", replaces="capacity", text="Fund a second analyst.")]})
    pov = point_of_view(fw, eng, demo.scores, demo.plan, demo.findings)
    assert pov["key messages"][-1].text == "The service desk is the council's strongest asset."
    assert pov["key messages"][-1].consultant
    capacity = next(m for m in pov["decisions"] if m.id == "capacity")
    assert capacity.text == "Fund a second analyst." and capacity.consultant
    assert not any(m.consultant for m in pov["recommendations"])
    wrong = demo.engagement.model_copy(update={"messages": [Message(replaces="nothing", text="x")]})
    with pytest.raises(InvalidInput) as err:
        point_of_view(fw, wrong, demo.scores, demo.plan, demo.findings)
    assert "messages[0].replaces: no generated message 'nothing' in key messages; one of overall" in str(err.value)


def test_messages_in_engagement_yaml_are_validated(acme, root, fw, cli):
    from dsm_assess.engagement.spec import engagement_file
    path = engagement_file("acme", root)
    path.write_text(path.read_text(encoding="utf-8") + "messages:\n- section: opinions\n  text: hi\n",
                    encoding="utf-8")
    result = cli("engagement", "show", "acme", "--root", root)
    assert result.exit_code == 1 and "messages" in result.stderr and "section" in result.stderr
