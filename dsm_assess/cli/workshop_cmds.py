"""`workshop agenda`: what the workshop must settle, most consequential first, within its minutes."""

from __future__ import annotations

from typing import Annotated

import typer

from dsm_assess.cli.common import (
    OutDirOpt,
    QuestionnairesOpt,
    RootOpt,
    SlugArg,
    app,
    echo_json,
    out_dir,
    store,
    sub_app,
)
from dsm_assess.core.errors import DsmError

workshop_app = sub_app("Prepare the workshop that settles what the answers could not.")
app.add_typer(workshop_app, name="workshop")


@workshop_app.command("agenda")
def workshop_agenda(
    slug: SlugArg,
    minutes: Annotated[int, typer.Option("--minutes", min=1, help="How long the workshop lasts.")] = 90,
    fmt: Annotated[str, typer.Option("--format", help="docx (written to reports/SLUG/), md or json (printed).")
                   ] = "md",
    to: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Open disagreements, disputed N/A, unknown levels and the criteria that decide a level of a
    high-priority gap, ordered by what most changes the result, with a cut-off where time runs out."""
    from dsm_assess.api import Engagement
    from dsm_assess.deliver.agenda import FORMATS, agenda_markdown, build_agenda, write_agenda
    if fmt not in FORMATS:
        raise DsmError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    a = Engagement(slug, root=root, questionnaires=questionnaires).assess()
    with store(slug, root) as st:
        agenda = build_agenda(a, st.current_answers(), minutes)
    if fmt == "json":
        echo_json(agenda.to_json())
    elif fmt == "md":
        typer.echo(agenda_markdown(agenda))
    else:
        typer.echo(write_agenda(agenda, out_dir(to, slug) / f"{slug}-agenda.docx", "docx"))
