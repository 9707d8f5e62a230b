"""The framework as data: counts, value chain contributions, ids, and validation messages."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from dsm_assess.core.errors import FrameworkInvalid, NotFound
from dsm_assess.framework.model import load_framework, read_framework

from .conftest import edit


def test_the_seven_dsm_areas(fw):
    assert [a.name for a in fw.areas] == [
        "Functions", "Processes", "Governance", "Data", "Tools", "Sourcing", "People"]


def test_34_practices_in_three_groups(fw):
    groups = [p.group for p in fw.practices]
    assert len(fw.practices) == 34
    assert (groups.count("general"), groups.count("service"), groups.count("technical")) == (14, 17, 3)


def test_other_framework_counts(fw):
    assert len(fw.activities) == 6
    assert len(fw.dimensions) == 4
    assert len(fw.capabilities) == 5
    assert [e.name for e in fw.operating_model] == [
        "Processes", "Organisation", "Locations", "Information", "Suppliers", "Management system"]
    assert [c.name for c in fw.controls] == [
        "Strategy and architecture", "Governance", "Processes", "Policies and standards"]
    assert [s.name for s in fw.delivery_stages] == ["Discovery", "Alpha", "Beta", "Live"]
    assert len(fw.data_model) == 8


def test_toll_gates_tg1_to_tg7_with_feasibility_optional(fw):
    assert [g.id for g in fw.toll_gates] == [f"TG{i}" for i in range(1, 8)]
    assert [g.id for g in fw.toll_gates if g.optional] == ["TG2"]
    assert fw.get("TG4").name == "Ready for operation"


# Each row is read by hand from the practices paper's description of the practice's heat map.
PAPER = {
    # "applied mainly to the engage, and deliver and support ... Except for plan, other activities may use"
    "PR.INC": dict(plan="none", engage="high", deliver_support="high", improve="medium"),
    # "applied mainly to the plan and engage activities"
    "PR.SLM": dict(plan="high", engage="high", deliver_support="medium"),
    # "involved in all value chain activities except plan"; "the main channel ... with users"
    "PR.SDK": dict(plan="none", engage="high", deliver_support="high"),
    # "all value chain activities except the engage activity"
    "PR.IPM": dict(engage="none", plan="medium", obtain_build="high"),
    "PR.SDM": dict(engage="none", obtain_build="high"),
    # "mainly to the design and transition, and obtain/build ..., but also to the improve activity"
    "PR.DEP": dict(design_transition="high", obtain_build="high", improve="medium",
                   plan="none", engage="none", deliver_support="none"),
    # "most instrumental in the plan, improve, and design and transition"
    "PR.ARC": dict(plan="high", improve="high", design_transition="high", engage="medium"),
    # "a primary focus of plan and improve activities"
    "PR.WTM": dict(plan="high", improve="high", deliver_support="medium"),
    # "applied mainly to the improve, and deliver and support"
    "PR.PRB": dict(improve="high", deliver_support="high", plan="none"),
    # "applied mainly to the design and transition, and obtain/build"
    "PR.ITAM": dict(design_transition="high", obtain_build="high", engage="medium"),
    # "except the plan activity"
    "PR.SRM": dict(plan="none", deliver_support="high"),
    "PR.SVT": dict(plan="none"),
    # "key to this value chain activity" (improve)
    "PR.CI": dict(improve="high", plan="medium"),
}


@pytest.mark.parametrize("practice", sorted(PAPER))
def test_value_chain_contribution_matches_the_paper(fw, practice):
    vc = fw.get(practice).value_chain
    assert {k: vc[k] for k in PAPER[practice]} == PAPER[practice]


def test_every_practice_rates_all_six_activities(fw):
    activities = {a.id for a in fw.activities}
    for p in fw.practices:
        assert set(p.value_chain) == activities, p.id


# The reading rule in practices.yaml, with its inputs read by hand from the practices paper's
# description of each heat map: (shape, marked, absent). For "all" and "except" shapes `marked` is
# the activities the paper singles out; for "mainly" it is the activities the practice is applied
# mainly to. `absent` is the excluded activity ("except") or the activities the paper does not
# describe ("mainly"); "all" has none. Rule: absent -> none, marked -> high, anything else medium.
ALL, MAINLY, EXCEPT = "all", "mainly", "except"
HEAT_MAPS = {
    "PR.ARC": (ALL, {"plan", "improve", "design_transition"}, set()),   # "most instrumental in"
    "PR.CI": (ALL, {"improve"}, set()),                                 # "key to this value chain activity"
    "PR.ISM": (ALL, set(), set()),
    "PR.KM": (ALL, {"obtain_build"}, set()),                            # "significantly improved"
    "PR.MR": (ALL, set(), set()),
    "PR.OCM": (ALL, {"design_transition"}, set()),                      # "essential for the deployment"
    "PR.PFM": (ALL, {"plan"}, set()),                                   # "essential for planning"
    "PR.PJM": (ALL, {"engage"}, set()),                                 # "a key element"
    "PR.RLM": (ALL, {"plan", "design_transition"}, set()),              # "essential aspects", "a key role"
    "PR.RSK": (ALL, {"plan"}, set()),                                   # "essential inputs"
    "PR.SFM": (ALL, set(), set()),
    "PR.STM": (ALL, set(), set()),
    "PR.SUP": (ALL, set(), set()),
    "PR.WTM": (ALL, {"plan", "improve"}, set()),                        # "a primary focus of"
    "PR.AVM": (ALL, set(), set()),
    "PR.BA": (ALL, {"engage"}, set()),                                  # "key to the gathering"
    "PR.CPM": (ALL, {"design_transition"}, set()),                      # "essential for ... design"
    "PR.CHG": (ALL, {"design_transition"}, set()),                      # "a major contributor"
    "PR.INC": (MAINLY, {"engage", "deliver_support"}, {"plan"}),        # "Except for plan, other activities"
    "PR.ITAM": (MAINLY, {"design_transition", "obtain_build"}, set()),  # all six described
    "PR.MEM": (EXCEPT, {"improve", "design_transition"}, {"plan"}),     # "essential" twice
    "PR.PRB": (MAINLY, {"improve", "deliver_support"}, {"plan"}),
    "PR.REL": (ALL, set(), set()),
    "PR.SCM": (ALL, set(), set()),
    "PR.SCFG": (ALL, {"deliver_support"}, set()),                       # "essential to support"
    "PR.SCON": (ALL, set(), set()),
    "PR.SD": (ALL, set(), set()),
    "PR.SDK": (EXCEPT, {"engage"}, {"plan"}),                           # "the main channel"
    "PR.SLM": (MAINLY, {"plan", "engage"}, set()),                      # all six described
    "PR.SRM": (EXCEPT, {"deliver_support"}, {"plan"}),                  # "a significant contribution"
    "PR.SVT": (EXCEPT, {"improve"}, {"plan"}),                          # "critical success measures"
    "PR.DEP": (MAINLY, {"design_transition", "obtain_build"},          # "but also to the improve activity"
               {"plan", "engage", "deliver_support"}),
    "PR.IPM": (EXCEPT, {"obtain_build"}, {"engage"}),                   # "a critical contributor"
    "PR.SDM": (EXCEPT, set(), {"engage"}),
}


def reading_rule(practice: str, activity: str) -> str:
    """The contribution the file's header rule gives one cell."""
    _, marked, absent = HEAT_MAPS[practice]
    return "none" if activity in absent else "high" if activity in marked else "medium"


def test_the_heat_map_readings_cover_every_practice_and_fit_their_shapes(fw):
    assert set(HEAT_MAPS) == {p.id for p in fw.practices}
    for pid, (shape, marked, absent) in HEAT_MAPS.items():
        assert not marked & absent, pid
        if shape == ALL:
            assert not absent, f"{pid}: only the 'mainly' and 'except' shapes leave an activity out"
        if shape == EXCEPT:
            assert len(absent) == 1, pid
        if shape == MAINLY:
            assert len(marked) == 2, pid


@pytest.mark.parametrize("practice", sorted(HEAT_MAPS))
def test_value_chain_follows_the_reading_rule_or_says_why(fw, practice):
    p = fw.get(practice)
    departs = {a: (p.value_chain[a], reading_rule(practice, a)) for a in p.value_chain
               if p.value_chain[a] != reading_rule(practice, a)}
    # Every departing cell has an override, and every override marks a cell that departs.
    assert set(p.value_chain_overrides) == set(departs), (departs, p.value_chain_overrides)
    for activity, (value, rule) in departs.items():
        # An override is a judgement between medium and high; a wrong `none` is a misread shape.
        assert "none" not in (value, rule), f"{practice} {activity}: {value} where the rule gives {rule}"
        reason = p.value_chain_overrides[activity]
        assert reason.endswith(".") and ". " not in reason.rstrip(".") and len(reason.split()) >= 8, reason


def test_a_cell_changed_without_a_reason_fails_the_rule():
    assert reading_rule("PR.CHG", "design_transition") == "high"      # "a major contributor to transition"
    assert reading_rule("PR.SVT", "design_transition") == "medium"    # kept high by an override
    assert reading_rule("PR.DEP", "deliver_support") == "none"        # not described for a "mainly" practice
    assert reading_rule("PR.INC", "improve") == "medium"              # "key input", but INC is "mainly"


def test_the_issue_18_cells_are_settled(fw):
    """Each cell the review found off the rule is now either the rule's value or a reasoned override."""
    applied = {("PR.RLM", "plan"): "high", ("PR.SVT", "improve"): "high", ("PR.CHG", "design_transition"): "high"}
    overridden = {("PR.PJM", "engage"): "medium", ("PR.STM", "plan"): "high", ("PR.SUP", "engage"): "high",
                  ("PR.RLM", "engage"): "high", ("PR.REL", "design_transition"): "high",
                  ("PR.SD", "engage"): "high", ("PR.SD", "design_transition"): "high",
                  ("PR.SDK", "deliver_support"): "high", ("PR.SVT", "design_transition"): "high",
                  ("PR.SDM", "obtain_build"): "high", ("PR.KM", "design_transition"): "high"}
    for (pid, act), value in applied.items():
        assert fw.get(pid).value_chain[act] == value and act not in fw.get(pid).value_chain_overrides
    for (pid, act), value in overridden.items():
        assert fw.get(pid).value_chain[act] == value and act in fw.get(pid).value_chain_overrides
    assert fw.get("PR.KM").value_chain["obtain_build"] == "high"  # "as with obtain/build": the same weight


def test_purposes_keep_the_papers_meaning(fw):
    itam = fw.get("PR.ITAM").purpose
    assert "value" in itam and all(w in itam for w in ("buy", "reuse", "retire", "dispose"))
    assert "performing" in fw.get("PR.SCON").purpose
    assert "could" in fw.get("PR.PRB").purpose  # potential causes, not only actual ones
    assert "cost" not in fw.get("PR.AVM").purpose and "levels agreed" in fw.get("PR.AVM").purpose


def test_design_platform_software_and_supplier_purposes_keep_the_papers_scope(fw):
    sd = fw.get("PR.SD").purpose
    assert all(w in sd for w in ("fit for purpose", "fit for use", "partners and suppliers", "ecosystem"))
    ipm = fw.get("PR.IPM").purpose
    assert "monitor the technology" in ipm and "providers" in ipm  # technology watch, suppliers' included
    sdm = fw.get("PR.SDM").purpose
    assert all(w in sdm for w in ("reliability", "maintenance", "comply", "audited"))
    sup = fw.get("PR.SUP").purpose
    assert "collaborative relationships with the key suppliers" in sup and "risk of failure" in sup


def test_a_practice_the_paper_makes_responsible_for_an_activity_weighs_high_in_each_such_activity(fw):
    """The same words earn the same weight: relationship management is responsible for engage and for
    deliver and support alike, as supplier management is for engage; each says so in its override."""
    for pid, act in (("PR.RLM", "engage"), ("PR.RLM", "deliver_support"), ("PR.SUP", "engage")):
        p = fw.get(pid)
        assert p.value_chain[act] == "high" and "responsible" in p.value_chain_overrides[act], (pid, act)
    # Raised by the rule's own words ("critical success measures", "essential aspects of planning"),
    # so they need no override.
    for pid, act in (("PR.SVT", "improve"), ("PR.RLM", "plan")):
        assert reading_rule(pid, act) == fw.get(pid).value_chain[act] == "high"
        assert act not in fw.get(pid).value_chain_overrides


def test_ids_are_unique_and_readable(fw):
    # Read the files themselves: the loaded index is a dict, so it cannot show a duplicate.
    import yaml

    from dsm_assess.core.paths import questionnaires_dir

    def ids_in(node):
        if isinstance(node, dict):
            yield from ([node["id"]] if "id" in node else [])
            for k, v in node.items():
                if k != "topics":  # a topic id is unique within its subject only
                    yield from ids_in(v)
        elif isinstance(node, list):
            for v in node:
                yield from ids_in(v)

    ids = [i for path in sorted((questionnaires_dir()).glob("[fbi]*/**/*.yaml"))
           for i in ids_in(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert len(ids) > 500 and len(ids) == len(set(ids))
    assert all(re.fullmatch(r"PR\.[A-Z]+", p.id) for p in fw.practices)
    assert all(re.fullmatch(r"DSM\.[A-Z]+", a.id) for a in fw.areas)


def test_capability_mapping_points_at_real_subjects(fw):
    for cap in fw.capabilities:
        assert cap.practices, cap.id
        for ref in (*cap.practices, *cap.areas):
            assert fw.get(ref)


def test_framework_is_immutable(fw):
    with pytest.raises(ValidationError):
        fw.version = "9.9.9"
    with pytest.raises(ValidationError):
        fw.practices[0].name = "changed"


def test_unknown_id_is_a_clear_error(fw):
    with pytest.raises(NotFound, match="PR.NOPE"):
        fw.get("PR.NOPE")


# ---- a corrupted copy gives messages naming file, line and YAML path ----

def messages(root):
    _, problems = read_framework(root)
    return [str(p) for p in problems]


def test_missing_id(questionnaires):
    edit(questionnaires / "framework/practices.yaml", "  - id: PR.INC\n    name", "  - name")
    assert any(re.fullmatch(r"\S*framework/practices\.yaml:\d+: practices\[18\]\.id: required field is missing", m)
               for m in messages(questionnaires)), messages(questionnaires)


def test_duplicate_id(questionnaires):
    edit(questionnaires / "framework/practices.yaml", "id: PR.CI\n", "id: PR.ARC\n")
    msgs = messages(questionnaires)
    assert any("practices.yaml:24: practices[1].id: duplicate id 'PR.ARC' (first defined at" in m
               for m in msgs), msgs


def test_dangling_reference(questionnaires):
    edit(questionnaires / "framework/capabilities.yaml", "practices: [PR.INC,", "practices: [PR.NOPE,")
    msgs = messages(questionnaires)
    assert any(re.search(r"capabilities\.yaml:20: capabilities\[2\]\.practices\[0\]: unknown practice 'PR\.NOPE'", m)
               for m in msgs), msgs


def test_bad_yaml_syntax(questionnaires):
    edit(questionnaires / "framework/areas.yaml", "    name: Data\n", "    name: [Data\n")
    msgs = messages(questionnaires)
    assert any(re.search(r"framework/areas\.yaml:\d+: YAML syntax error", m) for m in msgs), msgs


def test_several_problems_are_reported_together(questionnaires):
    practices = questionnaires / "framework/practices.yaml"
    edit(practices, "group: technical\n    purpose: Build", "group: tech\n    purpose: Build")
    edit(questionnaires / "framework/itspm.yaml", "stage: LC.DESIGN", "stage: LC.NOWHERE")
    edit(practices, "obtain_build: high, deliver_support: none}", "obtain_build: high}")
    with pytest.raises(FrameworkInvalid) as exc:
        load_framework(questionnaires)
    text = str(exc.value)
    assert "practices[33].group: input should be 'general', 'service' or 'technical'" in text
    assert "toll_gates[2].stage: unknown lifecycle stage 'LC.NOWHERE'" in text
    assert "practices[31].value_chain: no contribution given for activity 'deliver_support'" in text
    assert len(exc.value.problems) == 3


def test_wrong_count_is_reported(questionnaires):
    path = questionnaires / "framework/areas.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  - id: DSM.PEOPLE")])
    msgs = messages(questionnaires)
    assert any("areas: 6 found; the framework has 7" in m for m in msgs), msgs


def test_paths_count_items_as_written_even_after_a_broken_one(questionnaires):
    practices = questionnaires / "framework/practices.yaml"
    edit(practices, "id: PR.ARC\n    name: Architecture management\n    group: general",
         "id: PR.ARC\n    name: Architecture management\n    group: generic")
    edit(practices, "{plan: medium, improve: high, engage: medium,", "{plan: medium, improve: high,")
    msgs = messages(questionnaires)
    assert any("practices[0].group" in m for m in msgs), msgs
    assert any("practices[1].value_chain: no contribution given for activity 'engage'" in m for m in msgs), msgs


def test_unknown_top_level_key_is_a_located_problem(questionnaires):
    edit(questionnaires / "framework/areas.yaml", "areas:\n", "areaz: []\nareas:\n")
    _, problems = read_framework(questionnaires)
    [p] = [p for p in problems if "areaz" in str(p)]
    assert p.file.endswith("areas.yaml") and p.line is not None and "unknown top-level key 'areaz'" in p.message


def test_every_subject_file_starts_with_a_comment_on_its_fields():
    from dsm_assess.core.paths import questionnaires_dir
    for path in (questionnaires_dir() / "bank" / "subjects").glob("*.yaml"):
        head = path.read_text(encoding="utf-8").splitlines()[:12]
        assert head[0].startswith("#") and any("guidance" in line for line in head if line.startswith("#")), path


def test_loaded_once_per_process_and_a_changed_file_is_read_again(questionnaires):
    first = load_framework(questionnaires)
    assert load_framework(questionnaires) is first
    edit(questionnaires / "framework/areas.yaml", "name: Functions", "name: Service functions")
    again = load_framework(questionnaires)
    assert again is not first and again.get("DSM.FUNC").name == "Service functions"


def test_disk_cache_never_serves_an_edited_framework(questionnaires, tmp_path, monkeypatch):
    import dsm_assess.framework.model as framework
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    framework._LOADED.clear()
    load_framework(questionnaires)
    assert list((tmp_path / "cache" / "dsm-assess").glob("framework-*.pickle"))
    edit(questionnaires / "framework/areas.yaml", "name: Functions", "name: Service functions")
    framework._LOADED.clear()
    assert load_framework(questionnaires).get("DSM.FUNC").name == "Service functions"


# ---- the initiative library ----

def test_initiatives_are_part_of_the_framework(fw):
    from dsm_assess.framework.model import summary
    assert len(fw.initiatives) >= 80
    assert summary(fw)["initiatives"] == len(fw.initiatives)
    major = fw.get("in.inc.major")
    assert major.id == "IN.INC.MAJOR" and major.type == "quick-win" and major.effort > 0
    assert fw.initiatives_for["PR.INC.L2.02"] == ("IN.INC.MAJOR",)


def test_every_subject_can_be_lifted_through_each_level(fw):
    served = {(fw.subject_of[c], fw.get(c).level) for i in fw.initiatives for c in i.criteria}
    assert {(s.id, lv) for s in fw.subjects for lv in (2, 3, 4, 5)} <= served


def test_initiatives_depend_only_on_known_initiatives_without_cycles(fw):
    from dsm_assess.framework.model import dependency_cycles
    ids = {i.id for i in fw.initiatives}
    assert all(set(i.depends_on) <= ids for i in fw.initiatives)
    assert dependency_cycles({i.id: i.depends_on for i in fw.initiatives}) == []


def test_dependency_cycles_are_named_by_their_path():
    from dsm_assess.framework.model import dependency_cycles
    graph = {"IN.A": ["IN.B"], "IN.B": ["IN.C", "IN.X"], "IN.C": ["IN.A"], "IN.D": ["IN.D"], "IN.E": ["IN.A"]}
    assert dependency_cycles(graph) == [["IN.A", "IN.B", "IN.C", "IN.A"], ["IN.D", "IN.D"]]
    # wherever the search enters the cycle, it is named from the id listed first
    assert dependency_cycles({"IN.E": ["IN.C"], **graph}) == [["IN.A", "IN.B", "IN.C", "IN.A"], ["IN.D", "IN.D"]]


def test_a_dependency_cycle_in_the_library_is_a_located_problem(questionnaires):
    edit(questionnaires / "initiatives/PR.INC.yaml", "    depends_on: []\n", "    depends_on: [IN.INC.CONTROL]\n")
    msgs = messages(questionnaires)
    assert any(re.fullmatch(r"\S*initiatives/PR\.INC\.yaml:\d+: initiatives\[0\]\.depends_on\[0\]: dependency cycle: "
                            r"IN\.INC\.MAJOR -> IN\.INC\.CONTROL -> IN\.INC\.ONEFLOW -> IN\.INC\.MAJOR", m)
               for m in msgs), msgs


def test_an_initiative_serving_an_unknown_criterion_is_a_located_problem(questionnaires):
    edit(questionnaires / "initiatives/PR.INC.yaml", "criteria: [PR.INC.L2.02, PR.INC.L2.03]",
         "criteria: [PR.INC.L2.02, PR.INC.L2.09]")
    msgs = messages(questionnaires)
    assert any(re.fullmatch(r"\S*initiatives/PR\.INC\.yaml:\d+: initiatives\[0\]\.criteria\[1\]: "
                            r"unknown criterion 'PR\.INC\.L2\.09'", m) for m in msgs), msgs
    assert len(msgs) == 1


def test_an_unknown_dependency_is_a_located_problem(questionnaires):
    edit(questionnaires / "initiatives/PR.INC.yaml", "[IN.INC.MAJOR, IN.SCFG.SERVICEMAP]",
         "[IN.INC.MAJOR, IN.SCFG.SERVICEMAPP]")
    msgs = messages(questionnaires)
    assert any(re.fullmatch(r"\S*initiatives/PR\.INC\.yaml:\d+: initiatives\[1\]\.depends_on\[1\]: "
                            r"unknown initiative 'IN\.SCFG\.SERVICEMAPP'", m) for m in msgs), msgs


def test_initiative_files_are_as_strict_as_the_framework(questionnaires):
    path = questionnaires / "initiatives/PR.INC.yaml"
    edit(path, "subject: PR.INC\n", "subject: PR.INCC\nowner: nobody\n")
    edit(path, "    type: quick-win\n", "    type: quick win\n")
    edit(path, "    polism: [OM.PROCESSES, OM.INFORMATION]\n", "    polism: [OM.PROCESS, OM.INFORMATION]\n")
    msgs = messages(questionnaires)
    assert any(m.endswith("PR.INC.yaml:10: owner: unknown top-level key 'owner'; this file has initiatives, subject")
               for m in msgs), msgs
    assert any(m.endswith("PR.INC.yaml:9: subject: unknown subject 'PR.INCC'") for m in msgs), msgs
    assert any(m.endswith(": initiatives[0].type: input should be 'quick-win', 'foundation' or 'transformation'")
               for m in msgs), msgs
    assert any(m.endswith(": initiatives[1].polism[0]: unknown operating model element 'OM.PROCESS'")
               for m in msgs), msgs
    assert len(msgs) == 4


def test_show_lists_every_criterion_of_a_subject_under_its_topic_and_level(cli, fw):
    res = cli("framework", "show", "pr.inc", "--json")
    assert res.exit_code == 0, res.output
    grid = json.loads(res.stdout)["topics"]
    listed = [(cid, t["topic"], level) for t in grid for level, ids in t["levels"].items() for cid in ids]
    expected = [(c.id, c.topic, f"L{c.level}") for c in fw.criteria if c.subject == "PR.INC"]
    assert sorted(listed) == sorted(expected) and len(grid) >= 4


def test_a_retired_id_says_what_became_of_it(cli, fw):
    gone = next(g for g in fw.retired if g.kind == "split")
    res = cli("framework", "show", gone.id.lower())
    assert res.exit_code == 1
    into = ", ".join(gone.replaced_by)
    assert f"{gone.id} was retired in question bank {gone.since}: split into {into}" in res.stderr


def test_bank_changes_lists_every_retired_id(cli, fw):
    res = cli("bank", "changes", "--json")
    assert res.exit_code == 0, res.output
    listed = json.loads(res.stdout)
    assert [g["id"] for g in listed] == [g.id for g in fw.retired] and listed
    assert all(g["kind"] in ("same", "replaced", "split", "merged", "dropped") and g["reason"] for g in listed)
    newer = json.loads(cli("bank", "changes", "--since", "2.0.0", "--json").stdout)
    assert [g["id"] for g in newer] == [g.id for g in fw.retired if g.since == "2.1.0"]
    assert json.loads(cli("bank", "changes", "--since", "2.1.0", "--json").stdout) == []
    text = cli("bank", "changes").stdout
    assert f"{len(listed)} retired ids" in text


# ---- the ITSPM toll-gates and the operating model, as the papers state them ----

def test_tg2_artefacts_are_due_at_tg3_when_tg2_is_skipped(fw):
    tg2 = fw.get("TG2")
    assert tg2.optional and "TG3" in tg2.when_skipped
    assert all(w in tg2.when_skipped.lower() for w in ("roadmap", "release plan", "business case"))
    assert [g.id for g in fw.toll_gates if g.when_skipped] == ["TG2"]  # only an optional gate can be skipped


def test_tg5_reviews_both_improvement_plans(fw):
    inputs = [i.lower() for i in fw.get("TG5").inputs]
    assert "service improvement plan" in inputs and "service delivery improvement plan" in inputs


def test_toll_gate_outcomes_as_the_paper_gives_them(fw):
    assert "TG2 or TG3" in fw.get("TG1").on_success and "TG3" in fw.get("TG2").on_success
    assert "funding is approved" in fw.get("TG3").on_success.lower()
    assert "improvement" in fw.get("TG5").on_failure and "roadmap" in fw.get("TG5").on_failure
    # TG6 is the final sign-off to stop offering the service; failing it means reviewing the roadmap or
    # communicating with customers to move them off.
    tg6 = fw.get("TG6")
    assert "final sign-off" in tg6.decides and "catalogue" in tg6.on_success
    assert "communications" in tg6.on_failure and any("consumption reports" in i for i in tg6.inputs)
    assert "until" not in fw.get("TG7").on_failure  # the paper adds no condition to a refused phase-out


def test_locations_is_linked_to_no_dsm_area(fw):
    """Neither paper ties where work is done to a DSM area; Sourcing stays with Suppliers."""
    assert fw.get("OM.LOCATIONS").areas == ()
    assert [e.id for e in fw.operating_model if "DSM.SRC" in e.areas] == ["OM.SUPPLIERS"]


def test_governance_describes_the_organisation_and_the_management_system(fw):
    """The fast value co-creation paper puts the governance of IT in both elements."""
    assert [e.id for e in fw.operating_model if "DSM.GOV" in e.areas] == ["OM.ORGANISATION", "OM.MANAGEMENT"]


# ---- what in ITSPM is the paper's and what the kit decided ---------------------------------------

def test_itspm_marks_the_roles_owners_and_gate_stages_the_paper_does_not_give(fw):
    # The paper defines the portfolio and product managers and gives the service line manager TG5's
    # review; it names the IT service manager without a remit.
    assert [r.id for r in fw.roles if r.kit_judgement] == ["ROLE.SERVICE_MANAGER"]
    assert set(fw.get("ROLE.SERVICE_MANAGER").kit_judgement) == {"responsibility"}
    assert "TG5" in fw.get("ROLE.SERVICE_LINE_MANAGER").responsibility
    # It names no owner for any process and maps none to ITIL practices.
    assert all(set(p.kit_judgement) == {"owner", "practices"} for p in fw.itspm_processes)
    # Where each gate sits in the lifecycle is in a figure its text does not carry; all else is its table.
    assert all(set(g.kit_judgement) == {"stage"} for g in fw.toll_gates)
    assert fw.get("TG3").basis("stage") == "kit judgement" and fw.get("TG3").basis("inputs") == "paper"


def test_framework_show_says_what_is_the_kits_judgement(cli):
    tg3 = json.loads(cli("framework", "show", "TG3", "--json").stdout)
    assert tg3["basis"] == "paper, except stage (kit judgement)" and tg3["kit_judgement"]["stage"]
    owner = json.loads(cli("framework", "show", "ROLE.PORTFOLIO_MANAGER", "--json").stdout)
    assert owner["basis"] == "paper" and "kit_judgement" not in owner
    assert "basis: paper, except owner, practices (kit judgement)" in cli("framework", "show", "ITSPM.VENDOR").stdout


def test_a_judgement_on_a_field_the_item_lacks_is_a_located_problem(questionnaires):
    edit(questionnaires / "framework/itspm.yaml", "    kit_judgement:\n      stage: Placed by the kit from the "
         "gate's purpose; it judges the finished", "    kit_judgement:\n      phase: Placed by the kit from the "
         "gate's purpose; it judges the finished")
    msgs = messages(questionnaires)
    assert any(re.search(r"itspm\.yaml:\d+: toll_gates\[2\]: .*kit_judgement names 'phase', which is not a field", m)
               for m in msgs), msgs


def test_a_floor_on_a_control_says_why(questionnaires):
    path = questionnaires / "framework/dsm.yaml"
    path.write_text("".join(x for x in path.read_text().splitlines(True) if "at_least_why:" not in x))
    msgs = messages(questionnaires)
    assert any(re.search(r"dsm\.yaml:\d+: controls\[3\]: .*a floor on adherence says why", m) for m in msgs), msgs
