"""`target` and `business-context`: set what each subject should reach, without editing YAML."""

from __future__ import annotations

from typing import Annotated

import typer

from dsm_assess.cli.common import JsonOpt, QuestionnairesOpt, RootOpt, SlugArg, app, echo_json, framework, sub_app
from dsm_assess.core.errors import DsmError

target_app = sub_app("Set, clear and list target levels (kept in engagement.yaml, audited).")
context_app = sub_app("Record how much the business depends on the five digital capabilities.")
app.add_typer(target_app, name="target")
app.add_typer(context_app, name="business-context")
SubjectArg = Annotated[str, typer.Argument(metavar="SUBJECT", help="Practice or DSM area id, e.g. PR.INC.")]


@target_app.command("set")
def target_set(slug: SlugArg, subject: SubjectArg,
               level: Annotated[int, typer.Argument(metavar="LEVEL", help="Target capability level, 1-5.")],
               reason: Annotated[str, typer.Option("--reason", help="Why this target (shown in the report).")],
               root: RootOpt = None, questionnaires: QuestionnairesOpt = None) -> None:
    """Set a manual target; it overrides the one derived from the business context."""
    from dsm_assess.scoring.targets import set_target
    sid = set_target(framework(questionnaires), slug, subject, level, reason, root)
    typer.echo(f"target for {sid}: level {level} ({reason.strip()})")


@target_app.command("clear")
def target_clear(slug: SlugArg, subject: SubjectArg, root: RootOpt = None,
                 questionnaires: QuestionnairesOpt = None) -> None:
    """Remove a manual target; the derived target (if any) applies again."""
    from dsm_assess.scoring.targets import clear_target
    typer.echo(f"manual target for {clear_target(framework(questionnaires), slug, subject, root)} cleared")


@target_app.command("list")
def target_list(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
                as_json: JsonOpt = False) -> None:
    """Every target with where it comes from: manual (with its reason) or derived."""
    from dsm_assess.scoring.targets import target_list as targets
    fw = framework(questionnaires)
    rows = targets(fw, slug, root)
    if as_json:
        echo_json({"targets": rows})
        return
    if not rows:
        typer.echo(f"{slug}: no targets; set the business context or targets by hand")
    width = max((len(fw.get(r["subject"]).name) for r in rows), default=0)
    for r in rows:
        typer.echo(f"{r['subject']:<10} {fw.get(r['subject']).name:<{width}}  {r['level']}  {r['source']:<8} "
                   f"{r['reason']}")


@context_app.command("set")
def business_context_set(
    slug: SlugArg,
    ratings: Annotated[list[str], typer.Argument(metavar="CAP.X=1..5...", help="e.g. CAP.OPERATE=5 CAP.INVEST=2.")],
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Record how much the business depends on each digital capability (1 little, 5 critical)."""
    from dsm_assess.scoring.targets import set_business_context
    parsed = {}
    for item in ratings:
        cap, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise DsmError(f"{item!r}: write CAPABILITY=LEVEL, e.g. CAP.OPERATE=4 (a whole number from 1 to 5)")
        parsed[cap.strip()] = int(value)
    done = set_business_context(framework(questionnaires), slug, parsed, root)
    typer.echo("business context: " + ", ".join(f"{k}={v}" for k, v in done.items()))
