"""`report`: the Word report (or the backlog spreadsheet) of one engagement."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dsm_assess.cli.common import OutDirOpt, QuestionnairesOpt, RootOpt, SlugArg, app, framework


class Audience(StrEnum):
    executive = "executive"
    full = "full"
    backlog = "backlog"


@app.command("report")
def report(
    slug: SlugArg,
    audience: Annotated[Audience, typer.Option("--audience", help="executive (about 6 pages), full, or backlog "
                                               "(an .xlsx of gaps for the delivery team).")] = Audience.full,
    template: Annotated[Path | None, typer.Option("--template", help="Your firm's .docx template (its brand.yaml "
                                                  "beside it); default reports/templates/default.docx.",
                                                  show_default=False)] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Write it even without answers, marked \"Draft\" on "
                                        "every page.")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write the PDF (with LibreOffice), the contents' page "
                                      "numbers filled in in both files.")] = False,
    to: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write SLUG-AUDIENCE.docx (or .xlsx) to reports/SLUG/ and print its path. What stands in the
    way of sending it (readiness) is printed as warnings on stderr."""
    from dsm_assess.api import Engagement
    e = Engagement(slug, root, framework=framework(questionnaires))
    inputs = e.gather()
    path = e.report(audience.value, to, template, inputs=inputs, draft=draft)  # a refusal is the one error
    for check in inputs.readiness():
        typer.echo(f"warning: {check.message}", err=True)
    typer.echo(path)
    if pdf and path.suffix == ".docx":
        from dsm_assess.deliver.pdf import to_pdf
        typer.echo(to_pdf(path))
