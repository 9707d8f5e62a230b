"""`score`: maturity per subject, with targets, gaps and priorities; what-if and trend."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .common import JsonOpt, OutDirOpt, QuestionnairesOpt, RootOpt, SlugArg, app, echo_json, framework, out_dir


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
                                                 "consensus changes to try; the store is not touched.",
                                                 show_default=False)] = None,
    compare_with: Annotated[str | None, typer.Option("--compare", help="An earlier assessment (engagement slug) "
                                                     "to show the trend against.", show_default=False)] = None,
    as_json: JsonOpt = False,
    to: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Score maturity: gated level and continuous score per subject, targets, gaps, priorities."""
    from ..assessment import load_assessment
    from ..results import headline_table, records, scores_json, trend_table, write_csv
    from ..scoring import compare
    fw = framework(questionnaires)
    scores = load_assessment(slug, root, what_if=what_if, fw=fw).scores
    trend = compare(load_assessment(compare_with, root, fw=fw).scores, scores) if compare_with else None
    if as_json or fmt is ScoreFormat.json:
        data = scores_json(scores)
        if trend is not None:
            data["trend"] = records(trend)
            data["trend_criteria"] = {w: trend.attrs[f"criteria_{w}"] for w in ("added", "dropped")}
        echo_json(data)
    elif fmt is ScoreFormat.csv:
        for path in write_csv(scores, out_dir(to, slug), slug):
            typer.echo(path)
    else:
        typer.echo(headline_table(scores))
        if trend is not None:
            typer.echo("\n" + trend_table(trend, compare_with))
