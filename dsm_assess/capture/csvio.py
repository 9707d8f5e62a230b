"""Long-format CSV answers: one row per respondent x criterion, for people who prefer a sheet of rows.

Text round-trips exactly: the file is read with the `csv` module over the file itself (so a
line break or any other character inside a quoted field stays in its field), and a line is
named by where its record starts. Cells that a spreadsheet would evaluate (starting with
= + - @, a tab or a carriage return, possibly after apostrophes) are written with one more
leading apostrophe and read back without it, so text stays text both ways and
export -> import -> export gives the same bytes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from dsm_assess.core.errors import Problem
from dsm_assess.core.frames import pd
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.formats.sheets import NEEDS_MARK, csv_text
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.framework.model import Framework
from dsm_assess.store.answers import FIELDS, Parsed, RowReader

HEADER = ["engagement", "respondent", "criterion_id", "subject", "level", "statement", "rating", "na_reason",
          "confidence", "evidence", "comment"]
REQUIRED = ["respondent", "criterion_id", "rating"]
MAX_CSV_BYTES = 64 * 1024 * 1024  # refused before parsing: split a larger file by respondent


def _out(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # None, NaN and pandas' NA
        return ""
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return csv_text(text)


def _in(value: str) -> str:
    if value.startswith("'") and NEEDS_MARK.match(value, 1):
        return value[1:]
    return value


def export_csv(fw: Framework, eng: EngagementSpec, current: pd.DataFrame, path: Path) -> Path:
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


def read_csv(path: Path, fw: Framework, eng: EngagementSpec) -> Parsed:
    """Validate a long-format CSV fully; rows with a blank rating are skipped."""
    name = display_path(path)
    res = Parsed()
    if path.suffix.lower() != ".csv":
        res.add([Problem(name, "", f"expected a .csv file, got {path.suffix or 'no extension'}")])
        return res
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        res.add([Problem(name, "", f"file is {size / 1e6:.1f} MB; a CSV file of answers is never more than "
                                   f"{MAX_CSV_BYTES // 2**20} MB: split it by respondent")])
        return res
    line = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            try:
                _read_rows(reader, name, fw, eng, res)
            finally:
                line = reader.line_num
    except UnicodeDecodeError:
        res.add([Problem(name, f"line {line + 1}", "not UTF-8 text; save the CSV as UTF-8")], keep=True)
    except csv.Error as exc:
        why = str(exc)
        if "field larger than field limit" in why:
            why = f"a field is longer than {csv.field_size_limit():,} characters (text fields hold at most 10,000)"
        res.add([Problem(name, f"line {line}", f"cannot be read as CSV: {why}; nothing after it was read")], keep=True)
    return res


def _read_rows(reader, name: str, fw: Framework, eng: EngagementSpec, res: Parsed) -> None:
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        res.add([Problem(name, "line 1", f"missing column(s): {', '.join(missing)}")])
        return
    rows_allowed = {r.email: set(eng.criteria_for(fw, r)) for r in eng.respondents}
    most = sum(len(ids) for ids in rows_allowed.values())
    rows = RowReader(fw)
    seen: dict[tuple[str, str], int] = {}
    end = reader.line_num
    count = 0
    for record in reader:
        n, end = end + 1, reader.line_num  # a record starts on the line after the previous one ended
        if not any(record):
            continue  # a blank line
        where = lambda col, n=n: f"line {n}, column {col}"  # noqa: E731
        if len(record) != len(header):
            res.add([Problem(name, f"line {n}", f"{len(record)} field(s) where the header has {len(header)} "
                                                "(a missing or extra comma, or an unclosed quote?)")])
            continue
        count += 1
        if count > most:
            res.add([Problem(name, f"line {n}", f"more rows than engagement {eng.slug!r} has answers to give "
                                                f"({most:,}); nothing after it was read")], keep=True)
            return
        row = dict(zip(header, map(_in, record), strict=True))
        if row.get("engagement") and row["engagement"] != eng.slug:
            res.add([Problem(name, where("engagement"), f"row is for engagement {row['engagement']!r}, "
                                                        f"not {eng.slug!r}")])
            continue
        email = row["respondent"].strip().lower()
        cid = row["criterion_id"].strip()
        if email not in rows_allowed:
            res.add([Problem(name, where("respondent"), f"{email!r} is not a respondent of {eng.slug!r}")])
            continue
        if cid not in rows_allowed[email]:
            res.add([Problem(name, where("criterion_id"), f"{cid!r} is not asked of {email}")])
            continue
        if (email, cid) in seen:
            res.add([Problem(name, where("criterion_id"), f"{cid} for {email} also on line {seen[email, cid]}")])
            continue
        seen[email, cid] = n
        got = rows.read({k: row.get(k) for k in FIELDS}, cid, email, name, where)
        res.notes += got.notes
        res.warnings += got.warnings
        res.add(got.problems)
        if got.answer:
            res.answers.append(got.answer)
