"""Initiatives sized for the client: the formula by hand, `size:` in engagement.yaml and the command
that sets it, and a plan (both planners), its text, --json and backlog on the sized estimates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest

from dsm_assess.api import Engagement
from dsm_assess.core.errors import DsmError, InvalidInput
from dsm_assess.deliver.report import Inputs, write_backlog
from dsm_assess.deliver.roadmap import roadmap_json, roadmap_table, tables
from dsm_assess.engagement.edit import set_size
from dsm_assess.engagement.spec import Size, engagement_file, load_engagement
from dsm_assess.framework.model import SIZE_DRIVERS, ReferenceSize
from dsm_assess.planning.plan import plan_roadmap
from dsm_assess.planning.sizing import size_estimate

from .test_planning import START, assessment, crits, initiative, params, placed

# The reference organisation the library is estimated for (docs/question-bank.md, "Sizing initiatives").
REFERENCE = ReferenceSize(staff_in_it=250, services=60, suppliers=25, sites=3, integrations=40)


def test_the_shipped_library_is_estimated_for_the_documented_reference_organisation(fw):
    assert fw.reference_size == REFERENCE
    assert tuple(Size.model_fields) == tuple(ReferenceSize.model_fields) == SIZE_DRIVERS


@pytest.mark.parametrize("basis, client, reference, given, expected", [
    # fixed work does not scale, whatever the size
    ("fixed", 120, 60, (10, 12), (10, 12)),
    # twice the services: 10 * 2 ** 0.8 = 17.41 -> 17.5; 8 * 2 ** 0.4 = 10.56 -> 10.5
    ("per-service", 120, 60, (10, 8), (17.5, 10.5)),
    # a fifth of the suppliers: 20 * 0.2 ** 0.8 = 5.52 -> 5.5; 10 * 0.2 ** 0.4 = 5.25 -> 5.5 (halves round up)
    ("per-supplier", 5, 25, (20, 10), (5.5, 5.5)),
    # no sites at all: nothing is never an estimate, half a week is the least
    ("per-site", 0, 3, (8, 6), (0.5, 0.5)),
    # the figure not given: the reference's own, factor 1, kept to half weeks (2.25 -> 2.5, never banker's 2.0)
    ("per-integration", None, 40, (2.25, 7.3), (2.5, 7.5)),
])
def test_size_estimate_by_hand(basis, client, reference, given, expected):
    assert size_estimate(*given, basis, client, reference) == expected


def test_a_per_x_estimate_needs_a_reference_size():
    with pytest.raises(DsmError, match="reference_size in initiatives/library.yaml"):
        size_estimate(10, 8, "per-service", 120, None)


def test_size_in_engagement_yaml_is_checked_with_located_problems(fw, acme, root):
    path = engagement_file("acme", root)
    path.write_text(path.read_text() + "size:\n  services: -1\n  staf: 3\n  sites: 2.5\n  suppliers: '12'\n")
    with pytest.raises(InvalidInput) as err:
        load_engagement("acme", root, fw)
    found = {p.where: p for p in err.value.problems}
    assert set(found) == {"size.services", "size.staf", "size.sites", "size.suppliers"}, found
    assert all(p.line for p in found.values())  # each names its line
    assert "greater than or equal to 0" in found["size.services"].message
    assert "unknown field" in found["size.staf"].message


def test_engagement_size_sets_and_clears_through_the_edit_path(cli, fw, acme, root):
    path = engagement_file("acme", root)
    path.write_text("# kept: the consultant's note\n" + path.read_text())
    result = cli("engagement", "size", "acme", "--services", "120", "--suppliers", "0", "--root", root)
    assert result.exit_code == 0, result.output
    assert "120 services, 0 suppliers; the reference organisation's for the rest: 250 people in IT" in result.stdout
    assert load_engagement("acme", root, fw).size == Size(services=120, suppliers=0)
    assert path.read_text().startswith("# kept: the consultant's note\n")
    assert cli("engagement", "size", "acme", "--sites", "2", "--root", root).exit_code == 0   # the others stay
    assert load_engagement("acme", root, fw).size == Size(services=120, suppliers=0, sites=2)
    shown = cli("engagement", "show", "acme", "--root", root)
    assert "size: 120 services, 0 suppliers, 2 sites; the reference organisation's for the rest" in shown.stdout
    assert cli("engagement", "size", "acme", "--services", "-1", "--root", root).exit_code == 2
    assert cli("engagement", "size", "acme", "--root", root).exit_code == 1
    assert cli("engagement", "size", "acme", "--clear", "--sites", "1", "--root", root).exit_code == 1
    assert load_engagement("acme", root, fw).size == Size(services=120, suppliers=0, sites=2)  # refused: unchanged
    assert cli("engagement", "size", "acme", "--clear", "--root", root).exit_code == 0
    assert load_engagement("acme", root, fw).size is None and "size:" not in path.read_text()
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import open_store
    with open_store(engagement_dir("acme", root), "acme") as st:
        actions = list(st.audit_log()["action"])
    assert actions.count("size set") == 2 and actions.count("size cleared") == 1


def test_the_front_door_plans_for_the_size_in_engagement_yaml(fw, acme, root):
    set_size(fw, "acme", {"services": 120}, root=root)
    plan = Engagement("acme", root, framework=fw).plan()
    assert plan.sizing.figures["services"] == 120 and plan.sizing.given == ("services",)
    assert plan.sizing.figures["suppliers"] == REFERENCE.suppliers  # not given: the reference figure


# ---- a plan on sized estimates (the 1.x bank fixture, a hand-made library) ---------------------

@pytest.fixture(scope="module")
def fwr(fw1):
    return fw1.model_copy(update={"reference_size": REFERENCE})


LIBRARY = (initiative("IN.T.A", crits("PR.INC", 2), effort=10, duration=8).model_copy(update={"basis": "per-service"}),
           initiative("IN.T.P", crits("PR.PRB", 2), effort=4, duration=6))


def sized(fwr, size: Size | None):
    a = assessment(fwr, {"PR.INC": 2, "PR.PRB": 2})
    return dataclasses.replace(a, engagement=a.engagement.model_copy(update={"size": size}))


@pytest.mark.parametrize("method", ["solver", "greedy"])
def test_both_planners_schedule_the_sized_effort_and_duration(fwr, method):
    plan = plan_roadmap(sized(fwr, Size(services=120)), params(), LIBRARY, method=method)
    got = placed(plan)
    a, p = got["IN.T.A"].initiative, got["IN.T.P"].initiative
    assert (a.effort, a.duration) == (17.5, 10.5) and (p.effort, p.duration) == (4, 6)   # fixed: as estimated
    assert got["IN.T.A"].end == START + dt.timedelta(days=73)      # 10.5 weeks, not 8
    assert plan.waves[0].effort == pytest.approx(21.5)             # 17.5 + 4 person-weeks in wave 1


def test_a_larger_client_s_initiative_no_longer_fits_the_capacity(fwr):
    # 15 person-weeks in one wave of 12 weeks: 10 at the reference size fits, 17.5 for 120 services would
    # have to slow to 1.25 a week and take 14 weeks, past the only wave
    small = plan_roadmap(sized(fwr, None), params(waves=1, capacity=15), LIBRARY[:1])
    large = plan_roadmap(sized(fwr, Size(services=120)), params(waves=1, capacity=15), LIBRARY[:1])
    assert placed(small)["IN.T.A"].delivered and placed(small)["IN.T.A"].initiative.effort == 10
    assert [(g.subject, g.kind) for g in large.open_gaps if g.subject == "PR.INC"] == [("PR.INC", "capacity")]
    assert not large.initiatives


def test_the_plan_says_what_it_was_sized_for(fwr):
    plan = plan_roadmap(sized(fwr, Size(services=120)), params(), LIBRARY)
    data = roadmap_json(plan)
    a = next(i for i in data["initiatives"] if i["id"] == "IN.T.A")
    assert (a["effort"], a["duration"], a["basis"], a["reference_effort"], a["reference_duration"]) == (
        17.5, 10.5, "per-service", 10, 8)
    assert data["size"]["services"] == {"value": 120, "reference": 60, "given": True}
    assert data["size"]["suppliers"] == {"value": 25, "reference": 25, "given": False}
    text = roadmap_table(plan, "Plan Ltd")
    assert ("Efforts of the 1 initiative that grow with the organisation are sized for 120 services; the others "
            "are fixed.") in text
    assert "IN.T.A               foundation     17.5 pw" in text and "sized per service" in text
    unsized = roadmap_table(plan_roadmap(sized(fwr, None), params(), LIBRARY), "Plan Ltd")
    assert ("sized for 60 services, the reference organisation's figure, as engagement.yaml gives none "
            "(dsm-assess engagement size)") in unsized


def test_the_backlog_gives_each_initiative_its_basis_of_estimate(fwr, tmp_path):
    a = sized(fwr, Size(services=120))
    plan = plan_roadmap(a, params(), LIBRARY)
    row = tables(plan)["initiatives"].set_index("id").loc["IN.T.A"]
    assert row["basis_of_estimate"] == ("per service: 120 services against 60 in the reference organisation; 10 "
                                        "person-weeks over 8 weeks there, 17.5 over 10.5 here")
    path = write_backlog(Inputs(fwr, a, pd.DataFrame(), plan=plan), tmp_path / "backlog.xlsx")
    ws = openpyxl.load_workbook(path)["Initiatives"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert header.index("Basis of estimate") == header.index("Effort (person-weeks)") + 1
    assert rows["IN.T.A"]["Effort (person-weeks)"] == 17.5
    assert rows["IN.T.P"]["Basis of estimate"] == "fixed: 4 person-weeks over 6 weeks whatever the organisation's size"


def test_roadmap_json_of_an_unsized_engagement_keeps_its_shape(cli, fw, acme, root):
    result = cli("roadmap", "acme", "--json", "--root", root)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert all(d == {"value": getattr(REFERENCE, k), "reference": getattr(REFERENCE, k), "given": False}
               for k, d in data["size"].items())


def test_the_report_s_roadmap_shows_the_sized_effort_and_what_it_was_sized_for(fwr):
    from dsm_assess.core.paths import default_template
    from dsm_assess.deliver.report import Report

    a = sized(fwr, Size(services=120))
    report = Report(Inputs(fwr, a, pd.DataFrame(), plan=plan_roadmap(a, params(), LIBRARY)), default_template(), "full")
    report.roadmap()
    rows = {r.cells[0].text.split(":")[0]: [c.text for c in r.cells] for t in report.doc.tables
            if t.rows[0].cells[0].text == "Initiative" for r in t.rows[1:]}
    assert rows["IN.T.A"][2] == "17.5" and rows["IN.T.P"][2] == "4"
    assert ("Efforts of the 1 initiative that grow with the organisation are sized for 120 services; the others are "
            "fixed.") in [p.text for p in report.doc.paragraphs]


def test_problems_with_the_reference_size_are_located(questionnaires):
    from dsm_assess.framework.model import read_framework

    from .conftest import edit

    library = questionnaires / "initiatives" / "library.yaml"
    edit(library, "  services: 60 ", "  services: 0 ")
    edit(library, "  sites: 3 ", "  site: 3 ")
    problems = {p.where: p for p in read_framework(questionnaires)[1]}
    assert {"reference_size.services", "reference_size.site", "reference_size.sites"} <= set(problems), problems
    assert all(problems[w].file.endswith("initiatives/library.yaml") and problems[w].line
               for w in ("reference_size.services", "reference_size.site"))
    # an initiative estimated per service cannot be sized without the reference organisation
    for path in (questionnaires / "initiatives").glob("*.yaml"):
        path.unlink()
    (questionnaires / "initiatives" / "PR.INC.yaml").write_text(
        "subject: PR.INC\ninitiatives:\n  - {id: IN.INC.T, title: T, description: For the tests., criteria: "
        "[PR.INC.L2.01], effort: 6, duration: 8, type: foundation, owner: tester, basis: per-service}\n")
    [problem] = read_framework(questionnaires)[1]
    assert problem.file.endswith("initiatives/PR.INC.yaml") and problem.where == "initiatives[0].basis"
    assert "per-service needs the reference organisation's size" in problem.message
