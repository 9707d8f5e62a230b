"""`roadmap`: plan the initiatives that close the gaps into waves; pin or exclude initiatives.

`dsm-assess roadmap SLUG` plans (the group's default command, `roadmap plan SLUG` in full);
`roadmap pin` and `roadmap exclude` edit the planning section of engagement.yaml, keeping its
comments.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from dsm_assess.cli.common import (
    Group,
    JsonOpt,
    OutDirOpt,
    QuestionnairesOpt,
    RootOpt,
    SlugArg,
    app,
    echo_json,
    framework,
    out_dir,
    parse_date,
)
from dsm_assess.core.errors import DsmError


class RoadmapGroup(Group):
    """`roadmap SLUG ...` is `roadmap plan SLUG ...`: a first word that is not a command is a slug."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["plan", *args]
        return super().resolve_command(ctx, args)


roadmap_app = typer.Typer(
    help="Plan the roadmap: `roadmap SLUG` schedules the initiatives that close the gaps into waves; "
         "`roadmap pin` and `roadmap exclude` steer it.",
    no_args_is_help=True, cls=RoadmapGroup, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(roadmap_app, name="roadmap")

InitiativeArg = Annotated[str, typer.Argument(metavar="IN.X", help="An initiative id, e.g. IN.INC.MAJOR (any case).")]


class RoadmapFormat(StrEnum):
    table = "table"
    csv = "csv"


class PlanMethod(StrEnum):
    solver = "solver"
    greedy = "greedy"


@roadmap_app.command("plan")
def roadmap_plan(
    slug: SlugArg,
    waves: Annotated[int | None, typer.Option("--waves", min=1, max=40, help="Number of waves (default: "
                                              "planning.waves, else 4).", show_default=False)] = None,
    capacity: Annotated[float | None, typer.Option("--capacity", metavar="PW", help="Person-weeks of work a wave "
                                                   "(default: planning.capacity, else 40).",
                                                   show_default=False)] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day of wave 1, YYYY-MM-DD (default: "
                                              "planning.start, else the Monday after the deadline).",
                                              show_default=False)] = None,
    wave_weeks: Annotated[int | None, typer.Option("--wave-weeks", min=1, max=52, help="Weeks a wave lasts "
                                                   "(default: planning.wave_weeks, else 12).",
                                                   show_default=False)] = None,
    fmt: Annotated[RoadmapFormat, typer.Option("--format", help="table (print) or csv (write files).")
                   ] = RoadmapFormat.table,
    method: Annotated[PlanMethod, typer.Option("--method", help="solver (the most maturity for the capacity) or "
                                               "greedy (priority order, the earlier scheduler).")
                      ] = PlanMethod.solver,
    as_json: JsonOpt = False,
    to: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Schedule the initiatives that close the gaps into waves; project level and score after each wave."""
    from dsm_assess.api import Engagement
    from dsm_assess.deliver.roadmap import roadmap_json, roadmap_table, write_roadmap_csv
    begin = parse_date(start, "--start")
    from dsm_assess.planning.plan import MIN_CAPACITY
    if capacity is not None and not capacity >= MIN_CAPACITY:
        raise DsmError(f"--capacity: {capacity:g} person-weeks; give a number of at least {MIN_CAPACITY}")
    e = Engagement(slug, root, framework=framework(questionnaires))
    assessment = e.assess()
    plan = e.plan(assessment, start=begin, waves=waves, capacity=capacity, wave_weeks=wave_weeks,
                  method=method.value)
    if as_json:
        echo_json(roadmap_json(plan))
    elif fmt is RoadmapFormat.csv:
        for path in write_roadmap_csv(plan, out_dir(to, slug), slug):
            typer.echo(path)
    else:
        typer.echo(roadmap_table(plan, f"{assessment.engagement.client} ({slug})"))


@roadmap_app.command("pin")
def roadmap_pin(
    slug: SlugArg, initiative: InitiativeArg,
    wave: Annotated[int | None, typer.Option("--wave", min=1, max=40, help="Start it in this wave (default: "
                                             "keep it in the plan, in whichever wave it fits).",
                                             show_default=False)] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Take the pin away again.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Keep an initiative in the plan (in a given wave with --wave); edits planning.pinned in engagement.yaml."""
    from dsm_assess.planning.plan import set_pin
    iid, path = set_pin(framework(questionnaires), slug, initiative, wave, remove=remove, root=root)
    if remove:
        typer.echo(f"unpinned {iid} in {path}")
    else:
        typer.echo(f"pinned {iid} to " + (f"wave {wave}" if wave else "the plan") + f" in {path}")


@roadmap_app.command("exclude")
def roadmap_exclude(
    slug: SlugArg, initiative: InitiativeArg,
    remove: Annotated[bool, typer.Option("--remove", help="Allow it in the plan again.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Keep an initiative out of the plan; edits planning.excluded in engagement.yaml."""
    from dsm_assess.planning.plan import set_excluded
    iid, path = set_excluded(framework(questionnaires), slug, initiative, not remove, root=root)
    typer.echo(f"{'allowed' if remove else 'excluded'} {iid} in {path}")


@roadmap_app.command("settings")
def roadmap_settings(
    slug: SlugArg,
    waves: Annotated[int | None, typer.Option("--waves", min=1, max=40, help="Number of waves.",
                                              show_default=False)] = None,
    capacity: Annotated[float | None, typer.Option("--capacity", metavar="PW", help="Person-weeks of work a wave.",
                                                   show_default=False)] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day of wave 1, YYYY-MM-DD.",
                                              show_default=False)] = None,
    wave_weeks: Annotated[int | None, typer.Option("--wave-weeks", min=1, max=52, help="Weeks a wave lasts.",
                                                   show_default=False)] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Keep planning parameters in engagement.yaml's planning: section, so every later plan and
    report uses them (the options of `roadmap plan` apply to one run only)."""
    from dsm_assess.planning.plan import set_settings
    given = {"start": parse_date(start, "--start"), "waves": waves, "capacity": capacity, "wave_weeks": wave_weeks}
    if all(v is None for v in given.values()):
        raise DsmError("give at least one of --start, --waves, --capacity, --wave-weeks")
    path = set_settings(framework(questionnaires), slug, {k: v for k, v in given.items() if v is not None}, root=root)
    typer.echo(f"planning: {', '.join(f'{k} {v}' for k, v in given.items() if v is not None)} in {path}")
