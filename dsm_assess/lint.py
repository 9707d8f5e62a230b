"""`bank lint`: the rules a question bank must keep, beyond what loading already checks.

Loading catches broken YAML, missing fields, unknown dimensions, areas and ids. The linter adds
the content rules: enough criteria per level, statements that are statements and short, no
duplicate or near-duplicate texts, no reuse of retired ids, profiles that keep their promises,
and an initiative library that serves every criterion (so the roadmap can close any gap).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from pathlib import Path

from .errors import Problem
from .framework import LEVELS, Framework, default_questionnaires, read_framework
from .yamlfile import display_path

MIN_CRITERIA = 10
MIN_PER_LEVEL = 2
MAX_STATEMENT = 200
NEAR_DUPLICATE = 0.6  # share of distinct words two statements have in common (the shipped bank peaks near 0.4)
QUESTION_START = re.compile(
    r"^(do|does|did|is|are|was|were|has|have|had|can|could|should|would|will|how|what|who|why|which)\b",
    re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@")
WORD = re.compile(r"[a-z0-9]+")


def lint_bank(root: Path | None = None) -> list[Problem]:
    """Every problem in the bank (and the framework it refers to), in file order."""
    root = Path(root) if root else default_questionnaires()
    return lint_loaded(*read_framework(root), root / "bank")


def lint_loaded(fw: Framework | None, problems: list[Problem], bank_dir: Path) -> list[Problem]:
    """Lint what `read_framework` returned: its own problems if it failed, else the content rules."""
    if fw is None:
        return [Problem(p.file, p.where, p.message, p.line, p.rule or "schema") for p in problems]
    return check_content(fw, bank_dir)


def check_content(fw: Framework, bank_dir: Path) -> list[Problem]:
    files = {s.id: display_path(bank_dir / "subjects" / f"{s.id}.yaml") for s in fw.subjects}
    out: list[Problem] = []

    def add(subject: str, where: str, rule: str, message: str) -> None:
        out.append(Problem(files.get(subject, display_path(bank_dir)), where, message, rule=rule))

    counts = fw.criteria_counts()
    for s in fw.subjects:
        levels = counts.get(s.id)
        if levels is None:
            add(s.id, s.id, "coverage", f"subject {s.name} has no criteria (no {s.id}.yaml in subjects/)")
            continue
        if sum(levels.values()) < MIN_CRITERIA:
            add(s.id, s.id, "counts", f"{sum(levels.values())} criteria; at least {MIN_CRITERIA} are needed")
        for lv, n in levels.items():
            if n < MIN_PER_LEVEL:
                add(s.id, s.id, "counts", f"{n} criteria at level {lv}; at least {MIN_PER_LEVEL} are needed")
        if not s.audiences:
            add(s.id, s.id, "audiences", "no audiences: name the roles best placed to answer")

    retired = set(fw.retired)
    for c in fw.criteria:
        st = c.statement
        if len(st) > MAX_STATEMENT:
            add(c.subject, c.id, "length", f"statement is {len(st)} characters; at most {MAX_STATEMENT}")
        if "?" in st or QUESTION_START.match(st):
            add(c.subject, c.id, "question", "statement reads as a question; write what is true when achieved")
        if any(t.startswith(FORMULA_START) for t in (st, c.guidance, c.improve, *c.evidence)):
            add(c.subject, c.id, "formula", "text starts with = + - or @, which a spreadsheet would evaluate")
        if c.id in retired:
            add(c.subject, c.id, "retired", "this id was retired and must not be reused")

    _duplicates(fw, add)
    out.extend(_profiles(fw, bank_dir))
    out.extend(_unserved(fw, bank_dir.parent / "initiatives"))
    return out


def _words(text: str) -> frozenset[str]:
    return frozenset(WORD.findall(text.lower()))


def _duplicates(fw: Framework, add) -> None:
    """Identical statements, guidance or improve texts, and near-identical statements."""
    for field in ("statement", "guidance", "improve"):
        seen: dict[str, str] = {}
        for c in fw.criteria:
            key = " ".join(WORD.findall(getattr(c, field).lower()))
            if key in seen:
                add(c.subject, c.id, "duplicate", f"{field} is the same as {seen[key]}'s")
            else:
                seen[key] = c.id
    words = [(c, _words(c.statement)) for c in fw.criteria]
    for (a, wa), (b, wb) in combinations(words, 2):
        overlap = len(wa & wb) / len(wa | wb)
        if NEAR_DUPLICATE <= overlap < 1 or (overlap == 1 and a.statement != b.statement):
            add(b.subject, b.id, "near-duplicate", f"statement is {overlap:.0%} the same words as {a.id}'s")


def _profiles(fw: Framework, bank_dir: Path) -> list[Problem]:
    out = []
    file = display_path(bank_dir / "profiles.yaml")
    subjects = {s.id for s in fw.subjects}
    by_id = {c.id: c for c in fw.criteria}
    for p in fw.profile_defs:
        ids = fw.profiles[p.id]
        if sum(bool(x) for x in (p.all, p.first_per_level, p.criteria)) != 1:
            out.append(Problem(file, p.id, "give exactly one of all, first_per_level or criteria", rule="profile"))
        if p.max_criteria and len(ids) > p.max_criteria:
            out.append(Problem(file, p.id, f"selects {len(ids)} criteria; at most {p.max_criteria}", rule="profile"))
        if p.covers_every_level:
            have = Counter((by_id[i].subject, by_id[i].level) for i in ids)
            for s in sorted(subjects):
                missing = [str(lv) for lv in LEVELS if not have[(s, lv)]]
                if missing:
                    out.append(Problem(file, p.id, f"has no criterion of {s} at level {', '.join(missing)}",
                                       rule="profile"))
    return out


def _unserved(fw: Framework, initiatives_dir: Path) -> list[Problem]:
    """Criteria no initiative serves: a gap on them is one the roadmap could never close."""
    if not fw.initiatives:
        return [Problem(display_path(initiatives_dir), "", "no initiative library: the roadmap has nothing to plan "
                        "with", rule="initiatives")]
    served = fw.initiatives_for
    return [Problem(display_path(initiatives_dir / f"{c.subject}.yaml"), c.id,
                    "no initiative serves this criterion; add it to the criteria of the initiative that achieves it",
                    rule="initiatives")
            for c in fw.criteria if c.id not in served]
