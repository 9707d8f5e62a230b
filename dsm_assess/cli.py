"""The `dsm-assess` command: a thin shell over the package's public functions.

User mistakes arrive as `DsmError` and leave, in one place (`_Group.invoke`), as one clear
message on stderr and the error's exit code; never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
import yaml
from pydantic import ValidationError
from tqdm import tqdm
from typer.core import TyperGroup

from . import framework as fwmod
from .answers import parse_rating, rating_lookup
from .assessment import load_assessment
from .bank import export_bank
from .capture import import_file, read_returned_workbook
from .csvio import export_csv, read_csv
from .engagement import Contact, add_respondent, engagement_dir, engagement_file, load_engagement, new_engagement
from .errors import DsmError, InvalidInput
from .generate import generate_engagement
from .lint import lint_loaded
from .scoring import compare, headline_table, records, write_csv
from .status import progress, status_summary
from .store import ANSWER_FIELDS, Answer, open_store
from .workbook import export_workbook


class _Group(TyperGroup):
    """Every command runs inside this group, so user mistakes are reported here, once."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DsmError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(err.exit_code) from None


def _typer(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, cls=_Group, pretty_exceptions_enable=False,
                       add_completion=False)


app = _typer("Assess IT service management maturity and design the target operating model.")
framework_app = _typer("Check and browse the framework (areas, practices, value chain, toll-gates).")
bank_app = _typer("Lint and export the question bank.")
engagement_app = _typer("Create and inspect client engagements.")
questionnaire_app = _typer("Send questionnaires out (Excel, CSV) and bring answers back in.")
consensus_app = _typer("Record the value a workshop agreed on for a criterion.")
for sub, name in ((framework_app, "framework"), (bank_app, "bank"), (engagement_app, "engagement"),
                  (questionnaire_app, "questionnaire"), (consensus_app, "consensus")):
    app.add_typer(sub, name=name)

QuestionnairesOpt = Annotated[Path | None, typer.Option(
    "--questionnaires", help="Framework folder (default: $DSM_ASSESS_QUESTIONNAIRES or the kit's questionnaires/).",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
SlugArg = Annotated[str, typer.Argument(metavar="SLUG", help="The engagement's folder name, e.g. acme.")]
RootOpt = Annotated[Path | None, typer.Option(
    "--root", help="Engagements folder (default: $DSM_ASSESS_ROOT or engagements/).", show_default=False)]
OutDirOpt = Annotated[Path | None, typer.Option(
    "--out-dir", help="Where to write (default: reports/SLUG/).", show_default=False)]
FilesArg = Annotated[list[Path], typer.Argument(metavar="FILE...", help="Returned files.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dsm-assess {pkg_version('dsm-assess')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """DSM Assessment Kit."""


def echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _split(ids: str | None) -> list[str]:
    return [i.strip() for i in (ids or "").split(",") if i.strip()]


def _load(slug: str, root: Path | None, questionnaires: Path | None = None):
    fw = fwmod.load_framework(questionnaires)
    return fw, load_engagement(slug, root, fw)


def _store(slug: str, root: Path | None):
    return open_store(engagement_dir(slug, root), slug)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


# ---- framework and bank -----------------------------------------------------------------------
@framework_app.command("check")
def framework_check(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Validate the framework and question bank and print their counts."""
    try:
        fw = fwmod.load_framework(questionnaires)
    except InvalidInput as err:
        if as_json:
            echo_json({"valid": False, "problems": [p.as_dict() for p in err.problems]})
        raise
    s = fwmod.summary(fw)
    if as_json:
        echo_json(s)
        return
    typer.echo(f"framework {s['version']}, question bank {s['bank_version'] or '(none)'}: valid")
    typer.echo(f"  DSM areas            {s['areas']}")
    typer.echo("  practices            " + ", ".join(f"{n} {g}" for g, n in s["practices"].items()))
    typer.echo(f"  value chain cells    {sum(len(v) for v in s['value_chain'].values())}")
    typer.echo(f"  dimensions           {s['dimensions']}")
    typer.echo(f"  digital capabilities {s['capabilities']}")
    typer.echo(f"  toll-gates           {s['toll_gates']}")
    per_level = {lv: sum(c[lv] for c in s["criteria"].values()) for lv in map(str, fwmod.LEVELS)}
    typer.echo(f"  criteria             {sum(per_level.values())} in {len(s['criteria'])} subjects ("
               + ", ".join(f"L{lv}: {n}" for lv, n in per_level.items()) + ")")
    for name, n in s["profiles"].items():
        typer.echo(f"  profile {name:<12} {n} criteria")


@framework_app.command("show")
def framework_show(item_id: Annotated[str, typer.Argument(metavar="ID", help="Any framework id, e.g. PR.INC, "
                                                           "DSM.DATA, TG3, PR.INC.L3.01.")],
                   questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Print one framework item."""
    data = fwmod.describe(fwmod.load_framework(questionnaires), item_id)
    if as_json:
        echo_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


@bank_app.command("lint")
def bank_lint(questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False) -> None:
    """Check the bank's rules; one line per problem with file and id, exit 1 on any."""
    root = questionnaires or fwmod.default_questionnaires()
    fw, problems = fwmod.read_framework(root)
    problems = lint_loaded(fw, problems, root / "bank")
    if as_json:
        echo_json({"valid": not problems, "problems": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            typer.echo(f"{p} [{p.rule}]")
        if not problems:
            typer.echo(f"question bank {fw.bank_version}: {len(fw.criteria)} criteria, no problems")
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)


@bank_app.command("export")
def bank_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "xlsx",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: "
                                             "reports/question-bank-VERSION.FORMAT).", show_default=False)] = None,
    questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write the whole bank for a consultant to review; prints the path written."""
    if fmt not in ("csv", "xlsx"):
        typer.echo(f"error: --format must be csv or xlsx, not {fmt!r}", err=True)
        raise typer.Exit(2)
    fw = fwmod.load_framework(questionnaires)
    typer.echo(export_bank(fw, out or Path("reports") / f"question-bank-{fw.bank_version}.{fmt}", fmt))


# ---- engagements ------------------------------------------------------------------------------
@engagement_app.command("new")
def engagement_new(
    slug: SlugArg,
    client: Annotated[str, typer.Option("--client", help="Client name as it appears in the report.")],
    profile: Annotated[str, typer.Option("--profile", help="quick-scan or full.")] = "quick-scan",
    sector: Annotated[str, typer.Option("--sector", help="Client's sector.")] = "",
    scope: Annotated[str | None, typer.Option("--scope", help="Comma-separated subject ids (default: all).",
                                              show_default=False)] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="Return-by date, YYYY-MM-DD.",
                                                 show_default=False)] = None,
    contact_name: Annotated[str | None, typer.Option("--contact-name", help="Consultant respondents ask.")] = None,
    contact_email: Annotated[str | None, typer.Option("--contact-email", help="Their e-mail.")] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Create engagements/SLUG/engagement.yaml."""
    try:
        due = dt.date.fromisoformat(deadline) if deadline else None
        contact = Contact(name=contact_name, email=contact_email) if contact_name and contact_email else None
    except (ValueError, ValidationError) as exc:
        raise DsmError(f"invalid option: {exc}") from None
    new_engagement(fwmod.load_framework(questionnaires), slug, client, profile, root=root, sector=sector,
                   scope=_split(scope) or None, deadline=due, contact=contact)
    typer.echo(f"created {engagement_file(slug, root)}")


@engagement_app.command("add-respondent")
def engagement_add_respondent(
    slug: SlugArg,
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    email: Annotated[str, typer.Option("--email", help="E-mail; identifies the respondent.")],
    role: Annotated[str, typer.Option("--role", help="Role, e.g. service desk lead.")],
    subjects: Annotated[str | None, typer.Option("--subjects", help="Comma-separated subject ids they answer "
                                                 "(default: the whole scope).", show_default=False)] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Add someone who answers the questionnaire."""
    r = add_respondent(fwmod.load_framework(questionnaires), slug, name, email, role, _split(subjects), root)
    typer.echo(f"added {r.name} <{r.email}> to {slug}")


@engagement_app.command("show")
def engagement_show(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
                    as_json: JsonOpt = False) -> None:
    """Validate and print an engagement."""
    fw, eng = _load(slug, root, questionnaires)
    if as_json:
        echo_json(eng.model_dump(mode="json"))
        return
    typer.echo(f"{eng.client} ({eng.slug}), profile {eng.profile}, question bank {eng.bank_version}")
    typer.echo(f"  scope: {len(eng.scope)} subjects, {len(eng.criteria_for(fw))} criteria")
    for r in eng.respondents:
        typer.echo(f"  {r.name} <{r.email}>, {r.role}: {len(eng.subjects_of(r))} subjects, "
                   f"{len(eng.criteria_for(fw, r))} criteria")


@engagement_app.command("generate")
def engagement_generate(
    slug: SlugArg,
    respondents: Annotated[int, typer.Option("--respondents", min=1, max=200, help="How many respondents.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same engagement.")] = 1,
    pattern: Annotated[str, typer.Option("--pattern", help="typical, mature, struggling or uneven.")] = "typical",
    profile: Annotated[str, typer.Option("--profile", help="quick-scan or full.")] = "full",
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Create a synthetic engagement with plausible answers (for tests, demos, benchmarks)."""
    eng = generate_engagement(fwmod.load_framework(questionnaires), slug, respondents=respondents, seed=seed,
                              pattern=pattern, profile=profile, root=root)
    typer.echo(f"generated {slug}: {len(eng.respondents)} respondents, pattern {pattern}, seed {seed}")


# ---- questionnaires ---------------------------------------------------------------------------
@questionnaire_app.command("export")
def questionnaire_export(
    slug: SlugArg,
    respondent: Annotated[str | None, typer.Option("--respondent", help="Only this respondent (e-mail).",
                                                   show_default=False)] = None,
    out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Where to write (default: the engagement's "
                                                 "outbox/).", show_default=False)] = None,
    prefill: Annotated[bool, typer.Option("--prefill", help="Fill in answers recorded earlier.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write one Excel workbook per respondent; prints each path."""
    fw, eng = _load(slug, root, questionnaires)
    people = [eng.respondent(respondent)] if respondent else eng.respondents
    if not people:
        raise DsmError(f"engagement {slug!r} has no respondents yet: add them with `engagement add-respondent`")
    previous: dict[str, dict[str, Answer]] = {}
    if prefill:
        with _store(slug, root) as store:
            for row in store.current_answers().itertuples():
                values = {k: None if _missing(getattr(row, k)) else getattr(row, k) for k in ANSWER_FIELDS}
                if values["confidence"] is not None:
                    values["confidence"] = int(values["confidence"])
                previous.setdefault(row.respondent, {})[row.criterion_id] = Answer(**values)
    target = out_dir or engagement_dir(slug, root) / "outbox"
    for person in people:
        typer.echo(export_workbook(fw, eng, person, target, previous.get(person.email)))


def _import(slug: str, files: list[Path], root: Path | None, questionnaires: Path | None, kind: str) -> None:
    reader = read_returned_workbook if kind == "workbook" else read_csv
    fw, eng = _load(slug, root, questionnaires)
    rejected = 0
    with _store(slug, root) as store:
        for path in files:
            outcome = import_file(path, fw, eng, store, reader, kind, root)
            typer.echo(outcome.describe(), err=outcome.outcome == "rejected")
            for note in outcome.notes:
                typer.echo(f"  note: {note}")
            for problem in outcome.problems:
                typer.echo(f"  {problem}", err=True)
            rejected += outcome.outcome == "rejected"
    if rejected:
        typer.echo(f"{rejected} of {len(files)} file(s) rejected; fix them and import again", err=True)
        raise typer.Exit(2)


@questionnaire_app.command("import")
def questionnaire_import(slug: SlugArg, files: FilesArg, root: RootOpt = None,
                         questionnaires: QuestionnairesOpt = None) -> None:
    """Validate and store returned workbooks; each file all or nothing. Exit 2 if any is rejected."""
    _import(slug, files, root, questionnaires, "workbook")


@questionnaire_app.command("import-csv")
def questionnaire_import_csv(slug: SlugArg, files: FilesArg, root: RootOpt = None,
                             questionnaires: QuestionnairesOpt = None) -> None:
    """Validate and store long-format CSV answers; each file all or nothing. Exit 2 if any is rejected."""
    _import(slug, files, root, questionnaires, "csv")


@questionnaire_app.command("export-csv")
def questionnaire_export_csv(slug: SlugArg, out_dir: OutDirOpt = None, root: RootOpt = None,
                             questionnaires: QuestionnairesOpt = None) -> None:
    """Write one row per respondent x criterion with the current answers; prints the path."""
    fw, eng = _load(slug, root, questionnaires)
    with _store(slug, root) as store:
        current = store.current_answers()
    typer.echo(export_csv(fw, eng, current, (out_dir or Path("reports") / slug) / f"{slug}-answers.csv"))


# ---- consensus and status ---------------------------------------------------------------------
@consensus_app.command("set")
def consensus_set(
    slug: SlugArg,
    criterion: Annotated[str, typer.Argument(metavar="CRITERION", help="Criterion id, e.g. PR.INC.L3.02.")],
    rating: Annotated[str, typer.Argument(metavar="RATING", help="N, P, L, F, NA or DK.")],
    rationale: Annotated[str, typer.Option("--rationale", help="Why the workshop agreed on this value.")],
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Record the value a workshop agreed on; it takes precedence over individual answers."""
    fw, eng = _load(slug, root, questionnaires)
    if criterion not in eng.criteria_for(fw):
        raise DsmError(f"{criterion!r} is not a criterion of engagement {slug!r}")
    try:
        code, _ = parse_rating(rating, rating_lookup(fw), set())
    except ValueError as exc:
        raise DsmError(str(exc)) from None
    if code is None or not rationale.strip():
        raise DsmError("a consensus needs a rating and a rationale")
    with _store(slug, root) as store:
        store.set_consensus(criterion, code, rationale.strip())
    typer.echo(f"consensus for {criterion}: {code}")


@consensus_app.command("show")
def consensus_show(slug: SlugArg, root: RootOpt = None, history: Annotated[bool, typer.Option(
                   "--history", help="Every value ever recorded, not just the current one.")] = False) -> None:
    """List the consensus values recorded for an engagement."""
    with _store(slug, root) as store:
        df = store.consensus_history() if history else store.consensus()
    if df.empty:
        typer.echo("no consensus recorded")
    for r in df.itertuples():
        typer.echo(f"{r.criterion_id}  {r.rating:<2}  {r.recorded_at[:19]}  {r.recorded_by}: {r.rationale}")


@app.command("status")
def status(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
           subjects: Annotated[bool, typer.Option("--subjects/--no-subjects",
                                                  help="Also show each respondent's subjects.")] = True,
           as_json: JsonOpt = False) -> None:
    """Per respondent and subject: answered, outstanding, N/A and don't know."""
    fw, eng = _load(slug, root, questionnaires)
    with _store(slug, root) as store:
        summary = status_summary(progress(fw, eng, store.current_answers()))
    if as_json:
        echo_json(summary)
        return
    if not summary["respondents"]:
        typer.echo(f"{slug}: no respondents yet")
    for r in summary["respondents"]:
        typer.echo(f"{r['name'][:26]:<26} {_progress_line(r, 30)}")
        for sub in r["subjects"] if subjects else ():
            typer.echo(f"  {sub['id']:<24} {_progress_line(sub, 12)}")


def _progress_line(counts: dict, width: int) -> str:
    done = counts["expected"] - counts["outstanding"]
    bar = tqdm.format_meter(done, counts["expected"], 0, ncols=width, bar_format="|{bar}|", ascii=" ▏▎▍▌▋▊▉█")
    return (f"{bar} {done:>4}/{counts['expected']:<4} answered {counts['answered']}, N/A {counts['na']}, "
            f"don't know {counts['dk']}, outstanding {counts['outstanding']}")


# ---- scoring ----------------------------------------------------------------------------------
@app.command("score")
def score(
    slug: SlugArg,
    fmt: Annotated[str, typer.Option("--format", help="table (print), csv (write files) or json (print).")] = "table",
    what_if: Annotated[Path | None, typer.Option("--what-if", help="YAML of targets, business context, N/A or "
                                                 "consensus changes to try; the store is not touched.",
                                                 show_default=False)] = None,
    compare_with: Annotated[str | None, typer.Option("--compare", help="An earlier assessment (engagement slug) "
                                                     "to show the trend against.", show_default=False)] = None,
    out_dir: OutDirOpt = None, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Score maturity: gated level and continuous score per subject, targets, gaps, priorities."""
    if fmt not in ("table", "csv", "json"):
        raise DsmError(f"--format must be table, csv or json, not {fmt!r}")
    scores = load_assessment(slug, root, questionnaires, what_if).scores
    trend = compare(load_assessment(compare_with, root, questionnaires).scores, scores) if compare_with else None
    if fmt == "json":
        data = scores.to_json()
        if trend is not None:
            data["trend"] = records(trend)
            data["trend_criteria"] = {w: trend.attrs[f"criteria_{w}"] for w in ("added", "dropped")}
        echo_json(data)
    elif fmt == "csv":
        for path in write_csv(scores, out_dir or Path("reports") / slug, slug):
            typer.echo(path)
    else:
        typer.echo(headline_table(scores))
        if trend is not None:
            typer.echo(f"\ntrend against {compare_with}:")
            for r in trend.itertuples():
                change = "-" if _missing(r.score_change) else f"{r.score_change:+.2f}"
                typer.echo(f"  {r.id:<10} score {change:>6}")
            for what in ("added", "dropped"):
                ids = trend.attrs[f"criteria_{what}"]
                if ids:
                    typer.echo(f"  criteria {what} since {compare_with}: {len(ids)} ({', '.join(ids[:10])}"
                               + (", ..." if len(ids) > 10 else "") + ")")


def main() -> None:
    """Console entry point."""
    app()
