"""`form`: serve the workshop form for one engagement, and each respondent's own link to it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import typer

from dsm_assess.cli.common import JsonOpt, QuestionnairesOpt, RootOpt, SlugArg, app, echo_json, framework, sub_app
from dsm_assess.core.errors import DsmError

form_app = sub_app("The workshop form in a browser: serve it for one engagement, and give respondents their links.")
app.add_typer(form_app, name="form")

DEFAULT_PORT = 8866


def _base_url(url: str) -> str:
    """The link's base: an http or https address, ending in one slash (the form is served at its root)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise DsmError(f"--base-url: {url!r} is not an http or https address (e.g. https://assess.example.com/)")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/", "", ""))


@form_app.command("serve")
def form_serve(
    slug: SlugArg,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option("--host", help="The address to listen on: 127.0.0.1 for this machine "
                                      "only, an internal address (or 0.0.0.0) to serve a client's network.")
                    ] = "127.0.0.1",
    consultant_token: Annotated[str | None, typer.Option(
        "--consultant-token", help="The secret in the consultant's link (default: a new one for this run).",
        show_default=False)] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Serve the form for one engagement until Ctrl-C: respondents open the links `form link` prints,
    the consultant the link printed here."""
    from dsm_assess.form.tokens import check_consultant_token, new_consultant_token
    from dsm_assess.form.web import FormSite, serve

    token = check_consultant_token(consultant_token) if consultant_token is not None else new_consultant_token()
    site = FormSite(framework(questionnaires), slug, root, consultant_token=token)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    every = " (and every other address of this machine)" if host in ("0.0.0.0", "::") else ""
    typer.echo(f"The form for {site.eng.client} ({slug}) is served at {address}{every}")
    typer.echo(f"Respondents' links: dsm-assess form link {slug} --respondent EMAIL --base-url {address}")
    typer.echo(f"Your consultant's link (keep it to yourself): {address}?token={token}")
    typer.echo("Stop with Ctrl-C.")
    serve(site, host, port)
    typer.echo("The form is stopped.")


@form_app.command("link")
def form_link(
    slug: SlugArg,
    respondent: Annotated[str, typer.Option("--respondent", help="The respondent's e-mail.")],
    base_url: Annotated[str, typer.Option("--base-url", help="The address respondents reach `form serve` at "
                                          "(http or https; the firm's HTTPS proxy on a client's network).")
                        ] = f"http://127.0.0.1:{DEFAULT_PORT}/",
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False,
) -> None:
    """Issue a respondent's own form token (recorded in the store) and print their link."""
    from dsm_assess.form.tokens import issue_form_token
    base = _base_url(base_url)
    token = issue_form_token(slug, respondent, root, framework(questionnaires))
    url = f"{base}?token={token}"
    if as_json:
        echo_json({"respondent": respondent.lower(), "token": token, "url": url})
    else:
        typer.echo(url)
