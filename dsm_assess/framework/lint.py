"""`bank lint`: the rules a question bank must keep, beyond what loading already checks.

Loading catches broken YAML, missing fields, unknown dimensions, areas and ids. The linter adds
the content rules: enough criteria per level, statements that are statements and short, no
duplicate or near-duplicate texts, no jargon the glossary does not define, no reuse of retired
ids, profiles that keep their promises, and an initiative library that serves every criterion
(so the roadmap can close any gap).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from dsm_assess.core.errors import Problem
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.framework.model import LEVELS, Framework, default_questionnaires, read_framework

MIN_CRITERIA = 10
MIN_PER_LEVEL = 2
MAX_STATEMENT = 200
NEAR_DUPLICATE = 0.6  # share of distinct words two statements have in common (the shipped bank peaks near 0.4)
QUESTION_START = re.compile(
    r"^(do|does|did|is|are|was|were|has|have|had|can|could|should|would|will|how|what|who|why|which)\b",
    re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@")
# The obvious forms of a statement that holds two requirements (docs/question-bank.md).
TWO_REQUIREMENTS = re.compile(r";|\band also\b|\bas well as\b", re.IGNORECASE)
# ", and" starting a second clause with its own verb: "X is reviewed, and each decision is recorded".
SECOND_CLAUSE = re.compile(r",\s+and\s+(?:\S+\s+){0,6}?(?:is|are|has|have|was|were|can|does|do|gets|get|keeps|keep)\b",
                           re.IGNORECASE)
OBLIGATION = re.compile(r"\b(must|shall|should|(?:is|are) required to)\b", re.IGNORECASE)
# Two predicates joined by a conjunction: "X is logged and Y is reviewed", "X is checked, with Y set by Z".
_VERB = r"(?:is|are|has|have|was|were|can|does|do|gets|get|keeps|keep|holds|hold|runs|run|meets|meet|becomes|become)"
AND_PREDICATE = re.compile(rf"\b{_VERB}\b.+?\band\s+(?:\S+\s+){{0,5}}?{_VERB}\b", re.IGNORECASE)
WITH_PREDICATE = re.compile(r",\s+with\s+(?:\S+\s+){0,4}?(?:\w+ed|set|kept|made|run|held|built|drawn|shown|known|"
                            r"seen|taken)\s+(?:by|for|to|in|at|from|against|on|as|each|every)\b", re.IGNORECASE)
# The parts a ladder level requires (docs/question-bank.md): the closing clause that level 5 must have,
# "with the effect on X measured", is part of its one requirement, not a second one.
EFFECT_CLAUSE = re.compile(r",?\s+(?:with|and)\s+[^,]*?\b(?:effect|effects|impact|saving|savings|time saved|gain|"
                           r"accuracy)\b[^,]*$", re.IGNORECASE)
LEVEL5_DATA = re.compile(r"\b(data|trends?|figures|measures|results|analys[ie]s|comparisons?|benchmarks?|benchmarking|"
                         r"feedback|surveys?|track record|history|outcomes|findings|volumes?|causes|records|"
                         r"reviews?|usage)\b", re.IGNORECASE)
LEVEL5_EFFECT = re.compile(r"\b(effect|effects|impact|saving|savings|time saved|gain|accuracy)\b[^.]*?\b(measured|"
                           r"checked|tracked|confirmed|verified|compared|recorded)\b", re.IGNORECASE)
LEVEL4_TARGET = re.compile(r"\b(targets?|limits?|thresholds?|tolerances?|ceilings?|budgets?|service levels?|"
                           r"appetite)\b", re.IGNORECASE)
LEVEL4_AGREED = re.compile(r"\b(agreed|set|approved|signed off|accepted|owned)\s+(with|by)\b", re.IGNORECASE)
# Guidance describes "fully achieved"; it must not ask for more than the statement does.
GUIDANCE_REQUIREMENT = re.compile(r"\b(must|should|shall|in addition|is required|are required)\b", re.IGNORECASE)
CONSULTANT_VOICE = re.compile(r"\bthe client('s)?\b", re.IGNORECASE)
AUTOMATION = re.compile(r"\bautomat", re.IGNORECASE)
QUICK_SCAN_DIMENSION_SHARE = 1 / 8  # every dimension gets at least an eighth of a spread profile
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
    bank_file = display_path(bank_dir)
    out: list[Problem] = []

    def add(subject: str, where: str, rule: str, message: str) -> None:
        out.append(Problem(files.get(subject, bank_file), where, message, rule=rule))

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
        _coverage(fw, s, add)

    for c in fw.criteria:
        _criterion(fw, c, add)

    version = _version(fw.bank_version or "0.0.0")
    for g in fw.retired:
        if _version(g.since) > version:
            add(g.id.rsplit(".", 2)[0], g.id, "retired", f"retired since bank {g.since}, but the bank is version "
                f"{fw.bank_version}: raise the version in bank.yaml")
    _duplicates(fw, add)
    out.extend(_profiles(fw, bank_dir))
    out.extend(_unserved(fw, bank_dir.parent / "initiatives"))
    out.extend(_spans_levels(fw, bank_dir.parent / "initiatives"))
    out.extend(_waits_on_higher_levels(fw, bank_dir.parent / "initiatives"))
    out.extend(_away_from_home(fw, bank_dir.parent / "initiatives"))
    return out


def check_criterion(fw: Framework, criterion) -> list[tuple[str, str]]:
    """The rules one criterion keeps on its own, as (rule, message) pairs: what an author checks while
    writing it, without linting the whole bank."""
    out: list[tuple[str, str]] = []
    _criterion(fw, criterion, lambda _subject, _where, rule, message: out.append((rule, message)))
    return out


def _criterion(fw: Framework, c, add) -> None:
    st = c.statement
    if len(st) > MAX_STATEMENT:
        add(c.subject, c.id, "length", f"statement is {len(st)} characters; at most {MAX_STATEMENT}")
    if "?" in st or QUESTION_START.match(st):
        add(c.subject, c.id, "question", "statement reads as a question; write what is true when achieved")
    if any(t.startswith(FORMULA_START) for t in (st, c.guidance, c.improve, *c.evidence)):
        add(c.subject, c.id, "formula", "text starts with = + - or @, which a spreadsheet would evaluate")
    if TWO_REQUIREMENTS.search(st) or SECOND_CLAUSE.search(st) or len(OBLIGATION.findall(st)) > 1:
        add(c.subject, c.id, "one-requirement", "statement looks like two requirements (a semicolon, 'and also', "
            "'as well as', ', and' opening a second clause, or two verbs of obligation): split it, or name the "
            "parts of one requirement")
    elif _two_predicates(c):
        add(c.subject, c.id, "one-requirement", "statement joins two predicates with 'and' or ', with' (\"X is "
            "done and Y is done\"): split it, or name the parts of one requirement")
    if GUIDANCE_REQUIREMENT.search(c.guidance):
        add(c.subject, c.id, "one-requirement", "guidance says 'must', 'should' or 'in addition': guidance shows "
            "what the statement looks like when fully achieved; it may not add a requirement")
    if CONSULTANT_VOICE.search(" ".join((st, c.guidance, c.improve))):
        add(c.subject, c.id, "voice", "text speaks of 'the client': respondents read it; say 'the organisation' "
            "or name the team")
    _ladder(c, add)
    _capability(fw, c, add)
    _jargon(fw, c, add)


def _two_predicates(c) -> bool:
    st = c.statement
    if c.level == 5:
        st = EFFECT_CLAUSE.sub("", st)
    return bool(AND_PREDICATE.search(st) or WITH_PREDICATE.search(st))


def _ladder(c, add) -> None:
    """Level 5 names the data, the change and how its effect is measured; level 4 names a target, limit
    or threshold and who agreed it; level 5 is never about automation itself."""
    st = c.statement
    if c.level == 5 and AUTOMATION.search(EFFECT_CLAUSE.sub("", st)) and c.capability != "automation-choice":
        add(c.subject, c.id, "ladder", "level 5 statement is about automation; automation is a means at any "
            "level, level 5 is the practice improving itself from its own data (docs/question-bank.md)")
    if c.level == 5 and not (LEVEL5_DATA.search(st) and LEVEL5_EFFECT.search(st)):
        add(c.subject, c.id, "ladder", "level 5 statement must name the data a change is made from and how its "
            "effect is measured (\"..., with the effect on X measured\")")
    if c.level == 4 and not (LEVEL4_TARGET.search(st) and LEVEL4_AGREED.search(st)):
        add(c.subject, c.id, "ladder", "level 4 statement must name a target, limit or threshold and who agreed "
            "it (\"against targets agreed with each service owner\")")


def _jargon(fw: Framework, c, add) -> None:
    """Jargon from the glossary's watch-list that the glossary does not define: a respondent reads the
    statement and guidance alone, so a term is defined where it is used or said in plain words."""
    for field in ("statement", "guidance"):
        words = fw.glossary.undefined(getattr(c, field))
        if words:
            add(c.subject, c.id, "jargon", f"{field} uses {', '.join(repr(w) for w in words)}, which the glossary "
                "does not define: say it in plain words, or define it in framework/glossary.yaml")


def _capability(fw: Framework, c, add) -> None:
    """Every criterion names its capability family, and sits at the family's level or says why not."""
    if c.capability is None:
        add(c.subject, c.id, "capability", "no capability family: name one from capability_families in bank.yaml")
        return
    family = next((k for k in fw.capability_families if k.id == c.capability), None)
    if family is not None and family.level != c.level and not c.capability_reason:
        add(c.subject, c.id, "capability", f"capability {family.id!r} belongs at level {family.level}, but this "
            f"criterion is at level {c.level}: move it, or say why in capability_reason")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _coverage(fw: Framework, subject, add) -> None:
    """Every criterion on one of its subject's topics, every topic asked, every dimension present."""
    criteria = [c for c in fw.criteria if c.subject == subject.id]
    if not subject.topics:
        add(subject.id, subject.id, "topics", "no topics: list what the subject must get right (docs/question-bank.md)")
    for c in criteria:
        if c.topic is None:
            add(subject.id, c.id, "topics", "no topic: name the subject topic this criterion is about")
    used = {c.topic for c in criteria}
    for t in subject.topics:
        if t.id not in used:
            add(subject.id, subject.id, "topics", f"topic {t.id!r} ({t.name}) has no criterion")
    have = {c.dimension for c in criteria}
    for d in fw.dimensions:
        if d.id not in have:
            add(subject.id, subject.id, "dimensions", f"no criterion about {d.name} ({d.id})")


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
    # every pair's shared words at once: a criteria-by-words matrix times its transpose
    words = [_words(c.statement) for c in fw.criteria]
    vocab = {w: i for i, w in enumerate(sorted(set().union(*words)))}
    m = np.zeros((len(words), len(vocab)), dtype=np.float64)
    for i, ws in enumerate(words):
        m[i, [vocab[w] for w in ws]] = 1
    shared = m @ m.T
    sizes = m.sum(axis=1)
    overlap = shared / (sizes[:, None] + sizes[None, :] - shared)
    for i, j in zip(*np.nonzero(np.triu(overlap >= NEAR_DUPLICATE, k=1)), strict=True):
        a, b, o = fw.criteria[i], fw.criteria[j], float(overlap[i, j])
        if o < 1 or a.statement != b.statement:
            add(b.subject, b.id, "near-duplicate", f"statement is {o:.0%} the same words as {a.id}'s")


def _profiles(fw: Framework, bank_dir: Path) -> list[Problem]:
    out = []
    file = display_path(bank_dir / "profiles.yaml")
    subjects = {s.id for s in fw.subjects}
    by_id = {c.id: c for c in fw.criteria}
    for p in fw.profile_defs:
        ids = fw.profiles[p.id]
        if sum(bool(x) for x in (p.all, p.first_per_level, p.criteria, p.tagged, p.of)) != 1:
            out.append(Problem(file, p.id, "give exactly one of all, first_per_level, criteria, tagged or of",
                               rule="profile"))
        if p.levels and not p.of:
            out.append(Problem(file, p.id, "levels chooses among another profile's criteria: give it with of",
                               rule="profile"))
        if p.max_criteria and len(ids) > p.max_criteria:
            out.append(Problem(file, p.id, f"selects {len(ids)} criteria; at most {p.max_criteria}", rule="profile"))
        if p.covers_every_level:
            have = Counter((by_id[i].subject, by_id[i].level) for i in ids)
            for s in sorted(subjects):
                missing = [str(lv) for lv in LEVELS if not have[(s, lv)]]
                if missing:
                    out.append(Problem(file, p.id, f"has no criterion of {s} at level {', '.join(missing)}",
                                       rule="profile"))
        if p.spread:
            out.extend(_spread(fw, p.id, [by_id[i] for i in ids], file))
        if p.decides_levels:
            out.extend(_decides(fw, p, [by_id[i] for i in ids], file))
    return out


def _spread(fw: Framework, profile: str, chosen: list, file: str) -> list[Problem]:
    """A spread profile asks different topics within a subject and every dimension across the bank."""
    out = []
    by_subject: dict[str, list] = {}
    for c in chosen:
        by_subject.setdefault(c.subject, []).append(c)
    for subject, cs in by_subject.items():
        topics = Counter(c.topic for c in cs)
        twice = sorted(t for t, n in topics.items() if n > 1 and t is not None)
        if twice:
            out.append(Problem(file, profile, f"asks {subject}'s topic {', '.join(twice)} more than once; choose "
                               "criteria on different topics", rule="profile"))
    dims = Counter(c.dimension for c in chosen)
    floor = QUICK_SCAN_DIMENSION_SHARE * len(chosen)
    for d in fw.dimensions:
        if dims[d.id] < floor:
            out.append(Problem(file, profile, f"asks {dims[d.id]} criteria about {d.name}; at least "
                               f"{int(-(-floor // 1))} of {len(chosen)} are needed", rule="profile"))
    return out


def _decides(fw: Framework, profile, chosen: list, file: str) -> list[Problem]:
    """A profile that decides levels has, in every subject and at each of those levels, a criterion
    asked whatever the client declares: one that applies only under a condition may be left out."""
    out = []
    have: dict[tuple[str, int], list] = {}
    for c in chosen:
        have.setdefault((c.subject, c.level), []).append(c)
    for s in fw.subjects:
        for lv in profile.decides_levels:
            cs = have.get((s.id, lv), [])
            if not cs:
                out.append(Problem(file, profile.id, f"has no criterion of {s.id} at level {lv}; it must decide "
                                   f"levels {', '.join(map(str, profile.decides_levels))}", rule="profile"))
            elif all(c.applies_when for c in cs):
                out.append(Problem(file, profile.id, f"decides {s.id} level {lv} on conditional criteria alone "
                                   f"({', '.join(c.id for c in cs)}); add one that always applies",
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


def _initiative_file(fw: Framework, initiatives_dir: Path, initiative) -> str:
    """The subject file an initiative is written in (it may serve other subjects too)."""
    home = fw.initiative_home.get(initiative.id) or fw.index[initiative.criteria[0]].subject
    return display_path(initiatives_dir / f"{home}.yaml")


def _spans_levels(fw: Framework, initiatives_dir: Path) -> list[Problem]:
    """Initiatives serving more than two adjacent levels, across every subject they serve: the
    planner takes an initiative whole, so a client closing a level 3 gap would be given (and charged
    for) its level 5 work too, in whichever subject that work lies."""
    index = fw.index
    out = []
    for i in fw.initiatives:
        levels = sorted({index[c].level for c in i.criteria})
        if levels and (len(levels) > 2 or levels[-1] - levels[0] > 1):
            where = ""
            if len(i.subjects) > 1:
                per = {s: sorted({index[c].level for c in i.criteria if index[c].subject == s}) for s in i.subjects}
                where = " (" + "; ".join(f"{s} {', '.join(map(str, lv))}" for s, lv in per.items()) + ")"
            out.append(Problem(
                _initiative_file(fw, initiatives_dir, i), i.id,
                f"serves levels {', '.join(map(str, levels))}{where}: an initiative serves one level or two adjacent "
                f"ones; move the level {levels[-1]} criteria to an initiative of their own that depends on this one",
                rule="initiatives"))
    return out


def _away_from_home(fw: Framework, initiatives_dir: Path) -> list[Problem]:
    """Initiatives written in a subject's file that serve none of that subject's criteria: shared
    work lives in the file of one of the subjects it serves, so that a reader finds it there."""
    out = []
    for i in fw.initiatives:
        home = fw.initiative_home.get(i.id)
        if home is not None and home not in i.subjects:
            out.append(Problem(_initiative_file(fw, initiatives_dir, i), i.id,
                               f"is written in {home}.yaml but serves only {', '.join(i.subjects)}: move it to the "
                               "file of a subject it serves", rule="initiatives"))
    return out


def _waits_on_higher_levels(fw: Framework, initiatives_dir: Path) -> list[Problem]:
    """Initiatives that depend on work for higher levels only: the roadmap would make a client
    reach level 4 before it could finish level 3 (a level is reached by its own work and the
    levels below it)."""
    index = fw.index
    lowest = {i.id: min(index[c].level for c in i.criteria) for i in fw.initiatives if i.criteria}
    out = []
    for i in fw.initiatives:
        for d in i.depends_on:
            if d in lowest and i.id in lowest and lowest[d] > lowest[i.id]:
                out.append(Problem(
                    _initiative_file(fw, initiatives_dir, i), i.id,
                    f"serves level {lowest[i.id]} but depends on {d}, whose criteria are all at level {lowest[d]} "
                    f"or above: move the level {lowest[i.id]} criteria to an initiative that needs no higher-level "
                    "work, or drop the dependency", rule="initiatives"))
    return out
