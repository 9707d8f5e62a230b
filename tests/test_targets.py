"""Targets and business context from the command line: engagement.yaml edited in place, audited."""

from __future__ import annotations

import json

from dsm_assess.store.sqlite import open_store

from .conftest import edit


def test_target_set_list_and_clear_keep_the_files_comments(cli, acme, root):
    path = root / "acme" / "engagement.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# agreed with the CIO on 3 March\n", encoding="utf-8")
    assert cli("target", "set", "acme", "pr.inc", "4", "--reason", "Board wants fewer outages", "--root", root) \
        .exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "# agreed with the CIO on 3 March" in text
    assert "PR.INC: {level: 4, reason: Board wants fewer outages}" in text
    data = json.loads(cli("target", "list", "acme", "--json", "--root", root).stdout)
    assert data["targets"] == [{"subject": "PR.INC", "level": 4, "source": "manual",
                                "reason": "Board wants fewer outages"}]
    assert cli("target", "clear", "acme", "PR.INC", "--root", root).exit_code == 0
    assert json.loads(cli("target", "list", "acme", "--json", "--root", root).stdout)["targets"] == []
    assert "# agreed with the CIO on 3 March" in path.read_text(encoding="utf-8")
    with open_store(root / "acme") as store:
        actions = store.audit_log()["action"].tolist()
    assert actions[-2:] == ["target set", "target cleared"]


def test_derived_targets_say_where_they_come_from(cli, acme, root):
    assert cli("business-context", "set", "acme", "CAP.OPERATE=5", "cap.invest=2", "--root", root).exit_code == 0
    rows = {r["subject"]: r for r in json.loads(cli("target", "list", "acme", "--json", "--root", root).stdout)
            ["targets"]}
    # incident management supports CAP.OPERATE (demand 5 -> target 4); service level management
    # supports only CAP.COCREATE, not rated: floor(median(5, 2)) = 3 -> target 3
    assert rows["PR.INC"] == {"subject": "PR.INC", "level": 4, "source": "derived",
                              "reason": "demand 5 from CAP.OPERATE"}
    assert (rows["PR.SLM"]["level"], rows["PR.SLM"]["source"]) == (3, "derived")
    assert "median" in rows["PR.SLM"]["reason"]
    with open_store(root / "acme") as store:
        assert store.audit_log()["action"].tolist()[-1] == "business context set"


def test_bad_target_and_context_values_are_refused(cli, acme, root):
    before = (root / "acme" / "engagement.yaml").read_text(encoding="utf-8")
    for args, message in ((["target", "set", "acme", "PR.INC", "7", "--reason", "x"], "must be 1 to 5"),
                          (["target", "set", "acme", "PR.INC", "3", "--reason", "  "], "needs a reason"),
                          (["target", "set", "acme", "PR.NOPE", "3", "--reason", "x"], "did you mean"),
                          (["business-context", "set", "acme", "CAP.OPERATE=9"], "from 1 to 5"),
                          (["business-context", "set", "acme", "CAP.OPERATE"], "write CAPABILITY=LEVEL")):
        result = cli(*args, "--root", root)
        assert result.exit_code == 1 and message in result.stderr, (args, result.output)
    assert (root / "acme" / "engagement.yaml").read_text(encoding="utf-8") == before


def test_shorthand_target_without_reason_is_named_with_its_line(cli, acme, root):
    path = root / "acme" / "engagement.yaml"
    edit(path, "targets: {}\n", "targets:\n  PR.SDK: 4\n  PR.NOPE: {level: 3, reason: x}\n")
    edit(path, "profile: quick-scan", "profile: quick")
    result = cli("engagement", "show", "acme", "--root", root)
    lines = result.stderr.splitlines()
    sdk = next(line for line in lines if "PR.SDK" in line)
    assert "engagement.yaml:" in sdk and "targets.PR.SDK: manual target for PR.SDK needs a reason" in sdk
    assert "Target" not in result.stderr and "instance of" not in result.stderr
    # every unknown id is reported together with the other problems
    assert any("targets.PR.NOPE: unknown subject 'PR.NOPE'" in line for line in lines)
    assert any("profile: unknown profile 'quick'" in line for line in lines)
