"""`form`: links for respondents to fill in the workshop form from a browser."""

from __future__ import annotations

from typing import Annotated

import typer

from dsm_assess.cli.common import JsonOpt, QuestionnairesOpt, RootOpt, SlugArg, app, echo_json, framework, sub_app

form_app = sub_app("The workshop form served to respondents (Voila): their own links.")
app.add_typer(form_app, name="form")


@form_app.command("link")
def form_link(
    slug: SlugArg,
    respondent: Annotated[str, typer.Option("--respondent", help="The respondent's e-mail.")],
    base_url: Annotated[str, typer.Option("--base-url", help="Where Voila serves notebook 02, as respondents "
                                          "reach it.")] = "http://127.0.0.1:8866/",
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False,
) -> None:
    """Issue a respondent's own form token (recorded in the store) and print their link."""
    from dsm_assess.form import issue_form_token
    token = issue_form_token(slug, respondent, root, framework(questionnaires))
    url = f"{base_url.rstrip('/')}/?token={token}"
    if as_json:
        echo_json({"respondent": respondent.lower(), "token": token, "url": url})
    else:
        typer.echo(url)
