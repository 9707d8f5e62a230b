"""The `dsm-assess` command: a thin shell over the package's public functions.

User mistakes arrive as `DsmError` and leave as one clear message and an exit code.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Annotated

import typer
import yaml

from . import framework as fwmod
from .bank import export_bank
from .errors import DsmError, InvalidInput
from .lint import lint_bank

app = typer.Typer(help="Assess IT service management maturity and design the target operating model.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
framework_app = typer.Typer(help="Check and browse the framework (areas, practices, value chain, toll-gates).",
                            no_args_is_help=True)
app.add_typer(framework_app, name="framework")
bank_app = typer.Typer(help="Lint and export the question bank.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")

QuestionnairesOpt = Annotated[
    Path | None,
    typer.Option("--questionnaires", help="Framework folder (default: $DSM_ASSESS_QUESTIONNAIRES "
                 "or the kit's questionnaires/).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dsm-assess {pkg_version('dsm-assess')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """DSM Assessment Kit."""


def echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def fail(err: DsmError, as_json: bool = False) -> None:
    """Report a user mistake and exit with its code."""
    if as_json and isinstance(err, InvalidInput):
        echo_json({"valid": False, "problems": [p.as_dict() for p in err.problems]})
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(err.exit_code)


@framework_app.command("check")
def framework_check(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Validate the framework and question bank and print their counts."""
    try:
        fw = fwmod.load_framework(questionnaires)
    except DsmError as err:
        fail(err, as_json)
    s = fwmod.summary(fw)
    if as_json:
        echo_json(s)
        return
    typer.echo(f"framework {s['version']}, question bank {s['bank_version'] or '(none)'}: valid")
    typer.echo(f"  DSM areas            {s['areas']}")
    typer.echo("  practices            " + ", ".join(f"{n} {g}" for g, n in s["practices"].items()))
    typer.echo(f"  value chain cells    {sum(len(v) for v in s['value_chain'].values())}")
    typer.echo(f"  dimensions           {s['dimensions']}")
    typer.echo(f"  digital capabilities {s['capabilities']}")
    typer.echo(f"  toll-gates           {s['toll_gates']}")
    per_level = {lv: sum(c[lv] for c in s["criteria"].values()) for lv in map(str, fwmod.LEVELS)}
    typer.echo(f"  criteria             {sum(per_level.values())} in {len(s['criteria'])} subjects ("
               + ", ".join(f"L{lv}: {n}" for lv, n in per_level.items()) + ")")
    for name, n in s["profiles"].items():
        typer.echo(f"  profile {name:<12} {n} criteria")


@framework_app.command("show")
def framework_show(item_id: Annotated[str, typer.Argument(metavar="ID", help="Any framework id, e.g. PR.INC, "
                                                           "DSM.DATA, TG3, PR.INC.L3.01.")],
                   questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Print one framework item."""
    try:
        item = fwmod.load_framework(questionnaires).get(item_id)
    except DsmError as err:
        fail(err)
    data = item.model_dump(mode="json", exclude_defaults=False)
    if as_json:
        echo_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


@bank_app.command("lint")
def bank_lint(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Check the bank's rules; one line per problem with file and id, exit 1 on any."""
    problems = lint_bank(questionnaires)
    if as_json:
        echo_json({"valid": not problems, "problems": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            typer.echo(f"{p} [{p.rule}]")
        if not problems:
            fw = fwmod.load_framework(questionnaires)
            typer.echo(f"question bank {fw.bank_version}: {len(fw.criteria)} criteria, no problems")
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)


@bank_app.command("export")
def bank_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "xlsx",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: "
                                             "reports/question-bank-VERSION.FORMAT).", show_default=False)] = None,
    questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write the whole bank for a consultant to review; prints the path written."""
    if fmt not in ("csv", "xlsx"):
        typer.echo(f"error: --format must be csv or xlsx, not {fmt!r}", err=True)
        raise typer.Exit(2)
    try:
        fw = fwmod.load_framework(questionnaires)
    except DsmError as err:
        fail(err)
    path = out or Path("reports") / f"question-bank-{fw.bank_version}.{fmt}"
    typer.echo(export_bank(fw, path, fmt))


def main() -> None:
    """Console entry point; turns any stray user mistake into a message, not a traceback."""
    try:
        app()
    except DsmError as err:  # raised outside a command's own handling
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
