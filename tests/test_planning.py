"""The roadmap planner: small hand-built cases with a hand-made initiative set, and properties on
generated engagements."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsm_assess.core.errors import DsmError, InvalidInput
from dsm_assess.deliver.report import open_gaps_summary
from dsm_assess.deliver.roadmap import roadmap_json
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.spec import EngagementSpec, Target, engagement_file, load_engagement
from dsm_assess.framework.model import Initiative
from dsm_assess.planning.plan import (
    Parameters,
    PlanningSettings,
    parameters,
    plan_roadmap,
    read_settings,
    set_excluded,
    set_pin,
)
from dsm_assess.scoring.assessment import Assessment, load_assessment
from dsm_assess.scoring.rules import score_engagement

from .conftest import edit

START = dt.date(2026, 3, 2)  # a Monday


# The hand-worked examples run on the 1.x bank fixture (`fw1`: three criteria per subject and
# level), so that their figures do not move when the shipped bank changes.
def crits(subject: str, level: int) -> tuple[str, ...]:
    return tuple(f"{subject}.L{level}.{n:02d}" for n in (1, 2, 3))


def initiative(iid: str, criteria, effort=4, duration=6, kind="foundation", depends_on=()) -> Initiative:
    return Initiative(id=iid, title=f"Initiative {iid}", description="For the tests.", criteria=tuple(criteria),
                      effort=effort, duration=duration, type=kind, owner="tester", depends_on=tuple(depends_on))


# Incident management, level by level: A (level 2) -> B (level 3) -> C (level 4) -> D (level 5).
CHAIN = (
    initiative("IN.T.A", crits("PR.INC", 2), kind="quick-win"),
    initiative("IN.T.B", crits("PR.INC", 3), depends_on=["IN.T.A"]),
    initiative("IN.T.C", crits("PR.INC", 4), depends_on=["IN.T.B"]),
    initiative("IN.T.D", crits("PR.INC", 5), kind="transformation", depends_on=["IN.T.C"]),
)


def assessment(fw, targets: dict[str, int], ratings: dict[str, str] | None = None) -> Assessment:
    """One respondent rating every criterion of the target subjects N, except `ratings`; targets set by hand."""
    eng = EngagementSpec(slug="plan", client="Plan Ltd", assessment_date=dt.date(2026, 1, 5),
                     bank_version=fw.bank_version, profile="full", scope=list(targets),
                     targets={s: Target(level=t, reason="test") for s, t in targets.items()})
    rows = [{"respondent": "r@t.example.com", "criterion_id": cid, "rating": (ratings or {}).get(cid, "N")}
            for cid in eng.criteria_for(fw)]
    answers = pd.DataFrame(rows)
    consensus = pd.DataFrame({"criterion_id": [], "rating": []})
    return Assessment(fw, eng, answers, consensus, score_engagement(fw, eng, answers, consensus))


def params(waves=4, capacity=40, wave_weeks=12, pinned=None, excluded=()) -> Parameters:
    return Parameters(start=START, wave_weeks=wave_weeks, waves=waves, capacity=capacity, pinned=dict(pinned or {}),
                      excluded=tuple(excluded))


def placed(plan) -> dict[str, object]:
    return {p.id: p for p in plan.planned}


def projected(plan, subject="PR.INC") -> list[tuple]:
    rows = plan.projection[plan.projection["subject"] == subject].sort_values("wave")
    return [(int(r.level), round(r.score, 4)) for r in rows.itertuples()]


# ---- hand-built cases ---------------------------------------------------------------------------

def test_a_chain_of_three_dependent_initiatives_lands_in_three_consecutive_waves(fw1):
    plan = plan_roadmap(assessment(fw1, {"PR.INC": 4}), params(), CHAIN)
    got = placed(plan)
    assert [(i, got[i].wave, got[i].end_wave) for i in ("IN.T.A", "IN.T.B", "IN.T.C")] == [
        ("IN.T.A", 1, 1), ("IN.T.B", 2, 2), ("IN.T.C", 3, 3)]
    assert "IN.T.D" not in got  # level 5 is beyond the target
    # each starts on the first day of its wave, and its end is its typical duration later
    assert (got["IN.T.B"].start, got["IN.T.B"].end) == (START + dt.timedelta(weeks=12), dt.date(2026, 7, 5))
    # by hand: three criteria a level, all N (score 1.0, level 1); each wave makes one more level F
    assert projected(plan) == [(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (4, 4.0)]
    assert plan.open_gaps == []


def test_each_initiative_says_which_subjects_and_criteria_it_serves(fw1):
    plan = plan_roadmap(assessment(fw1, {"PR.INC": 3}, {"PR.INC.L2.01": "F"}), params(), CHAIN)
    a = placed(plan)["IN.T.A"]
    assert a.closes == ("PR.INC",) and a.criteria == ("PR.INC.L2.02", "PR.INC.L2.03")  # L2.01 is achieved
    assert a.needed_by == ("IN.T.B",)
    assert a.why() == "PR.INC L2.02, L2.03; needed by IN.T.B"


def test_an_initiative_longer_than_a_wave_spans_waves(fw1):
    long = (initiative("IN.T.A", crits("PR.INC", 2), effort=20, duration=30),)
    got = placed(plan_roadmap(assessment(fw1, {"PR.INC": 2}), params(), long))["IN.T.A"]
    # 20 person-weeks over 30 weeks: 12 weeks in wave 1 (8 pw), 12 in wave 2 (8 pw), 6 in wave 3 (4 pw)
    assert (got.wave, got.end_wave) == (1, 3)
    assert [round(x, 6) for x in got.loads] == [8.0, 8.0, 4.0]
    assert got.end == START + dt.timedelta(weeks=30, days=-1)


def test_a_prerequisite_already_in_place_is_not_scheduled(fw1):
    done = {c: "F" for c in crits("PR.INC", 2)}
    plan = plan_roadmap(assessment(fw1, {"PR.INC": 3}, done), params(), CHAIN)
    assert list(placed(plan)) == ["IN.T.B"] and placed(plan)["IN.T.B"].wave == 1
    assert plan.in_place == ("IN.T.A",)


def test_capacity_overflow_pushes_lower_priority_work_later(fw1):
    library = (initiative("IN.T.INC", crits("PR.INC", 2), effort=10, duration=12),
               initiative("IN.T.PRB", crits("PR.PRB", 2), effort=10, duration=12))
    # gap 3 against gap 1 (demand 3 without business context): priority 9.0 against 1.8
    plan = plan_roadmap(assessment(fw1, {"PR.PRB": 2, "PR.INC": 4}), params(capacity=15), library)
    assert (placed(plan)["IN.T.INC"].wave, placed(plan)["IN.T.PRB"].wave) == (1, 2)
    swapped = plan_roadmap(assessment(fw1, {"PR.PRB": 4, "PR.INC": 2}), params(capacity=15), library)
    assert (placed(swapped)["IN.T.INC"].wave, placed(swapped)["IN.T.PRB"].wave) == (2, 1)
    roomy = plan_roadmap(assessment(fw1, {"PR.PRB": 2, "PR.INC": 4}), params(capacity=20), library)
    assert (placed(roomy)["IN.T.INC"].wave, placed(roomy)["IN.T.PRB"].wave) == (1, 1)
    assert [w.effort for w in plan.waves] == [10, 10, 0, 0] and [w.effort for w in roomy.waves] == [20, 0, 0, 0]


def test_quick_wins_come_first_within_a_priority(fw1):
    library = (initiative("IN.T.BIG", crits("PR.INC", 2)[:2], effort=10, duration=12),
               initiative("IN.T.QUICK", crits("PR.INC", 2)[2:], effort=3, duration=4, kind="quick-win"))
    plan = plan_roadmap(assessment(fw1, {"PR.INC": 2}), params(capacity=10), library)
    assert [p.id for p in plan.planned] == ["IN.T.QUICK", "IN.T.BIG"]
    assert (placed(plan)["IN.T.QUICK"].wave, placed(plan)["IN.T.BIG"].wave) == (1, 2)


def test_a_pinned_initiative_stays_where_pinned_and_an_excluded_one_never_appears(fw1):
    library = (*CHAIN, initiative("IN.T.ALT", crits("PR.INC", 2)), initiative("IN.T.PRB", crits("PR.PRB", 5)))
    plan = plan_roadmap(assessment(fw1, {"PR.INC": 2}),
                        params(pinned={"IN.T.ALT": 3, "IN.T.PRB": None}, excluded=["IN.T.A"]), library)
    got = placed(plan)
    assert "IN.T.A" not in got and "\"IN.T.A\"" not in json.dumps(roadmap_json(plan))
    assert got["IN.T.ALT"].wave == 3            # it would fit in wave 1
    assert got["IN.T.PRB"].wave == 1 and got["IN.T.PRB"].closes == ()  # pinned without a wave: kept in the plan
    assert projected(plan) == [(1, 1.0), (1, 1.0), (1, 1.0), (2, 2.0), (2, 2.0)]


def test_a_pin_that_cannot_be_kept_is_a_clear_error(fw1):
    a = assessment(fw1, {"PR.INC": 4})
    with pytest.raises(DsmError, match="IN.T.B is pinned to wave 1, but IN.T.A, which it depends on, cannot end "
                                       "before wave 2"):
        plan_roadmap(a, params(pinned={"IN.T.B": 1}), CHAIN)
    with pytest.raises(DsmError, match="IN.T.B is pinned but depends on IN.T.A, which is excluded"):
        plan_roadmap(a, params(pinned={"IN.T.B": None}, excluded=["IN.T.A"]), CHAIN)
    with pytest.raises(DsmError, match="IN.T.B is pinned to wave 5, but the plan has 4 waves"):
        plan_roadmap(a, params(pinned={"IN.T.B": 5}), CHAIN)


def test_an_impossible_plan_names_the_gaps_left_open_and_why(fw1):
    a = assessment(fw1, {"PR.INC": 4, "PR.PRB": 2})
    library = (*CHAIN, initiative("IN.T.PRB", crits("PR.PRB", 2), effort=30, duration=12))
    # one wave: B and C cannot end in it whatever the capacity; PR.PRB's initiative needs 30 of 20 person-weeks
    plan = plan_roadmap(a, params(waves=1, capacity=20), library)
    assert roadmap_json(plan)["open_gaps"] == [
        {"subject": "PR.INC", "reason": "horizon: IN.T.B, IN.T.C cannot end within 1 wave of 12 weeks, even "
                                        "with unlimited capacity"},
        {"subject": "PR.PRB", "reason": "capacity: IN.T.PRB does not fit in 1 wave of 20 person-weeks"}]
    # three waves of 3 person-weeks: A takes two waves at that pace, B ends in wave 4, C waits for B
    plan = plan_roadmap(a, params(waves=3, capacity=3), library)
    reasons = {(g.subject, g.kind): g.reason for g in plan.open_gaps}
    assert reasons[("PR.INC", "capacity")] == "capacity: IN.T.B does not fit in 3 waves of 3 person-weeks"
    assert reasons[("PR.INC", "dependency")] == ("dependency: IN.T.C waits for IN.T.B, which is not delivered "
                                                 "within the plan")
    assert [(g.subject, g.kind, g.initiatives, g.waits_for) for g in plan.open_gaps] == [
        ("PR.INC", "capacity", ("IN.T.B",), ()), ("PR.INC", "dependency", ("IN.T.C",), ("IN.T.B",)),
        ("PR.PRB", "capacity", ("IN.T.PRB",), ())]
    assert open_gaps_summary(plan) == (
        "2 subjects stay below target after the last wave. By reason (a subject may have more than one): the work "
        "does not fit 3 person-weeks a wave (2: more person-weeks a wave would let this work in); it waits for work "
        "the plan does not deliver (1).")
    # excluded: nothing else serves level 2, and B and C need A
    plan = plan_roadmap(a, params(excluded=["IN.T.A"]), library)
    [inc] = [g for g in plan.open_gaps if g.subject == "PR.INC"]
    assert inc.kind == "excluded" and inc.criteria == (*crits("PR.INC", 2), *crits("PR.INC", 3), *crits("PR.INC", 4))
    assert inc.reason.startswith("excluded: PR.INC.L2.01, ") and inc.reason.endswith(
        "can only be achieved through IN.T.A, which is excluded")


def test_a_dependency_cycle_is_a_clear_error_naming_the_cycle(fw1):
    cycle = (initiative("IN.T.A", crits("PR.INC", 2), depends_on=["IN.T.C"]),
             initiative("IN.T.B", crits("PR.INC", 3), depends_on=["IN.T.A"]),
             initiative("IN.T.C", crits("PR.INC", 4), depends_on=["IN.T.B"]))
    with pytest.raises(DsmError, match=r"^dependency cycle: IN\.T\.A -> IN\.T\.C -> IN\.T\.B -> IN\.T\.A$"):
        plan_roadmap(assessment(fw1, {"PR.INC": 4}), params(), cycle)


def test_stretched_when_its_pace_needs_more_than_a_wave(fw1):
    big = (initiative("IN.T.A", crits("PR.INC", 2), effort=30, duration=6),)
    got = placed(plan_roadmap(assessment(fw1, {"PR.INC": 2}), params(capacity=12), big))["IN.T.A"]
    # 5 person-weeks a week would need 60 a wave; at 12 a wave the 30 take two and a half waves
    assert [round(x, 6) for x in got.loads] == [12, 12, 6] and got.end == START + dt.timedelta(weeks=30, days=-1)


def test_the_projection_starts_from_the_scores_as_they_stand(fw1):
    a = assessment(fw1, {"PR.INC": 3}, {"PR.INC.L2.01": "F", "PR.INC.L2.02": "L", "PR.INC.L3.01": "P"})
    plan = plan_roadmap(a, params(), CHAIN)
    now = plan.projection[plan.projection["wave"] == 0].set_index("subject")
    assert now.loc["PR.INC", "level"] == a.scores.subjects.set_index("id").loc["PR.INC", "level"]
    # by hand: L2 (1 + 0.7 + 0) / 3, L3 0.3 / 3 -> 1 + 0.5667 + 0.1; after A: L2 all F -> 1 + 1 + 0.1
    assert projected(plan)[:3] == [(1, round(1 + 1.7 / 3 + 0.1, 4)), (2, 2.1), (3, 3.0)]


def test_planning_parameters_default_and_the_command_line_wins(fw1):
    eng = assessment(fw1, {"PR.INC": 2}).engagement.model_copy(update={"deadline": dt.date(2026, 2, 4)})
    p = parameters(PlanningSettings(), eng)
    assert (p.start, p.waves, p.wave_weeks, p.capacity) == (dt.date(2026, 2, 9), 4, 12, 40)  # Monday after
    p = parameters(PlanningSettings(waves=6, capacity=25), eng, capacity=30)
    assert (p.waves, p.capacity) == (6, 30)
    with pytest.raises(DsmError, match="capacity: input should be greater than or equal to 1"):
        parameters(PlanningSettings(), eng, capacity=-1)


@pytest.mark.parametrize("deadline, start", [(dt.date(2026, 12, 18), dt.date(2027, 1, 4)),
                                             (dt.date(2026, 12, 28), dt.date(2027, 1, 4)),
                                             (dt.date(2027, 1, 15), dt.date(2027, 1, 18))])
def test_the_default_start_skips_the_weeks_of_christmas_and_new_year(fw1, deadline, start):
    eng = assessment(fw1, {"PR.INC": 2}).engagement.model_copy(update={"deadline": deadline})
    assert parameters(PlanningSettings(), eng).start == start


# ---- the planning section of engagement.yaml ----------------------------------------------------

def test_planning_section_problems_are_located(fw, acme, root):
    path = engagement_file("acme", root)
    edit(path, "targets: {}\n",
         "targets: {}\nplanning:\n  waves: 0\n  pinned:\n    IN.INC.MAJR: 2\n  excluded: [IN.INC.MAJOR]\n")
    with pytest.raises(InvalidInput) as exc:
        read_settings(path, fw)
    assert "planning.waves: input should be greater than or equal to 1" in str(exc.value)
    path.write_text(path.read_text().replace("waves: 0", "waves: 3"))
    with pytest.raises(InvalidInput) as exc:
        read_settings(path, fw)
    text = str(exc.value)
    assert "planning.pinned.IN.INC.MAJR: unknown initiative 'IN.INC.MAJR'; did you mean IN.INC.MAJOR" in text
    assert f"{path.name}:" in text and len(exc.value.problems) == 1
    path.write_text(path.read_text().replace("IN.INC.MAJR: 2", "in.prb.records: 2").replace("[IN.INC.MAJOR]",
                                                                                             "[in.inc.major]"))
    s = read_settings(path, fw)  # ids as the library spells them
    assert (s.waves, s.pinned, s.excluded) == (3, {"IN.PRB.RECORDS": 2}, ["IN.INC.MAJOR"])


def test_pin_and_exclude_edit_engagement_yaml_keeping_comments(fw, acme, root):
    path = engagement_file("acme", root)
    edit(path, "targets: {}\n", "targets: {}\n# how we plan\nplanning:\n  waves: 3  # a year in three steps\n")
    assert set_pin(fw, "acme", "in.inc.major", 2, root=root)[0] == "IN.INC.MAJOR"
    set_pin(fw, "acme", "IN.PRB.RECORDS", root=root)
    set_excluded(fw, "acme", "IN.SUP.SIAM", root=root)
    text = path.read_text()
    assert "# how we plan" in text and "# a year in three steps" in text
    s = read_settings(path, fw)
    assert (s.waves, s.pinned, s.excluded) == (3, {"IN.INC.MAJOR": 2, "IN.PRB.RECORDS": None}, ["IN.SUP.SIAM"])
    set_excluded(fw, "acme", "IN.INC.MAJOR", root=root)  # excluding takes the pin away
    set_pin(fw, "acme", "IN.SUP.SIAM", 1, root=root)     # pinning takes the exclusion away
    s = read_settings(path, fw)
    assert (s.pinned, s.excluded) == ({"IN.PRB.RECORDS": None, "IN.SUP.SIAM": 1}, ["IN.INC.MAJOR"])
    set_pin(fw, "acme", "IN.PRB.RECORDS", remove=True, root=root)
    set_excluded(fw, "acme", "IN.INC.MAJOR", excluded=False, root=root)
    s = read_settings(path, fw)
    assert (s.pinned, s.excluded) == ({"IN.SUP.SIAM": 1}, [])
    with pytest.raises(DsmError, match="IN.PRB.RECORDS is not pinned"):
        set_pin(fw, "acme", "IN.PRB.RECORDS", remove=True, root=root)


# ---- properties on generated engagements --------------------------------------------------------

@pytest.fixture(scope="module")
def generated(fw, tmp_path_factory):
    """A few generated engagements, scored: full and quick-scan profiles, several maturity patterns."""
    root = tmp_path_factory.mktemp("generated")
    kinds = [(1, "typical", "full"), (2, "struggling", "quick-scan"), (3, "uneven", "full"), (4, "mature", "full")]
    for seed, pattern, profile in kinds:
        generate_engagement(fw, f"g{seed}", respondents=3, seed=seed, pattern=pattern, profile=profile, root=root)
    return [load_assessment(f"g{seed}", root, fw=fw) for seed, _, _ in kinds]


def plan_of(a: Assessment, capacity: float, waves: int, wave_weeks: int):
    return plan_roadmap(a, parameters(PlanningSettings(), a.engagement, capacity=capacity, waves=waves,
                                      wave_weeks=wave_weeks))


PLANS = dict(which=st.integers(0, 3), capacity=st.floats(2, 150, allow_nan=False), waves=st.integers(1, 6),
             wave_weeks=st.sampled_from([4, 8, 12, 13, 26]))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(**PLANS)
def test_no_wave_exceeds_capacity(generated, which, capacity, waves, wave_weeks):
    plan = plan_of(generated[which], capacity, waves, wave_weeks)
    assume(plan.planned)
    for w in plan.waves:
        loads = sum(p.loads[w.index - p.wave] for p in plan.planned
                    if p.wave is not None and 0 <= w.index - p.wave < len(p.loads))
        assert loads == pytest.approx(w.effort) and w.effort <= capacity + 1e-6


@SETTINGS
@given(**PLANS)
def test_no_initiative_starts_before_what_it_depends_on_ends(generated, which, capacity, waves, wave_weeks):
    plan = plan_of(generated[which], capacity, waves, wave_weeks)
    got = {p.id: p for p in plan.planned if p.wave is not None}
    pairs = [(p, got[d]) for p in got.values() for d in p.initiative.depends_on if d in got]
    assume(pairs)
    for p, d in pairs:
        assert p.wave > d.end_wave and p.start > d.end, (p.id, d.id)
    for p in plan.planned:  # nothing is delivered before what it waits for
        assert not p.delivered or all(got[d].delivered for d in p.initiative.depends_on if d in got)


@SETTINGS
@given(**PLANS, more=st.floats(0, 100, allow_nan=False))
def test_raising_capacity_never_leaves_more_gaps_open(generated, which, capacity, waves, wave_weeks, more):
    before = {g.subject for g in plan_of(generated[which], capacity, waves, wave_weeks).open_gaps}
    after = {g.subject for g in plan_of(generated[which], capacity + more, waves, wave_weeks).open_gaps}
    assume(before)
    assert after <= before and len(after) <= len(before)


@SETTINGS
@given(**PLANS)
def test_the_projection_never_goes_down_from_one_wave_to_the_next(generated, which, capacity, waves, wave_weeks):
    plan = plan_of(generated[which], capacity, waves, wave_weeks)
    assume(any(p.delivered for p in plan.planned))
    for _, rows in plan.projection.groupby("subject"):
        rows = rows.sort_values("wave")
        levels = rows["level"].fillna(0).tolist()
        scores = rows["score"].fillna(0).tolist()
        assert levels == sorted(levels) and all(b >= a - 1e-9 for a, b in itertools.pairwise(scores))


def test_the_same_inputs_give_the_same_plan(generated):
    a = generated[0]
    first = roadmap_json(plan_of(a, 30, 4, 12))
    assert roadmap_json(plan_of(a, 30, 4, 12)) == first and first["initiatives"]


def test_the_worked_example_in_the_methodology(fw1):
    a = assessment(fw1, {"PR.INC": 3, "PR.PRB": 2})
    library = (initiative("IN.X.A", crits("PR.INC", 2), effort=4, duration=6, kind="quick-win"),
               initiative("IN.X.B", crits("PR.INC", 3), effort=14, duration=20, depends_on=["IN.X.A"]),
               initiative("IN.X.P", crits("PR.PRB", 2), effort=6, duration=12))
    plan = plan_roadmap(a, params(waves=3, capacity=9), library)
    got = placed(plan)
    assert (got["IN.X.A"].start, got["IN.X.A"].end) == (dt.date(2026, 3, 2), dt.date(2026, 4, 12))
    assert (got["IN.X.B"].wave, got["IN.X.B"].end_wave) == (2, 3)
    assert (got["IN.X.B"].start, got["IN.X.B"].end) == (dt.date(2026, 5, 25), dt.date(2026, 10, 11))
    assert [round(x, 6) for x in got["IN.X.B"].loads] == [8.4, 5.6]
    assert [g.reason for g in plan.open_gaps] == ["capacity: IN.X.P does not fit in 3 waves of 9 person-weeks"]
    assert projected(plan) == [(1, 1.0), (2, 2.0), (2, 2.0), (3, 3.0)]
    assert projected(plan, "PR.PRB") == [(1, 1.0)] * 4
    plan = plan_roadmap(a, params(waves=3, capacity=10), library)
    assert placed(plan)["IN.X.P"].wave == 1 and plan.open_gaps == []
    assert projected(plan, "PR.PRB") == [(1, 1.0), (2, 2.0), (2, 2.0), (2, 2.0)]
    # without B's dependency, B could start in wave 1 with more capacity: P may not take wave 1 before it
    free = (library[0], initiative("IN.X.B", crits("PR.INC", 3), effort=14, duration=20), library[2])
    plan = plan_roadmap(a, params(waves=3, capacity=10), free)
    assert placed(plan)["IN.X.P"].wave == 4 and [w.effort for w in plan.waves][0] == 4
    roomier = plan_roadmap(a, params(waves=3, capacity=12.4), free)
    assert (placed(roomier)["IN.X.B"].wave, placed(roomier)["IN.X.P"].wave) == (1, 2)


def test_roadmap_settings_and_full_depth_are_kept_in_engagement_yaml(cli, fw, acme, root):
    result = cli("roadmap", "settings", "acme", "--start", "2027-03-01", "--capacity", "25", "--root", root)
    assert result.exit_code == 0, result.output
    assert cli("engagement", "full-depth", "acme", "pr.inc", "--root", root).exit_code == 0
    eng = load_engagement("acme", root, fw)
    assert eng.planning == {"start": dt.date(2027, 3, 1), "capacity": 25} and eng.full_depth == ["PR.INC"]
    before = engagement_file("acme", root).read_bytes()
    bad = cli("roadmap", "settings", "acme", "--capacity", "0.5", "--root", root)
    assert bad.exit_code == 1 and "planning.capacity" in bad.stderr
    assert engagement_file("acme", root).read_bytes() == before
