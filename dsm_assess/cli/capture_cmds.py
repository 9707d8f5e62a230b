"""`questionnaire`, `consensus` and `status`: send questions out, bring answers in, follow progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dsm_assess.cli.common import (
    EXIT_REJECTED,
    JsonOpt,
    OutDirOpt,
    QuestionnairesOpt,
    RootOpt,
    SlugArg,
    app,
    echo_json,
    load,
    out_dir,
    store,
    sub_app,
)
from dsm_assess.core.errors import DsmError

questionnaire_app = sub_app("Send questionnaires out (Excel, CSV) and bring answers back in.")
consensus_app = sub_app("Record the value a workshop agreed on for a criterion.")
app.add_typer(questionnaire_app, name="questionnaire")
app.add_typer(consensus_app, name="consensus")


@questionnaire_app.command("export")
def questionnaire_export(
    slug: SlugArg,
    respondent: Annotated[str | None, typer.Option("--respondent", help="Only this respondent (e-mail).",
                                                   show_default=False)] = None,
    to: Annotated[Path | None, typer.Option("--out-dir", help="Where to write (default: the engagement's "
                                            "outbox/).", show_default=False)] = None,
    prefill: Annotated[bool, typer.Option("--prefill", help="Fill in answers recorded earlier. After `engagement "
                                          "upgrade`: ask only what is new or split, with the earlier answer as a "
                                          "hint.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Write one Excel workbook per respondent and record it as sent; prints each path."""
    from dsm_assess.capture.intake import export_questionnaire
    from dsm_assess.engagement.spec import engagement_dir
    fw, eng = load(slug, root, questionnaires)
    people = [eng.respondent(respondent)] if respondent else eng.respondents
    if not people:
        raise DsmError(f"engagement {slug!r} has no respondents yet: add them with `engagement add-respondent`")
    target = to or engagement_dir(slug, root) / "outbox"
    failed = 0
    from dsm_assess.capture.upgrade import reask_hints
    with store(slug, root) as st:
        previous = st.current_answer_objects() if prefill else {}
        for person in people:  # one respondent's problem does not stop the others' questionnaires
            # after an upgrade the carried answers stand; ask only what they have not answered
            only = (set(eng.criteria_for(fw, person)) - set(previous.get(person.email, {}))
                    if prefill and eng.upgraded_from else None)
            hints = reask_hints(fw, st, person.email) if prefill else None
            if only is not None and not only:
                typer.echo(f"{person.email}: nothing new to ask")
                continue
            try:
                typer.echo(export_questionnaire(fw, eng, person, target, st, previous.get(person.email), only=only,
                                                hints=hints))
            except DsmError as err:
                typer.echo(f"error: {err}", err=True)
                failed += 1
    if failed:
        raise typer.Exit(1)


@questionnaire_app.command("follow-up")
def questionnaire_follow_up(
    slug: SlugArg,
    to: Annotated[Path | None, typer.Option("--out-dir", help="Where to write (default: the engagement's "
                                            "outbox/).", show_default=False)] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False,
) -> None:
    """From the answers so far (a screening or stepwise first round, earlier follow-ups), decide per
    subject what to ask next, record it in engagement.yaml and write each respondent a workbook of
    only the new statements. Run it again after each round of answers until it asks nothing more."""
    from dsm_assess.capture.followup import follow_up_summary, plan_follow_up, record_follow_up
    from dsm_assess.capture.intake import export_questionnaire
    from dsm_assess.engagement.spec import engagement_dir, load_engagement
    fw, eng = load(slug, root, questionnaires)
    with store(slug, root) as st:
        plans = plan_follow_up(fw, eng, st.current_answers(), st.consensus())
        record_follow_up(slug, root, plans, fw)
        eng = load_engagement(slug, root, fw)
        previous = st.current_answer_objects()
        target = to or engagement_dir(slug, root) / "outbox"
        workbooks = {}
        for p in plans:
            if p.new:
                resp = eng.respondent(p.email)
                workbooks[p.email] = str(export_questionnaire(fw, eng, resp, target, st, previous.get(p.email),
                                                              only=set(p.new), suffix=_round(target, slug, resp)))
    if as_json:
        echo_json(follow_up_summary(plans, workbooks))
        return
    for p in plans:
        typer.echo(f"{p.email}: {len(p.new)} statement(s)" + (f" -> {workbooks[p.email]}" if p.new else ""))
        for s in p.subjects:
            typer.echo(f"  {s.subject:<12} {len(s.new):>3}  {'; '.join(s.reasons)}")


def _round(folder: Path, slug: str, resp) -> str:
    """`-follow-up`, then `-follow-up-2`, ...: a later round never writes over an earlier one's workbook."""
    from dsm_assess.capture.workbook import person_part
    n = 1
    while (folder / f"{slug}-{person_part(resp)}-follow-up{'' if n == 1 else f'-{n}'}.xlsx").exists():
        n += 1
    return "-follow-up" if n == 1 else f"-follow-up-{n}"


def _import(slug: str, files: list[Path] | None, root: Path | None, questionnaires: Path | None, kind: str) -> None:
    from tqdm import tqdm

    from dsm_assess.capture.intake import import_files, returned_files
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.formats.yamlfile import display_path
    fw, eng = load(slug, root, questionnaires)
    given = bool(files)
    files = files or returned_files(engagement_dir(slug, root), kind)

    def say(text: str, err: bool = False) -> None:  # printed above the progress bar, not through it
        tqdm.write(text, file=sys.stderr if err else sys.stdout)

    rejected, seen = 0, []
    from_folder = not given
    with store(slug, root) as st:
        for outcome in import_files(files, fw, eng, st, kind, root, progress=True):
            if from_folder and outcome.outcome == "unchanged":  # earlier files of returned/: counted, not listed
                seen.append(outcome)
                continue
            say(outcome.describe(), err=outcome.outcome == "rejected")
            name = display_path(outcome.path)
            for note in outcome.notes:
                say(f"  note: {name}: {note}")
            for warning in outcome.warnings:
                say(f"  warning: {name}: {warning}", err=True)
            for problem in outcome.problems:
                say(f"  {problem}", err=True)
            rejected += outcome.outcome == "rejected"
    if seen:
        say(f"{len(seen)} file(s) in {display_path(engagement_dir(slug, root) / 'returned')}/ already imported; "
            "nothing changed")
    if rejected:
        typer.echo(f"{rejected} of {len(files)} file(s) rejected; fix them and import again", err=True)
        raise typer.Exit(EXIT_REJECTED)


ReturnedArg = Annotated[list[Path] | None, typer.Argument(
    metavar="FILE", help="Returned files (default: every one in the engagement's returned/ folder).",
    show_default=False)]


@questionnaire_app.command("import")
def questionnaire_import(slug: SlugArg, files: ReturnedArg = None, root: RootOpt = None,
                         questionnaires: QuestionnairesOpt = None) -> None:
    """Validate and store returned workbooks; each file all or nothing. Exit 3 if any is rejected."""
    _import(slug, files, root, questionnaires, "workbook")


@questionnaire_app.command("import-csv")
def questionnaire_import_csv(slug: SlugArg, files: ReturnedArg = None, root: RootOpt = None,
                             questionnaires: QuestionnairesOpt = None) -> None:
    """Validate and store long-format CSV answers; each file all or nothing. Exit 3 if any is rejected."""
    _import(slug, files, root, questionnaires, "csv")


@questionnaire_app.command("export-csv")
def questionnaire_export_csv(slug: SlugArg, to: OutDirOpt = None, root: RootOpt = None,
                             questionnaires: QuestionnairesOpt = None) -> None:
    """Write one row per respondent x criterion with the current answers; prints the path."""
    from dsm_assess.capture.csvio import export_csv
    fw, eng = load(slug, root, questionnaires)
    with store(slug, root) as st:
        current = st.current_answers()
    typer.echo(export_csv(fw, eng, current, out_dir(to, slug) / f"{slug}-answers.csv"))


@consensus_app.command("set")
def consensus_set(
    slug: SlugArg,
    criterion: Annotated[str, typer.Argument(metavar="CRITERION", help="Criterion id, e.g. PR.INC.L3.02.")],
    rating: Annotated[str, typer.Argument(metavar="RATING", help="N, P, L, F, NA or DK.")],
    rationale: Annotated[str, typer.Option("--rationale", help="Why the workshop agreed on this value.")],
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Record the value a workshop agreed on; it takes precedence over individual answers."""
    from dsm_assess.capture.intake import record_consensus
    fw, eng = load(slug, root, questionnaires)
    criterion = fw.resolve(criterion, "criterion", [c.id for c in fw.criteria])
    with store(slug, root) as st:
        code = record_consensus(fw, eng, st, criterion, rating, rationale)
    typer.echo(f"consensus for {criterion}: {code}")


@consensus_app.command("show")
def consensus_show(slug: SlugArg, root: RootOpt = None,
                   history: Annotated[bool, typer.Option(
                       "--history", help="Every value ever recorded, not just the current one.")] = False,
                   as_json: JsonOpt = False) -> None:
    """List the consensus values recorded for an engagement."""
    from dsm_assess.deliver.results import records
    from dsm_assess.engagement.spec import load_engagement
    load_engagement(slug, root)  # a clear error for an unknown engagement, before any store is opened
    with store(slug, root) as st:
        df = st.consensus_history() if history else st.consensus()
    if as_json:
        echo_json({"consensus": records(df[["criterion_id", "rating", "rationale", "recorded_by", "recorded_at"]])})
        return
    if df.empty:
        typer.echo("no consensus recorded")
    for r in df.itertuples():
        typer.echo(f"{r.criterion_id}  {r.rating:<2}  {r.recorded_at[:19]}  {r.recorded_by}: {r.rationale}")


@app.command("status")
def status(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
           subjects: Annotated[bool, typer.Option("--subjects/--no-subjects",
                                                  help="Also show each respondent's subjects.")] = True,
           as_json: JsonOpt = False) -> None:
    """Per respondent and subject: answered, outstanding, N/A and don't know; then what stands
    in the way of a report (readiness, the same list `report` warns of)."""
    from dsm_assess.capture.status import progress, progress_line, status_summary
    from dsm_assess.deliver.readiness import check_engagement
    from dsm_assess.deliver.results import short
    fw, eng = load(slug, root, questionnaires)
    with store(slug, root) as st:
        summary = status_summary(progress(fw, eng, st.current_answers()))
    checks = check_engagement(slug, root, fw)
    summary["readiness"] = [c.as_dict() for c in checks]
    if as_json:
        echo_json(summary)
        return
    if not summary["respondents"]:
        typer.echo(f"{slug}: no respondents yet")
    for r in summary["respondents"]:
        typer.echo(f"{short(r['name'], 26):<26} {progress_line(r, 30)}")
        for sub in r["subjects"] if subjects else ():
            typer.echo(f"  {sub['id']:<24} {progress_line(sub, 12)}")
    typer.echo("Ready for a report." if not checks else "Before a report goes out:")
    for c in checks:
        typer.echo(f"  - {c.message}")
