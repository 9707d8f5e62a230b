"""Traceback hunting: every command, every option and argument, a table of bad values; no traceback.

The commands and their parameters are read from the typer app, so a new command or option is
covered without editing this file. Each parameter in turn gets each bad value while the others
get ordinary ones; whatever the command makes of it (done, a user mistake, a usage error, a
rejected file), it must end with an exit code and never with an exception escaping the CLI.
"""

from __future__ import annotations

import pytest
import typer

from dsm_assess.cli import app

# The workshop form is being rewritten on its own; its commands are hunted there.
SKIP_GROUPS = {"form"}

BAD_VALUES = {
    "empty": "",
    "whitespace": "  \t ",
    "control character": "a\x0bb",
    "invalid UTF-8": "\udcff\udcfe",
    "huge": "9" * 5000,
    "negative": "-1",
    "far date": "9999-12-31",
    "a file": "@FILE",
    "missing path": "@MISSING",
}

# Ordinary values for required arguments, by their metavar or name.
ORDINARY = {"SLUG": "acme", "SUBJECT": "PR.INC", "LEVEL": "3", "IN.X": "IN.DATA.MODEL", "CRITERION": "PR.INC.L2.01",
            "RATING": "F", "CONDITION": "suppliers", "CAP.X=1..5...": "CAP.OPERATE=4", "EMAIL": "sam@acme.example.com"}


def _commands(group, path: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if not path and name in SKIP_GROUPS:
            continue
        if hasattr(cmd, "commands"):  # a group (typer carries its own copy of click)
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def _ordinary(param) -> list[str]:
    key = (param.metavar or param.name or "").strip("{}").upper()
    for word, value in ORDINARY.items():
        if word in key or word == (param.name or "").upper():
            return [value]
    if hasattr(getattr(param, "type", None), "choices"):
        return [str(list(param.type.choices)[0])]
    return ["acme"] if param.name == "slug" else ["x"]


def _cases():
    for path, cmd in COMMANDS:
        for param in cmd.params:
            if param.name in ("help", "root") or getattr(param, "is_flag", False) or param.hidden:
                continue
            for label in BAD_VALUES:
                yield pytest.param(path, param.name, label, id=f"{' '.join(path)} {param.name} {label}")


def _argv(path, cmd, bad_param: str, bad: str, root) -> list[str]:
    argv = list(path)
    for param in cmd.params:
        if param.param_type_name == "argument":
            if param.name == bad_param:
                argv.append(bad)
            elif param.required:
                argv += _ordinary(param)
    for param in cmd.params:
        if param.param_type_name == "option" and param.name == bad_param:
            argv += [param.opts[0], bad]
        elif param.param_type_name == "option" and param.required and not getattr(param, "is_flag", False):
            argv += [param.opts[0], *_ordinary(param)]
    if any(p.param_type_name == "option" and "--root" in p.opts for p in cmd.params):
        argv += ["--root", str(root)]
    return argv


@pytest.fixture(scope="module")
def place(tmp_path_factory, fw):
    """Engagement `acme` with its store, a file and a missing path, in a project of its own."""
    from .hostile import make_engagement

    base = tmp_path_factory.mktemp("hunt")
    root = base / "engagements"
    make_engagement(fw, root)
    (base / "a-file.txt").write_text("not what was asked for\n")
    return base, root


@pytest.mark.parametrize(("path", "param", "label"), list(_cases()))
def test_no_command_ends_in_a_traceback(path, param, label, place, cli, monkeypatch):
    base, root = place
    monkeypatch.chdir(base)
    monkeypatch.setattr("dsm_assess.core.paths.project_dir", lambda start=None: base)
    monkeypatch.setenv("DSM_ASSESS_ROOT", str(root))
    bad = BAD_VALUES[label].replace("@FILE", str(base / "a-file.txt")).replace("@MISSING", str(base / "no" / "such"))
    cmd = dict(COMMANDS)[path]
    result = cli(*_argv(path, cmd, param, bad, root))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{' '.join(path)} {param}={bad[:40]!r}: {type(result.exception).__name__}: {str(result.exception)[:200]}")
    assert result.exit_code in (0, 1, 2, 3), result.output
