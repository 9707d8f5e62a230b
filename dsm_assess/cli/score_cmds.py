"""`score`: maturity per subject, with targets, gaps and priorities; what-if and trend."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dsm_assess.cli.common import (
    JsonOpt,
    OutDirOpt,
    QuestionnairesOpt,
    RootOpt,
    SlugArg,
    app,
    echo_json,
    framework,
    out_dir,
)
from dsm_assess.core.errors import DsmError


class ScoreFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("score")
def score(
    slug: SlugArg,
    fmt: Annotated[ScoreFormat, typer.Option("--format", help="table (print), csv (write files) or json "
                                             "(print; the same as --json).")] = ScoreFormat.table,
    what_if: Annotated[Path | None, typer.Option("--what-if", help="YAML of targets, business context, N/A or "
                                                 "consensus changes to try; nothing is stored.",
                                                 show_default=False)] = None,
    everything: Annotated[bool, typer.Option("--all", help="With --what-if, list every subject, not only those "
                                             "that change.")] = False,
    compare_with: Annotated[str | None, typer.Option("--compare", help="An earlier assessment (engagement slug) "
                                                     "to show the trend against.", show_default=False)] = None,
    as_json: JsonOpt = False,
    to: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Score maturity: gated level and continuous score per subject, targets, gaps, priorities."""
    from dsm_assess.api import Engagement
    from dsm_assess.deliver.results import (
        comparability,
        headline_table,
        records,
        scores_json,
        trend_table,
        what_if_changes,
        what_if_table,
        write_csv,
    )
    from dsm_assess.scoring.assessment import trend as trend_of
    e = Engagement(slug, root, framework=framework(questionnaires))
    fw = e.framework
    current = e.assess(what_if)
    scores, changes = current.scores, current.what_if.changes() if current.what_if else None
    before = e.assess().scores if what_if else None
    trend, notes = None, []
    if compare_with:
        earlier = Engagement(compare_with, root, framework=fw).assess()
        if earlier.engagement.client != current.engagement.client:
            raise DsmError(f"--compare: {compare_with!r} is an assessment of {earlier.engagement.client!r}, not "
                           f"{current.engagement.client!r}; a trend compares one client with itself")
        trend = trend_of(earlier, current)
        notes = comparability(fw, earlier.engagement, current.engagement, trend)
    if as_json or fmt is ScoreFormat.json:
        data = scores_json(scores, changes, before)
        if trend is not None:
            data["trend"] = records(trend)
            data["trend_criteria"] = {w: trend.attrs[f"criteria_{w}"] for w in ("added", "dropped")}
            data["trend_notes"] = notes
            data["trend_not_comparable"] = trend.attrs["not_comparable"]
            data["trend_moved_by_rule"] = trend.loc[trend["moved_by_rule"], "id"].tolist()
        echo_json(data)
        return
    if fmt is ScoreFormat.csv:
        for path in write_csv(scores, out_dir(to, slug), f"{slug}-what-if" if what_if else slug,
                              what_if.name if what_if else None, before):
            typer.echo(path)
        return
    eng = current.engagement
    if not eng.business_context and not (current.what_if and current.what_if.business_context):
        typer.echo(f"No business context recorded for {slug}, so no targets can be derived; set it with "
                   f"`dsm-assess business-context set {slug} CAP.OPERATE=4 ...` (or targets with `target set`).\n")
    if what_if:
        typer.echo(what_if_table(what_if_changes(before, scores, everything), changes))
        typer.echo("")
        typer.echo(headline_table(scores, f"WHAT-IF scores for {eng.client} ({what_if}); nothing stored"))
    else:
        typer.echo(headline_table(scores, f"Scores for {eng.client}"))
    if trend is not None:
        typer.echo("\n" + trend_table(trend, compare_with, notes))
