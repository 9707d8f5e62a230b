"""The front door: `dsm.open(slug)` and the verbs of the engagement handle."""

from __future__ import annotations

from importlib.metadata import version

import pytest

import dsm_assess as dsm
from dsm_assess.core.errors import InvalidInput, NotFound
from dsm_assess.deliver.brand import load_brand
from dsm_assess.deliver.report import Inputs
from dsm_assess.demo.generate import generate_engagement


@pytest.fixture(scope="module")
def engagement(tmp_path_factory, fw):
    root = tmp_path_factory.mktemp("engagements")
    generate_engagement(fw, "harbour", respondents=3, seed=4, client="Harbourline Ferries", root=root)
    return dsm.open("harbour", root, framework=fw)


def test_the_package_exposes_the_front_door_and_its_version():
    assert dsm.__version__ == version("dsm-assess")
    assert dsm.open is dsm.api.open and dsm.Engagement is dsm.api.Engagement


def test_the_handle_runs_the_pipeline_from_its_verbs(engagement, tmp_path):
    status = engagement.status()
    assert status.json()["respondents"] and len(status.table) > 0
    a = engagement.assess()
    assert a.engagement.client == "Harbourline Ferries" and len(a.scores.subjects) == len(engagement.spec.scope)
    plan = engagement.plan(a, waves=2, capacity=30)
    assert plan.parameters.waves == 2 and all(w.effort <= 30 for w in plan.waves)
    assert isinstance(engagement.tom_check(a), list)
    path = engagement.report("backlog", tmp_path, assessment=a, plan=plan)
    assert path == tmp_path / "harbour-backlog.xlsx" and path.stat().st_size > 0


def test_plan_overrides_are_checked_as_the_cli_checks_them(engagement):
    with pytest.raises(dsm.DsmError, match="start: '2026-02-30' is not a date"):
        engagement.plan(start="2026-02-30")


def test_an_unknown_engagement_is_the_kits_own_error(engagement):
    with pytest.raises(NotFound, match="no engagement 'nowhere'"):
        dsm.open("nowhere", engagement.root, framework=engagement.framework)


def test_get_subject_matches_like_every_id_and_names_the_nearest(fw):
    assert fw.get_subject("pr.inc").id == "PR.INC"
    with pytest.raises(NotFound, match="did you mean PR.INC"):
        fw.get_subject("PR.INCX")


def test_reprs_are_a_few_lines_and_small_tables_not_the_object_graph(engagement):
    a = engagement.assess()
    plan = engagement.plan(a)
    for obj in (engagement, a, a.scores, plan, engagement.status()):
        text, html = repr(obj), obj._repr_html_()
        assert len(text) < 600 and text.count("\n") < 6, text
        assert len(html) < 20_000
    assert repr(engagement).startswith("Engagement 'harbour': Harbourline Ferries")
    assert "subjects scored" in repr(a) and "Harbourline Ferries" in a._repr_html_()
    assert repr(plan).startswith("Roadmap: ")


def test_engagement_yaml_is_parsed_once_for_every_verb(engagement, monkeypatch):
    import dsm_assess.engagement.spec as spec
    import dsm_assess.planning.plan as plan_module
    import dsm_assess.planning.tom as tom_module
    reads = []
    for module in (spec, plan_module, tom_module):
        original = module.read_yaml
        monkeypatch.setattr(module, "read_yaml", lambda path, original=original: reads.append(path) or original(path))
    e = dsm.open("harbour", engagement.root, framework=engagement.framework)
    a = e.assess()
    e.plan(a)
    e.tom_check(a)
    e.gather(assessment=a)
    assert [p.name for p in reads] == ["engagement.yaml"]


def test_a_what_if_is_applied_once_and_carried_to_the_plan(engagement, tmp_path):
    scenario = tmp_path / "what-if.yaml"
    scenario.write_text("targets:\n  PR.INC: 5\n", encoding="utf-8")
    a = engagement.assess(scenario)
    assert a.engagement.targets["PR.INC"].level == 5  # the effective engagement
    assert a.scores.subjects.set_index("id").loc["PR.INC", "target"] == 5
    plan = engagement.plan(a)
    now = plan.projection[(plan.projection["wave"] == 0) & (plan.projection["subject"] == "PR.INC")]
    assert now["target"].item() == 5
    assert engagement.spec.targets.get("PR.INC") is None  # nothing saved


def test_gather_reports_what_the_notebook_showed(engagement):
    a = engagement.assess()
    plan = engagement.plan(a, waves=1)
    inputs = engagement.gather(assessment=a, plan=plan)
    assert isinstance(inputs, Inputs) and inputs.assessment is a and inputs.plan is plan


def test_a_colour_typo_in_brand_yaml_is_a_located_problem(tmp_path):
    (tmp_path / "brand.yaml").write_text("firm: Example LLP\ncolours:\n  primary: '1F4E7Z'\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_brand(tmp_path / "firm.docx")
    problem = err.value.problems[0]
    assert (problem.line, problem.where) == (3, "colours.primary") and "not a colour" in problem.message


def test_a_logo_is_found_beside_the_template_in_use(tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    (tmp_path / "brand.yaml").write_text("logo: logo.png\ncolours: {primary: '#112233'}\n", encoding="utf-8")
    brand = load_brand(tmp_path / "firm.docx")
    assert brand.logo_path == tmp_path / "logo.png" and brand.colours.primary == "112233"
    (tmp_path / "logo.png").unlink()
    with pytest.raises(InvalidInput, match="'logo.png' is not a file beside brand.yaml"):
        load_brand(tmp_path / "firm.docx")
