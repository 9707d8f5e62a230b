"""`tom`: design the target operating model (DSM matrix, controls, sourcing, roles, toll-gates)."""

from __future__ import annotations

import typer

from dsm_assess.cli.common import JsonOpt, QuestionnairesOpt, RootOpt, SlugArg, app, echo_json, framework, sub_app

tom_app = sub_app("Design the target operating model in engagement.yaml's tom: section; propose, check, show.")
app.add_typer(tom_app, name="tom")


def _assessed(slug, root, questionnaires):
    from dsm_assess.api import Engagement
    e = Engagement(slug, root, framework=framework(questionnaires))
    return e, e.assess()


@tom_app.command("propose")
def tom_propose(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
                as_json: JsonOpt = False) -> None:
    """Fill what is not designed yet from the assessment (never overwrites, keeps comments)."""
    from dsm_assess.planning.tom import propose
    e, a = _assessed(slug, root, questionnaires)
    added = propose(e.framework, a.engagement, a.scores.subjects, root)
    if as_json:
        echo_json({"added": added})
        return
    if not added:
        typer.echo("nothing to add: every part of the proposal is already in engagement.yaml")
    for key, value in added.items():
        typer.echo(f"added tom.{key}: {len(value)} {'entries' if len(value) != 1 else 'entry'}")


@tom_app.command("check")
def tom_check(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
              as_json: JsonOpt = False) -> None:
    """Report inconsistencies in the design, each with where it is; exit 1 when there are any."""
    from dsm_assess.planning.tom import findings_json
    e, a = _assessed(slug, root, questionnaires)
    findings = e.tom_check(a)
    if as_json:
        echo_json(findings_json(findings))
    else:
        for f in findings:
            typer.echo(str(f))
        typer.echo(f"{len(findings)} finding(s)" if findings else "the target operating model is consistent",
                   err=bool(findings))
    if findings:
        raise typer.Exit(1)


@tom_app.command("show")
def tom_show(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
             as_json: JsonOpt = False) -> None:
    """Print the design: the DSM matrix, controls by stage, sourcing, roles, toll-gates, POLISM."""
    from dsm_assess.planning.tom import gap_links, initiative_links, load_tom, show_text
    e, a = _assessed(slug, root, questionnaires)
    fw = e.framework
    tom, _ = load_tom(fw, a.engagement, root, doc=e.document)
    if as_json:
        plan = e.plan(a)
        echo_json({"tom": tom.model_dump(mode="json"), "gap_links": gap_links(fw, a.scores.subjects),
                   "initiative_links": initiative_links(fw, plan)})
        return
    typer.echo(show_text(fw, tom))
