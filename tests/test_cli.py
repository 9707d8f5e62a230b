"""The `dsm-assess` command line: shapes scripts rely on, exit codes, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dsm_assess.cli import app

from .conftest import edit


def test_framework_check_json_shape(cli):
    result = cli("framework", "check", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data["version"], str)
    assert data["areas"] == 7
    assert data["practices"] == {"general": 14, "service": 17, "technical": 3}
    assert len(data["value_chain"]) == 34
    assert data["value_chain"]["PR.INC"]["plan"] == "none"
    assert all(set(v.values()) <= {"high", "medium", "none"} for v in data["value_chain"].values())
    assert data["toll_gates"] == 7
    assert isinstance(data["criteria"], dict) and isinstance(data["profiles"], dict)


def test_framework_check_text(cli):
    result = cli("framework", "check")
    assert result.exit_code == 0
    assert "14 general, 17 service, 3 technical" in result.stdout
    assert "toll-gates           7" in result.stdout


def test_framework_check_invalid_exits_1_listing_problems(cli, questionnaires):
    edit(questionnaires / "framework/itspm.yaml", "stage: LC.DESIGN", "stage: LC.NOWHERE")
    edit(questionnaires / "framework/areas.yaml", "  - id: DSM.TOOLS\n", "  - id: DSM.DATA\n")
    result = cli("framework", "check", "--questionnaires", questionnaires)
    assert result.exit_code == 1
    assert "itspm.yaml:" in result.stderr and "unknown lifecycle stage 'LC.NOWHERE'" in result.stderr
    assert "areas.yaml:" in result.stderr and "duplicate id 'DSM.DATA'" in result.stderr
    assert "Traceback" not in result.output


def test_framework_check_invalid_json_lists_problems(cli, questionnaires):
    edit(questionnaires / "framework/itspm.yaml", "stage: LC.DESIGN", "stage: LC.NOWHERE")
    result = cli("framework", "check", "--json", "--questionnaires", questionnaires)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    [problem] = data["problems"]
    assert problem["file"].endswith("itspm.yaml") and problem["where"] == "toll_gates[2].stage"


def test_framework_show_practice(cli):
    result = cli("framework", "show", "PR.INC")
    assert result.exit_code == 0
    assert "name: Incident management" in result.stdout
    assert "deliver_support: high" in result.stdout


def test_framework_show_unknown_id(cli):
    result = cli("framework", "show", "PR.NOPE")
    assert result.exit_code == 1
    assert "unknown framework item 'PR.NOPE'; did you mean PR.SUP" in result.stderr


def _commands(group, path=()):
    for name, cmd in getattr(group, "commands", {}).items():
        yield (*path, name)
        yield from _commands(cmd, (*path, name))


def test_every_command_has_help(cli):
    import typer.main

    commands = list(_commands(typer.main.get_command(app)))
    assert ("framework", "check") in commands
    for path in commands:
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout


def test_console_script_version_and_no_traceback(tmp_path, dsm_assess_process):
    exe = os.path.join(os.path.dirname(sys.executable), "dsm-assess")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("dsm-assess ")
    bad = subprocess.run([exe, "framework", "check", "--questionnaires", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "framework folder not found" in bad.stderr
    assert "Traceback" not in bad.stderr
    # the forked stand-in other tests run (tests/warm_cli.py) answers exactly as the console script
    for args in (["--version"], ["framework", "check", "--questionnaires", str(tmp_path)]):
        real = subprocess.run([exe, *args], capture_output=True, text=True, cwd=tmp_path)
        warm = subprocess.run([*dsm_assess_process, *args], capture_output=True, text=True, cwd=tmp_path)
        assert (warm.returncode, warm.stdout, warm.stderr) == (real.returncode, real.stdout, real.stderr)


@pytest.mark.parametrize("item", ["DSM.DATA", "TG5", "CAP.OPERATE", "ROLE.PRODUCT_MANAGER"])
def test_show_any_kind_of_item(cli, item):
    result = cli("framework", "show", item, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == item


def test_show_a_subject_lists_audiences_and_criteria(cli, fw):
    data = json.loads(cli("framework", "show", "PR.INC", "--json").stdout)
    per_level = {str(lv): sum(c.subject == "PR.INC" and c.level == lv for c in fw.criteria) for lv in (2, 3, 4, 5)}
    assert data["criteria"] == per_level and "incident manager" in data["audiences"]
    crit = json.loads(cli("framework", "show", "PR.INC.L3.01", "--json").stdout)
    assert (crit["subject"], crit["subject_name"], crit["level"]) == ("PR.INC", "Incident management", 3)
    assert crit["statement"].endswith(".")


def test_help_does_not_import_pandas_or_openpyxl():
    # Heavy libraries are imported by the commands that use them, so --help starts quickly.
    code = "import sys, dsm_assess.cli; print(sorted(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ids_match_case_insensitively_and_unknown_ones_suggest(cli):
    assert json.loads(cli("framework", "show", "pr.inc", "--json").stdout)["id"] == "PR.INC"
    assert json.loads(cli("framework", "show", "pr.inc.l3.01", "--json").stdout)["id"] == "PR.INC.L3.01"
    result = cli("framework", "show", "PR.INCC")
    assert result.exit_code == 1 and "did you mean PR.INC" in result.stderr


def test_scope_and_subjects_accept_any_case(cli, root):
    created = cli("engagement", "new", "beta", "--client", "B", "--scope", "pr.inc,dsm.data", "--root", root)
    assert created.exit_code == 0
    assert cli("engagement", "add-respondent", "beta", "--name", "A", "--email", "a@b.example.com", "--role", "r",
               "--subjects", "Pr.Inc", "--root", root).exit_code == 0
    data = json.loads(cli("engagement", "show", "beta", "--json", "--root", root).stdout)
    assert data["scope"] == ["PR.INC", "DSM.DATA"] and data["respondents"][0]["subjects"] == ["PR.INC"]


def test_boolean_options_are_flags(cli):
    result = cli("framework", "check", "--json", "true")
    assert result.exit_code == 2  # a usage error from the parser, not a value the flag takes


def test_consensus_show_json(cli, acme, root):
    cli("consensus", "set", "acme", "pr.inc.l3.01", "L", "--rationale", "Agreed", "--root", root)
    data = json.loads(cli("consensus", "show", "acme", "--json", "--root", root).stdout)
    [row] = data["consensus"]
    assert (row["criterion_id"], row["rating"], row["rationale"]) == ("PR.INC.L3.01", "L", "Agreed")


def test_framework_check_counts_the_initiatives(cli, fw):
    data = json.loads(cli("framework", "check", "--json").stdout)
    assert data["initiatives"] == len(fw.initiatives) >= 80
    assert f"initiatives          {len(fw.initiatives)} (" in cli("framework", "check").stdout


def test_framework_show_an_initiative(cli):
    data = json.loads(cli("framework", "show", "in.inc.oneflow", "--json").stdout)
    assert data["id"] == "IN.INC.ONEFLOW" and data["depends_on"] == ["IN.INC.MAJOR", "IN.SCFG.SERVICEMAP"]
    assert data["serves"] == {"PR.INC": [2, 3]}
    assert "IN.INC.CONTROL" in data["required_by"]
    crit = json.loads(cli("framework", "show", "PR.INC.L3.02", "--json").stdout)
    assert crit["initiatives"] == ["IN.INC.ONEFLOW"]


# ---- roadmap ----

@pytest.fixture
def sample(fw, root):
    """A generated engagement with gaps to plan."""
    from dsm_assess.demo.generate import generate_engagement
    generate_engagement(fw, "sample", respondents=3, seed=2, pattern="struggling", profile="quick-scan", root=root)
    return "sample"


def test_roadmap_json_shape(cli, sample, root):
    result = cli("roadmap", sample, "--json", "--root", root, "--waves", "3", "--capacity", "30",
                 "--start", "2026-03-02")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["waves", "initiatives", "projection", "open_gaps", "value", "size"]
    assert [w["index"] for w in data["waves"]] == [1, 2, 3]
    first = data["waves"][0]
    assert first == {"index": 1, "start": "2026-03-02", "end": "2026-05-24", "capacity": 30,
                     "effort": first["effort"], "unused": round(30 - first["effort"], 2)}
    assert all(0 < w["effort"] <= 30 for w in data["waves"])
    assert data["initiatives"] and all(set(i) == {"id", "title", "wave", "start", "end", "effort", "depends_on",
                                                  "closes", "serves", "waits_for", "needed_by", "pinned", "delivered",
                                                  "duration", "basis", "reference_effort", "reference_duration",
                                                  "subjects"}
                                       for i in data["initiatives"])
    # no size: given, so every figure is the reference organisation's, said to be so
    assert data["size"] and all(not d["given"] and d["value"] == d["reference"] for d in data["size"].values())
    for i in data["initiatives"]:   # the gaps it serves, with their priority, or it is needed by one that does
        assert [s["subject"] for s in i["serves"]] == i["closes"] and (i["serves"] or i["needed_by"] or i["pinned"])
        assert all(s["priority"] > 0 and s["criteria"] for s in i["serves"])
    assert all(set(p) == {"wave", "subject", "level", "score"} for p in data["projection"])
    assert {p["wave"] for p in data["projection"]} == {0, 1, 2, 3}
    assert data["open_gaps"] and all({"subject", "reason", "kind"} <= set(g) for g in data["open_gaps"])
    kinds = {"capacity", "horizon", "dependency", "excluded", "unreachable"}
    assert all(g["reason"].split(":")[0] == g["kind"] and g["kind"] in kinds for g in data["open_gaps"])
    value = data["value"]
    assert value["used"] == [w["effort"] for w in data["waves"]] and value["method"] == "solver"
    assert value["subjects_raised"] == len(value["levels_gained"]) > 0 and value["weighted"] > 0
    assert value["mean_score"]["after"] > value["mean_score"]["before"]
    assert [h["wave"] for h in value["next_horizon"]] == [4, 5]


def test_roadmap_table_csv_and_plan_are_the_same_plan(cli, sample, root, tmp_path):
    table = cli("roadmap", sample, "--root", root)
    assert table.exit_code == 0, table.output
    assert "Roadmap for Sample client 2 (sample): 4 waves of 12 weeks from 2026-02-16" in table.stdout
    assert "Projected level (score) per subject after each wave" in table.stdout
    assert cli("roadmap", "plan", sample, "--root", root).stdout == table.stdout
    written = cli("roadmap", sample, "--root", root, "--format", "csv", "--out-dir", tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"sample-roadmap-{n}.csv" for n in ("initiatives", "open-gaps", "projection", "waves")]
    assert written.stdout.count("\n") == 4


def test_roadmap_pin_and_exclude_change_the_plan(cli, sample, root):
    assert cli("roadmap", "pin", sample, "in.sup.register", "--wave", "3", "--root", root).exit_code == 0
    excluded = cli("roadmap", "exclude", sample, "IN.INC.MAJOR", "--root", root)
    assert excluded.exit_code == 0 and "excluded IN.INC.MAJOR in " in excluded.stdout
    data = json.loads(cli("roadmap", sample, "--json", "--root", root).stdout)
    waves = {i["id"]: i["wave"] for i in data["initiatives"]}
    assert waves["IN.SUP.REGISTER"] == 3 and "IN.INC.MAJOR" not in waves
    text = (root / sample / "engagement.yaml").read_text()
    assert "planning:\n  pinned:\n    IN.SUP.REGISTER: 3\n  excluded:\n  - IN.INC.MAJOR\n" in text


@pytest.mark.parametrize("args, message", [
    (("roadmap", "pin", "sample", "IN.INC.MAJR"), "unknown initiative 'IN.INC.MAJR'; did you mean IN.INC.MAJOR"),
    (("roadmap", "sample", "--capacity", "0"), "--capacity: 0 person-weeks; give a number of at least 1"),
    (("roadmap", "sample", "--start", "2026-13-01"), "--start: '2026-13-01' is not a date"),
    (("roadmap", "nosuch"), "no engagement 'nosuch'"),
])
def test_roadmap_mistakes_exit_1(cli, sample, root, args, message):
    result = cli(*args, "--root", root)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_roadmap_usage_errors_exit_2(cli, sample, root):
    assert cli("roadmap", sample, "--format", "pdf", "--root", root).exit_code == 2
    assert cli("roadmap", sample, "--waves", "0", "--root", root).exit_code == 2


def test_long_subject_names_are_shortened_at_a_word_in_tables(cli, acme, root):
    result = cli("score", "acme", "--root", root)
    assert result.exit_code == 0, result.output
    assert "Infrastructure and platform …" in result.stdout and "manageme " not in result.stdout


def test_target_list_names_each_subject(cli, acme, root):
    assert cli("target", "set", "acme", "PR.INC", "3", "--reason", "major incidents", "--root", root).exit_code == 0
    result = cli("target", "list", "acme", "--root", root)
    assert "PR.INC     Incident management  3  manual   major incidents" in result.stdout


def test_help_shows_no_value_for_a_flag(cli):
    from .test_no_traceback import COMMANDS

    for path in [(), ("target",), *(p for p, _ in COMMANDS)]:
        result = cli(*path, "--help")
        assert result.exit_code == 0 and "<bool>" not in result.stdout, (path, result.stdout)
