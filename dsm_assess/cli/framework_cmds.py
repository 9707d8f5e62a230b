"""`framework` and `bank`: check, browse, lint and export the framework and question bank."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Annotated

import typer

from dsm_assess.cli.common import JsonOpt, OutDirOpt, QuestionnairesOpt, app, echo_json, framework, out_dir, sub_app
from dsm_assess.core.errors import DsmError, InvalidInput

framework_app = sub_app("Check and browse the framework (areas, practices, value chain, toll-gates).")
bank_app = sub_app("Lint and export the question bank.")
app.add_typer(framework_app, name="framework")
app.add_typer(bank_app, name="bank")


@framework_app.command("check")
def framework_check(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Validate the framework and question bank and print their counts."""
    from dsm_assess.framework import model as fwmod
    try:
        fw = framework(questionnaires)
    except InvalidInput as err:
        if as_json:
            echo_json({"valid": False, "problems": [p.as_dict() for p in err.problems]})
        raise
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
    kinds = Counter(i.type for i in fw.initiatives)
    typer.echo(f"  initiatives          {s['initiatives']} ("
               + ", ".join(f"{kinds[t]} {t}" for t in fwmod.INITIATIVE_TYPES) + ")")


@framework_app.command("show")
def framework_show(item_id: Annotated[str, typer.Argument(metavar="ID", help="Any framework id, e.g. PR.INC, "
                                                           "DSM.DATA, TG3, PR.INC.L3.01 (any case).")],
                   questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Print one framework item."""
    import yaml

    from dsm_assess.framework.model import describe
    data = describe(framework(questionnaires), item_id)
    if as_json:
        echo_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


@bank_app.command("lint")
def bank_lint(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Check the bank's rules (and that every criterion has an initiative); one line per problem, exit 1 on any."""
    from dsm_assess.framework.lint import lint_loaded
    from dsm_assess.framework.model import default_questionnaires, read_framework
    root = questionnaires or default_questionnaires()
    fw, problems = read_framework(root)
    problems = lint_loaded(fw, problems, root / "bank")
    if as_json:
        echo_json({"valid": not problems, "problems": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            typer.echo(f"{p} [{p.rule}]")
        if not problems:
            typer.echo(f"question bank {fw.bank_version}: {len(fw.criteria)} criteria, "
                       f"{len(fw.initiatives)} initiatives, no problems")
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)


class BankFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


@bank_app.command("export")
def bank_export(
    fmt: Annotated[BankFormat, typer.Option("--format", help="xlsx or csv.")] = BankFormat.xlsx,
    out: OutDirOpt = None,
    questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write the whole bank for a consultant to review (reports/question-bank-VERSION.FORMAT); prints the path."""
    from dsm_assess.framework.bank import export_bank
    fw = framework(questionnaires)
    typer.echo(export_bank(fw, out_dir(out) / f"question-bank-{fw.bank_version}.{fmt.value}", fmt.value))


@bank_app.command("changes")
def bank_changes(
    since: Annotated[str | None, typer.Option("--since", help="Only ids retired after this bank version.",
                                              show_default=False)] = None,
    questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False,
) -> None:
    """List the retired criterion ids: what became of each and why (what `engagement upgrade` follows)."""
    from dsm_assess.framework.model import describe_retired
    fw = framework(questionnaires)

    from packaging.version import InvalidVersion, Version
    try:
        after = Version(since) if since is not None else None
    except (InvalidVersion, ValueError):  # ValueError: a number with thousands of digits
        raise DsmError(f"--since: {since[:40]!r} is not a bank version (e.g. 1.0.0)") from None
    gone = [g for g in fw.retired if after is None or Version(g.since) > after]
    if as_json:
        echo_json([g.model_dump(mode="json") for g in gone])
        return
    kinds = Counter(g.kind for g in gone)
    typer.echo(f"question bank {fw.bank_version}: {len(gone)} retired ids ("
               + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
    for g in gone:
        typer.echo(f"  {g.id}  [{g.since}] {describe_retired(g)}")
