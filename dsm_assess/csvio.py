"""Long-format CSV answers: one row per respondent x criterion, for people who prefer a sheet of rows.

Cells that a spreadsheet would evaluate (starting with = + - @) are written with a leading
apostrophe and read back without it, so text stays text both ways.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .answers import FIELDS, Answer, Parsed, RowReader
from .engagement import Engagement
from .errors import Problem
from .framework import Framework
from .yamlfile import display_path

HEADER = ["engagement", "respondent", "criterion_id", "subject", "level", "statement", "rating", "na_reason",
          "confidence", "evidence", "comment"]
REQUIRED = ["respondent", "criterion_id", "rating"]
FORMULA_START = ("=", "+", "-", "@")


def _out(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _in(value: str | None) -> str | None:
    if value and value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def export_csv(fw: Framework, eng: Engagement, current: pd.DataFrame, path: Path) -> Path:
    """Every respondent x criterion in scope, with the current answer where there is one."""
    by_id = {c.id: c for c in fw.criteria}
    answers = {(r.respondent, r.criterion_id): r for r in current.itertuples()} if len(current) else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for resp in eng.respondents:
            for cid in eng.criteria_for(fw, resp):
                c, a = by_id[cid], answers.get((resp.email, cid))
                w.writerow([_out(v) for v in (
                    eng.slug, resp.email, cid, c.subject, c.level, c.statement,
                    a.rating if a else None, a.na_reason if a else None, a.confidence if a else None,
                    a.evidence if a else None, a.comment if a else None)])
    return path


def read_csv(path: Path, fw: Framework, eng: Engagement) -> Parsed:
    """Validate a long-format CSV fully; rows with a blank rating are skipped."""
    name = display_path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    answers: list[Answer] = []
    if path.suffix.lower() != ".csv":
        return Parsed([], [], [Problem(name, "", f"expected a .csv file, got {path.suffix or 'no extension'}")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return Parsed([], [], [Problem(name, "", "not UTF-8 text; save the CSV as UTF-8")])
    rows = list(csv.DictReader(text.splitlines()))
    header = list(rows[0].keys()) if rows else next(csv.reader(text.splitlines()), [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Parsed([], [], [Problem(name, "line 1", f"missing column(s): {', '.join(missing)}")])
    reader = RowReader(fw)
    allowed = {r.email: set(eng.criteria_for(fw, r)) for r in eng.respondents}
    seen: dict[tuple[str, str], int] = {}
    for n, row in enumerate(rows, start=2):
        where = lambda col, n=n: f"line {n}, column {col}"  # noqa: E731
        if row.get("engagement") and row["engagement"] != eng.slug:
            problems.append(Problem(name, where("engagement"), f"row is for engagement {row['engagement']!r}, "
                                                               f"not {eng.slug!r}"))
            continue
        email = (row.get("respondent") or "").strip().lower()
        cid = (row.get("criterion_id") or "").strip()
        if email not in allowed:
            problems.append(Problem(name, where("respondent"), f"{email!r} is not a respondent of {eng.slug!r}"))
            continue
        if cid not in allowed[email]:
            problems.append(Problem(name, where("criterion_id"), f"{cid!r} is not asked of {email}"))
            continue
        if (email, cid) in seen:
            problems.append(Problem(name, where("criterion_id"), f"{cid} for {email} also on line {seen[email, cid]}"))
            continue
        seen[email, cid] = n
        answer, row_notes, row_problems = reader.read({k: _in(row.get(k)) for k in FIELDS}, cid, email, name, where)
        notes += row_notes
        problems += row_problems
        if answer:
            answers.append(answer)
    return Parsed(answers, notes, problems)
