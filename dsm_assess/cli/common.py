"""What every command shares: the app, the error handler, the common options and conventions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from dsm_assess.core.errors import DsmError


class Group(TyperGroup):
    """Every command runs inside this group, so user mistakes are reported here, once."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DsmError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(err.exit_code) from None
        except OSError as err:  # a path that cannot be used as given, a full disk: the system's own words
            typer.echo(f"error: {file_problem(err)}", err=True)
            raise typer.Exit(1) from None

    def get_command(self, ctx, cmd_name):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            _plain_flags(cmd, ctx)
        return cmd

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:  # the command line as typed, before any command reads it
            try:
                check_arguments(args)
            except DsmError as err:
                typer.echo(f"error: {err}", err=True)
                raise typer.Exit(err.exit_code) from None
        _plain_flags(self, None)
        return super().make_context(info_name, args, parent=parent, **extra)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option


def _plain_flags(cmd, ctx) -> None:
    """Flags take no value, so help shows none for them (typer would print `<bool>`)."""
    for param in [*cmd.params, cmd.get_help_option(ctx) if ctx is not None else None]:
        if param is not None and getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


def file_problem(err: OSError) -> str:
    """An operating-system error in one line: the file, and what the system said about it."""
    from dsm_assess.formats.yamlfile import display_path

    name = display_path(Path(err.filename)) if err.filename else ""
    if len(name) > 120:
        name = name[:60] + "..." + name[-40:]
    what = err.strerror or str(err)
    return f"{name}: {what}; nothing more was written" if name else f"{what}; nothing more was written"


def check_arguments(args: list[str]) -> None:
    """Refuse an argument that is not text the kit can keep (invalid UTF-8, a control character),
    naming the option it was given to, before any command reads it."""
    from dsm_assess.core.text import text_problem

    for i, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        why = text_problem(value, multiline=True)
        if why:
            if arg.startswith("--") and "=" in arg:
                what = arg.split("=", 1)[0]
            elif i and args[i - 1].startswith("--"):
                what = args[i - 1]
            else:
                what = f"argument {i + 1}"
            raise DsmError(f"{what}: {why}; type it again as plain text")


def sub_app(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, cls=Group, pretty_exceptions_enable=False,
                       add_completion=False)


app = sub_app("Assess IT service management maturity and design the target operating model.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version
        typer.echo(f"dsm-assess {version('dsm-assess')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          store: Annotated[str | None, typer.Option(
              "--store", metavar="URL", show_default=False,
              help="The team store, postgresql://USER@HOST/DATABASE (default: $DSM_ASSESS_STORE, else store: in "
                   "dsm-assess.yaml, else each engagement's own SQLite file).")] = None) -> None:
    """DSM Assessment Kit."""
    if store:
        import os
        # Through the environment, so that batch workers and notebooks started by this run use it too.
        os.environ["DSM_ASSESS_STORE"] = store


QuestionnairesOpt = Annotated[Path | None, typer.Option(
    "--questionnaires", help="Framework folder (default: $DSM_ASSESS_QUESTIONNAIRES or the kit's questionnaires/).",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
SlugArg = Annotated[str, typer.Argument(metavar="SLUG", help="The engagement's folder name, e.g. acme.")]
RootOpt = Annotated[Path | None, typer.Option(
    "--root", help="Engagements folder (default: $DSM_ASSESS_ROOT or the project's engagements/).",
    show_default=False)]
OutDirOpt = Annotated[Path | None, typer.Option(
    "--out-dir", help="Where to write (default: reports/SLUG/).", show_default=False)]

EXIT_REJECTED = 3  # one or more files rejected on import


def echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def split_ids(ids: str | None) -> list[str]:
    return [i.strip() for i in (ids or "").split(",") if i.strip()]


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option value; anything else is a user mistake naming the option."""
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DsmError(f"{option}: {value!r} is not a date; use the form YYYY-MM-DD (e.g. 2026-12-18)") from None


def framework(questionnaires: Path | None):
    from dsm_assess.framework.model import load_framework
    return load_framework(questionnaires)


def load(slug: str, root: Path | None, questionnaires: Path | None = None):
    """The framework and the validated engagement."""
    from dsm_assess.engagement.spec import load_engagement
    fw = framework(questionnaires)
    return fw, load_engagement(slug, root, fw)


def store(slug: str, root: Path | None):
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import open_store
    return open_store(engagement_dir(slug, root), slug)


def out_dir(given: Path | None, slug: str | None = None) -> Path:
    """--out-dir if given, else reports/SLUG/ (or reports/) of the project."""
    from dsm_assess.core.paths import reports_dir
    from dsm_assess.formats.yamlfile import display_path
    if given is not None and given.exists() and not given.is_dir():
        raise DsmError(f"--out-dir: {display_path(given)} is a file, not a folder: name a folder to write into")
    return given if given is not None else reports_dir(slug)
