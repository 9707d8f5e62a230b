"""Target operating model: validation, every consistency rule, the proposal, the links."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from dsm_assess.core.errors import InvalidInput
from dsm_assess.engagement.spec import load_engagement
from dsm_assess.planning.tom import check, elements_of, gap_links, load_tom, proposal, propose

STAGES = ("STG.DISCOVERY", "STG.ALPHA", "STG.BETA", "STG.LIVE")
CLEAN = {
    "products": [{"id": "payroll", "name": "Payroll", "type": "application", "owner": "Head of HR systems",
                  "stage": "live", "consumes": {"hosting": "shared", "desk": "supplier"}},
                 {"id": "portal", "name": "Citizen portal", "type": "application", "owner": "Digital lead",
                  "stage": "beta", "consumes": {"hosting": "product"}}],
    "capabilities": [{"id": "hosting", "name": "Cloud hosting", "kind": "technology", "provider": "Platform team",
                      "sourcing": "outsourced", "supplier": "CloudCo", "agreement": "UC"},
                     {"id": "desk", "name": "Service desk", "kind": "service", "provider": "DeskCo",
                      "sourcing": "insourced"}],
    "controls": {c: dict(zip(STAGES, ("optional", "optional", "recommended", "mandatory"), strict=True))
                 for c in ("CTL.STRATEGY", "CTL.GOVERNANCE", "CTL.PROCESSES")}
                | {"CTL.POLICIES": dict.fromkeys(STAGES, "mandatory")},   # regulation binds at every stage
    "practice_sourcing": {"PR.SDK": {"sourcing": "outsourced", "supplier": "DeskCo", "agreement": "UC"}},
    "roles": {"ROLE.PORTFOLIO_MANAGER": "Ana Ruiz"},
    "practice_owners": {"PR.INC": "Head of service operations", "PR.SLM": "Service level manager"},
    "toll_gates": {f"TG{i}": {"forum": "Portfolio board"} for i in (1, 3, 4, 5, 6, 7)} | {"TG2": {"skipped": True}},
    "data_model": {"DM.USERS": "HR system", "DM.BUSINESS_UNITS": "Finance system", "DM.PRODUCTS": "CMDB",
                   "DM.INTEGRATIONS": "CMDB", "DM.CAPABILITIES": "CMDB", "DM.AGREEMENTS": "contract register",
                   "DM.SUPPLIERS": "contract register", "DM.CMDB": "CMDB"},
}
TARGETS = {"PR.INC": 4, "DSM.DATA": 3, "PR.SLM": 2}


def design(acme, root, tom) -> tuple:
    path = root / "acme" / "engagement.yaml"
    path.write_text(path.read_text(encoding="utf-8") + yaml.safe_dump({"tom": tom}, sort_keys=False),
                    encoding="utf-8")
    return path


def findings(fw, root, tom, targets=TARGETS):
    design(None, root, tom)
    eng = load_engagement("acme", root, fw)
    t, doc = load_tom(fw, eng, root)
    return check(fw, t, doc, targets)


def test_a_clean_design_has_no_findings(fw, acme, root):
    assert findings(fw, root, CLEAN) == []


@pytest.mark.parametrize("rule, change, where", [
    ("product-owner", lambda t: t["products"][1].pop("owner"), "tom.products[1].owner"),
    ("live-governance", lambda t: t["controls"]["CTL.GOVERNANCE"].update(dict.fromkeys(STAGES, "optional")),
     "tom.controls.CTL.GOVERNANCE.STG.LIVE"),
    ("controls-tighten", lambda t: t["controls"]["CTL.PROCESSES"].update({"STG.LIVE": "recommended",
                                                                          "STG.BETA": "mandatory"}),
     "tom.controls.CTL.PROCESSES.STG.LIVE"),
    ("capability-provider", lambda t: t["capabilities"][1].pop("provider"), "tom.capabilities[1].provider"),
    ("outsourced-agreement", lambda t: t["capabilities"][0].pop("agreement"), "tom.capabilities[0].agreement"),
    ("outsourced-agreement", lambda t: t["practice_sourcing"]["PR.SDK"].pop("agreement"),
     "tom.practice_sourcing.PR.SDK.agreement"),
    ("outsourced-supplier", lambda t: t["capabilities"][0].pop("supplier"), "tom.capabilities[0].supplier"),
    ("outsourced-supplier", lambda t: t["practice_sourcing"]["PR.SDK"].pop("supplier"),
     "tom.practice_sourcing.PR.SDK.supplier"),
    ("sourcing-contradiction", lambda t: t["practice_sourcing"]["PR.SDK"].update(sourcing="insourced",
                                                                                  agreement=None),
     "tom.practice_sourcing.PR.SDK.supplier"),
    ("toll-gate-forum", lambda t: t["toll_gates"]["TG4"].update({"forum": ""}), "tom.toll_gates.TG4.forum"),
    ("toll-gate-forum", lambda t: t["toll_gates"].pop("TG2"), "tom.toll_gates"),
    ("practice-owner", lambda t: t["practice_owners"].pop("PR.INC"), "tom.practice_owners"),
    ("practice-owner", lambda t: t["practice_owners"].update({"PR.SLM": ""}), "tom.practice_owners.PR.SLM"),
    ("control-minimum", lambda t: t["controls"]["CTL.POLICIES"].update({"STG.DISCOVERY": "recommended"}),
     "tom.controls.CTL.POLICIES.STG.DISCOVERY"),
    ("outsourced-agreement", lambda t: t["capabilities"][0].update(agreement="OLA"), "tom.capabilities[0].agreement"),
    ("outsourced-agreement", lambda t: t["practice_sourcing"]["PR.SDK"].update(agreement="SLA"),
     "tom.practice_sourcing.PR.SDK.agreement"),
    ("sourcing-contradiction", lambda t: t["capabilities"][1].update(agreement="UC"), "tom.capabilities[1].agreement"),
    ("data-entity", lambda t: t["data_model"].update({"DM.SUPPLIERS": "nowhere"}), "tom.data_model.DM.SUPPLIERS"),
])
def test_each_rule_is_triggered_where_the_problem_is(fw, acme, root, rule, change, where):
    tom = json.loads(json.dumps(CLEAN))
    change(tom)
    [f] = findings(fw, root, tom)
    assert (f.rule, f.where) == (rule, where) and f.line is not None and f.file.endswith("engagement.yaml")


def test_a_practice_needs_an_owner_from_target_level_2_and_the_data_model_from_level_3(fw, acme, root):
    """The ladder puts a named owner at level 2; recording every data model entity is level 3 work."""
    tom = json.loads(json.dumps(CLEAN))
    tom["practice_owners"] = {}
    tom["data_model"] = {}
    design(None, root, tom)
    t, doc = load_tom(fw, load_engagement("acme", root, fw), root)
    assert check(fw, t, doc, {"PR.INC": 1, "DSM.DATA": 2}) == []
    [owner] = check(fw, t, doc, {"PR.INC": 2, "DSM.DATA": 2})
    assert (owner.rule, owner.message) == ("practice-owner", "Incident management is targeted at level 2 but no role "
                                                             "owns it")


def test_a_bad_value_is_a_located_problem(fw, acme, root):
    tom = json.loads(json.dumps(CLEAN))
    tom["products"][0]["stage"] = "production"
    design(None, root, tom)
    with pytest.raises(InvalidInput) as err:
        load_tom(fw, load_engagement("acme", root, fw), root)
    text = str(err.value)
    assert "engagement.yaml:" in text and "tom.products[0].stage: input should be 'discovery'" in text


def test_unknown_ids_are_reported_together(fw, acme, root):
    tom = json.loads(json.dumps(CLEAN))
    tom["products"][0]["consumes"]["network"] = "shared"
    tom["controls"]["CTL.MAGIC"] = {"STG.LIVE": "mandatory"}
    tom["toll_gates"]["TG3"]["skipped"] = True
    design(None, root, tom)
    with pytest.raises(InvalidInput) as err:
        load_tom(fw, load_engagement("acme", root, fw), root)
    text = str(err.value)
    assert "tom.products[0].consumes.network: unknown capability 'network'" in text
    assert "tom.controls.CTL.MAGIC: unknown DSM control" in text and "TG3 is not an optional toll-gate" in text


def subjects_table(rows):
    return pd.DataFrame(rows, columns=["id", "level", "score", "target", "gap"])


def test_propose_fills_only_what_is_missing_and_a_second_run_adds_nothing(cli, fw, acme, root):
    path = design(None, root, {"controls": {"CTL.GOVERNANCE": {"STG.LIVE": "recommended"}},
                               "practice_owners": {"PR.INC": "Ops lead"}})
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed with the client\n", encoding="utf-8")
    scored = subjects_table([("PR.INC", 2, 2.4, 4, 2), ("PR.CHG", 1, 1.8, 3, 2), ("DSM.SRC", 2, 2.2, 3, 1)])
    added = propose(fw, load_engagement("acme", root, fw), scored, root)
    text = path.read_text(encoding="utf-8")
    assert "# reviewed with the client" in text
    eng = load_engagement("acme", root, fw)
    assert eng.tom["controls"]["CTL.GOVERNANCE"]["STG.LIVE"] == "recommended"  # the consultant's choice stays
    assert eng.tom["controls"]["CTL.GOVERNANCE"]["STG.DISCOVERY"] == "optional"
    assert eng.tom["controls"]["CTL.POLICIES"]["STG.BETA"] == "mandatory"
    assert eng.tom["practice_owners"] == {"PR.INC": "Ops lead", "PR.CHG": None}
    assert set(eng.tom["toll_gates"]) == {f"TG{i}" for i in range(1, 8)}
    assert eng.tom["toll_gates"]["TG4"]["on_success"] == fw.get("TG4").on_success
    assert "Sourcing:" in " ".join(eng.tom["questions"])  # the Sourcing area is below target
    assert set(added) >= {"controls", "toll_gates", "practice_owners", "polism", "data_model", "questions"}
    assert propose(fw, eng, scored, root) == {}
    assert path.read_text(encoding="utf-8") == text


def test_closing_a_gap_names_the_operating_model_elements_it_changes(fw):
    assert elements_of(fw, "DSM.DATA") == ["OM.INFORMATION"] and "OM.INFORMATION" not in elements_of(fw, "DSM.SRC")
    assert elements_of(fw, "PR.SUP")[0] == "OM.PROCESSES" and "OM.SUPPLIERS" in elements_of(fw, "PR.SUP")
    links = gap_links(fw, subjects_table([("PR.INC", 2, 2.4, 4, 2), ("PR.SLM", 3, 3.1, 3, 0)]))
    assert [link["subject"] for link in links] == ["PR.INC"] and links[0]["gap"] == 2
    # a practice whose criteria mostly inform the Data or Tools area changes the Information element
    info_areas = set(fw.get("OM.INFORMATION").areas)
    share = {p.id: sum(bool(info_areas & set(c.informs)) for c in fw.criteria if c.subject == p.id) /
             sum(c.subject == p.id for c in fw.criteria) for p in fw.practices}
    most = max(share, key=share.get)
    assert share[most] >= 0.25 and "OM.INFORMATION" in elements_of(fw, most)


def test_tom_check_json_and_exit_code(cli, acme, root):
    design(None, root, CLEAN)
    result = cli("tom", "check", "acme", "--json", "--root", root)
    data = json.loads(result.stdout)
    assert set(data) == {"findings"} and all({"rule", "where", "message"} <= set(f) for f in data["findings"])
    assert result.exit_code == (1 if data["findings"] else 0)


def test_proposal_is_empty_for_a_complete_design(fw):
    from dsm_assess.planning.tom import Tom
    full = Tom.model_validate({**CLEAN, "toll_gates": {f"TG{i}": {"forum": "Board"} for i in range(1, 8)},
                               "roles": {r.id: "x" for r in fw.roles},
                               "controls": {c.id: dict.fromkeys(STAGES, "mandatory") for c in fw.controls},
                               "polism": {e.id: {"today": "a", "target": "b"} for e in fw.operating_model}})
    assert proposal(fw, full, subjects_table([("PR.INC", 4, 4.0, 4, 0)])) == {}


def test_a_skipped_gate_says_where_its_artefacts_go_and_an_unlinked_element_says_it_is_unassessed(fw):
    from dsm_assess.planning.tom import Tom, show_text
    tom = Tom.model_validate(CLEAN)
    line = next(x for x in show_text(fw, tom).splitlines() if x.strip().startswith("TG2 "))
    assert line.strip().startswith("TG2 Service feasibility: skipped (") and "TG3" in line
    assert "TG3 Service realisation: Portfolio board" in show_text(fw, tom)
    canvas = proposal(fw, tom, subjects_table([("DSM.SRC", 2, 2.0, 3, 1)]))["polism"]
    assert canvas["OM.LOCATIONS"]["today"] == "Not covered by the assessment."
    assert canvas["OM.SUPPLIERS"]["today"].startswith("Assessed: Sourcing level 2")


def test_propose_gives_every_practice_check_wants_an_owner_its_own_slot(fw, acme, root):
    from dsm_assess.planning.tom import OWNER_FROM_LEVEL, targets_of
    scored = subjects_table([("PR.INC", 3, 3.4, 3, 0), ("PR.CHG", 1, 1.8, 4, 3), ("PR.SLM", 2, 2.0, 2, 0)])
    propose(fw, load_engagement("acme", root, fw), scored, root)
    eng = load_engagement("acme", root, fw)
    assert eng.tom["practice_owners"] == {"PR.INC": None, "PR.CHG": None, "PR.SLM": None}  # on target too
    tom, doc = load_tom(fw, eng, root)
    owners = [f for f in check(fw, tom, doc, targets_of(scored)) if f.rule == "practice-owner"]
    assert len(owners) == 3 and OWNER_FROM_LEVEL == 2
    assert len({f.line for f in owners}) == 3   # each on its own line, not all on `practice_owners:`


def test_a_supplier_is_held_to_an_underpinning_contract_and_an_ola_binds_internal_teams(fw, acme, root):
    tom = json.loads(json.dumps(CLEAN))
    tom["capabilities"][0]["agreement"] = "OLA"                    # outsourced to CloudCo under an OLA
    tom["capabilities"][1]["agreement"] = "OLA"                    # insourced under an OLA: as it should be
    tom["practice_sourcing"]["PR.SDK"].pop("agreement")
    messages = {f.where: f.message for f in findings(fw, root, tom)}
    assert messages == {
        "tom.capabilities[0].agreement": "capability 'Cloud hosting' is outsourced under an OLA, but an OLA is an "
                                         "agreement between internal teams: 'CloudCo' should be held to an "
                                         "underpinning contract (UC)",
        "tom.practice_sourcing.PR.SDK.agreement": "Service desk is outsourced but has no underpinning contract (UC) "
                                                  "with 'DeskCo'"}


def test_policies_and_standards_are_mandatory_at_every_stage(fw, acme, root):
    """Regulatory policy binds from discovery on: propose says so and check holds a design to it."""
    assert fw.get("CTL.POLICIES").at_least == "mandatory"
    add = proposal(fw, load_tom(fw, load_engagement("acme", root, fw), root)[0], subjects_table([]))
    assert add["controls"]["CTL.POLICIES"] == dict.fromkeys(STAGES, "mandatory")
    assert add["controls"]["CTL.GOVERNANCE"]["STG.DISCOVERY"] == "optional"   # the others stay light early
    tom = json.loads(json.dumps(CLEAN))
    tom["controls"]["CTL.POLICIES"] = {"STG.DISCOVERY": "optional", "STG.ALPHA": "recommended",
                                       "STG.BETA": "mandatory", "STG.LIVE": "mandatory"}
    found = findings(fw, root, tom)
    assert [(f.rule, f.where) for f in found] == [("control-minimum", "tom.controls.CTL.POLICIES.STG.DISCOVERY"),
                                                  ("control-minimum", "tom.controls.CTL.POLICIES.STG.ALPHA")]
    assert found[0].message.startswith("Policies and standards is optional at the Discovery stage but must be "
                                       "mandatory at every stage: regulatory policy")


def test_governance_informs_the_organisation_and_the_management_system(fw):
    assert elements_of(fw, "DSM.GOV") == ["OM.ORGANISATION", "OM.MANAGEMENT"]
    from dsm_assess.planning.tom import Tom
    canvas = proposal(fw, Tom(), subjects_table([("DSM.GOV", 2, 2.3, 3, 1)]))["polism"]
    assert "Governance level 2" in canvas["OM.ORGANISATION"]["today"]
    assert canvas["OM.MANAGEMENT"]["today"] == "Assessed: Governance level 2 (score 2.3, target 3)."


def test_tom_show_marks_a_role_whose_remit_is_the_kits_judgement(fw):
    from dsm_assess.planning.tom import Tom, show_text
    text = show_text(fw, Tom.model_validate({"roles": {"ROLE.PORTFOLIO_MANAGER": "Ana Ruiz",
                                                       "ROLE.SERVICE_MANAGER": "Ben Okafor"}}))
    assert "  IT service portfolio manager: Ana Ruiz" in text.splitlines()
    assert "  IT service manager *: Ben Okafor" in text.splitlines()
    assert "* its remit is the kit's judgement, not the ITSPM paper's" in text
