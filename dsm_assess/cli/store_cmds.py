"""`store`: the team store on PostgreSQL (migrations, who may see an engagement, moving one)."""

from __future__ import annotations

from typing import Annotated

import typer

from dsm_assess.cli.common import JsonOpt, RootOpt, SlugArg, app, echo_json, sub_app

store_app = sub_app("The team store on PostgreSQL: migrate it, grant and revoke access, copy engagements.")
app.add_typer(store_app, name="store")

ConsultantOpt = Annotated[str, typer.Option("--consultant", metavar="NAME",
                                            help="The consultant's database role (their login name on the server).")]


def _url() -> str:
    from dsm_assess.core.errors import DsmError
    from dsm_assess.store.backend import store_url
    url = store_url()
    if url is None:
        raise DsmError("no team store given: name it with --store postgresql://USER@HOST/DATABASE (before the "
                       "command), $DSM_ASSESS_STORE or store: in dsm-assess.yaml")
    return url


@store_app.command("migrate")
def store_migrate(as_json: JsonOpt = False) -> None:
    """Bring the team store's tables, roles and policies up to this version of the kit (run as its owner)."""
    from dsm_assess.store.postgres import MIGRATIONS, migrate_url
    done = migrate_url(_url())
    if as_json:
        echo_json({"applied": done, "schema_version": MIGRATIONS[-1][0]})
    else:
        typer.echo(f"applied migrations {', '.join(map(str, done))}" if done
                   else f"already at schema version {MIGRATIONS[-1][0]}; nothing changed")


@store_app.command("grant")
def store_grant(slug: SlugArg, consultant: ConsultantOpt,
                form: Annotated[bool, typer.Option("--form", help="NAME is the form server's role: it may write "
                                                   "answers for this engagement only.")] = False) -> None:
    """Let a consultant (or the form's server) see and write one engagement's rows."""
    from dsm_assess.store.postgres import grant
    added = grant(_url(), slug, consultant, form=form)
    typer.echo(f"{consultant} {'now has' if added else 'already had'} access to engagement {slug}")


@store_app.command("revoke")
def store_revoke(slug: SlugArg, consultant: ConsultantOpt) -> None:
    """Take a consultant (or a form's role) off an engagement: they no longer see or write its rows."""
    from dsm_assess.store.postgres import revoke
    gone = revoke(_url(), slug, consultant)
    typer.echo(f"{consultant} no longer has access to engagement {slug}" if gone
               else f"{consultant} had no access to engagement {slug}; nothing changed")


@store_app.command("copy")
def store_copy(slug: SlugArg,
               source: Annotated[str, typer.Option("--from", metavar="STORE",
                                                  help="sqlite (the engagement's own file) or a postgresql:// URL.")],
               target: Annotated[str, typer.Option("--to", metavar="STORE",
                                                   help="sqlite or a postgresql:// URL; it must hold nothing of "
                                                        "the engagement yet.")],
               root: RootOpt = None, as_json: JsonOpt = False) -> None:
    """Copy an engagement's whole history (answers, withdrawals, consensus, imports, questionnaires, audit)."""
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import copy_engagement
    copied = copy_engagement(engagement_dir(slug, root), slug, source, target)
    if as_json:
        echo_json({"engagement": slug, "copied": copied})
    else:
        typer.echo(f"copied engagement {slug}: " + ", ".join(f"{n} {t}" for t, n in copied.items()))
