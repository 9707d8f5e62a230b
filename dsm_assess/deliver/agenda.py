"""The workshop agenda: what the answers could not settle, most consequential first, in the time
the workshop has.

Four kinds of item, each one criterion:

- an open disagreement (answers two or more scale steps apart, no consensus yet);
- a disputed N/A (some say it does not apply, others rated it or do not know);
- an unknown level's criterion (a level with too few answers; those without a rating);
- a criterion that decides a level of a high-priority gap (at the level above the current one,
  not yet largely achieved, or below it and not yet fully achieved, as the gate requires).

Items are ordered by what settling them could change: the levels at stake in their subject
(how far the subject's level could move on this criterion alone), weighted by the subject's
priority, then by how far apart the answers are. Each carries the respondents' answers and
comments and a time estimate; the items that fit in the minutes given are above the cut-off line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from dsm_assess.core.frames import pd
from dsm_assess.core.scale import FULLY, LARGELY, N_STEPS
from dsm_assess.scoring.assessment import Assessment
from dsm_assess.scoring.rules import NO_DATA

DISAGREEMENT, DISPUTED_NA, UNKNOWN, DECIDES = "open disagreement", "disputed N/A", "unknown level", "decides a level"
# Minutes a workshop typically spends settling one item of each kind: a disagreement needs each
# side heard, a disputed N/A a yes or no on scope, an unknown level a first answer from the room.
MINUTES = {DISAGREEMENT: 6, DISPUTED_NA: 3, UNKNOWN: 4, DECIDES: 3}
PRIORITY_WEIGHT = {"High": 3, "Medium": 2, "Low": 1}
FORMATS = ("docx", "md", "json")


@dataclass
class Item:
    criterion: str
    subject: str
    subject_name: str
    level: int
    kinds: list[str]
    statement: str
    subject_level: int | None
    target: int | None
    priority: str | None
    impact: float
    minutes: int
    answers: list[dict] = field(default_factory=list)
    starts_at: int = 0       # minutes into the workshop
    within: bool = True      # above the cut-off line


@dataclass
class Agenda:
    client: str
    minutes: int
    items: list[Item]

    @property
    def cut_off(self) -> int:
        """How many items fit in the minutes given."""
        return sum(i.within for i in self.items)

    def to_json(self) -> dict:
        return {"client": self.client, "minutes": self.minutes, "items_within": self.cut_off,
                "minutes_needed": sum(i.minutes for i in self.items), "items": [asdict(i) for i in self.items]}


def _stake(level: int | None, criterion_level: int) -> int:
    """Levels the subject's level could move on this criterion alone: a criterion at or below
    the current level can pull it down to just below its own level; one at the next level can
    raise it by one."""
    current = level or 1
    if criterion_level <= current:
        return current - criterion_level + 1
    return 1 if criterion_level == current + 1 else 0


def build_agenda(a: Assessment, current: pd.DataFrame, minutes: int) -> Agenda:
    """The agenda for an assessment, from its scores and the current answers with their comments
    (`Store.current_answers`), cut off at `minutes`."""
    fw, crit, subjects = a.framework, a.scores.criteria, a.scores.subjects.set_index("id")
    names = {r.email: r.name for r in a.engagement.respondents}
    by_criterion: dict[str, list[dict]] = {}
    for r in current.itertuples():
        by_criterion.setdefault(r.criterion_id, []).append(
            {"respondent": names.get(r.respondent, r.respondent), "rating": r.rating,
             "comment": _text(r.comment) or _text(r.na_reason)})
    step = crit["rating"].astype(str).map({"N": 0, "P": 1, "L": 2, "F": 3})
    items: dict[str, Item] = {}

    def add(row, kind: str) -> None:
        cid = row.id
        if cid in items:
            if kind not in items[cid].kinds:
                items[cid].kinds.append(kind)
                items[cid].minutes = max(items[cid].minutes, MINUTES[kind])
            return
        s = subjects.loc[str(row.subject)]
        level = None if pd.isna(s["level"]) else int(s["level"])
        weight = PRIORITY_WEIGHT.get(s["priority"] or "", 1)
        spread = 0.0 if pd.isna(row.spread) else float(row.spread)
        items[cid] = Item(
            criterion=cid, subject=str(row.subject), subject_name=s["name"], level=int(row.level), kinds=[kind],
            statement=fw.get(cid).statement, subject_level=level,
            target=None if pd.isna(s["target"]) else int(s["target"]), priority=s["priority"] or None,
            impact=round(weight * (_stake(level, int(row.level)) + spread / N_STEPS), 2), minutes=MINUTES[kind],
            answers=by_criterion.get(cid, []))

    for i, row in enumerate(crit.itertuples()):
        s = subjects.loc[str(row.subject)]
        if row.disagreement and not row.resolved:
            add(row, DISAGREEMENT)
        if row.na_disputed:
            add(row, DISPUTED_NA)
        if int(row.level) in (s["unknown_levels"] or []) and row.status == NO_DATA and not row.consensus_applied:
            add(row, UNKNOWN)
        if s["priority"] == "High" and not pd.isna(s["level"]) and not row.consensus_applied:
            lv, got = int(s["level"]), step.iloc[i]
            blocking = (int(row.level) == lv + 1 and not got >= LARGELY) or (int(row.level) <= lv and not got >= FULLY)
            if blocking and row.status != "n/a":
                add(row, DECIDES)
    ordered = sorted(items.values(), key=lambda it: (-it.impact, -len(it.kinds), it.subject, it.criterion))
    clock = 0
    for it in ordered:
        it.starts_at = clock
        clock += it.minutes
        it.within = clock <= minutes
    return Agenda(a.engagement.client, minutes, ordered)


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _answers_text(item: Item) -> str:
    return "; ".join(f"{x['respondent']}: {x['rating']}" + (f" ({x['comment']})" if x["comment"] else "")
                     for x in item.answers) or "no answers"


def agenda_markdown(agenda: Agenda) -> str:
    lines = [f"# Workshop agenda: {agenda.client}", "",
             f"{len(agenda.items)} items, {sum(i.minutes for i in agenda.items)} minutes needed; "
             f"{agenda.cut_off} fit in {agenda.minutes} minutes.", ""]
    for n, it in enumerate(agenda.items, 1):
        if n == agenda.cut_off + 1:
            lines += [f"---- cut-off: {agenda.minutes} minutes used; what follows waits for another session ----", ""]
        lines += [f"## {n}. {it.criterion} ({it.subject_name}, level {it.level}): {', '.join(it.kinds)}",
                  f"{it.statement}", "",
                  f"- at {it.starts_at} min, about {it.minutes} min; subject level {it.subject_level or '-'}, "
                  f"target {it.target or '-'}, priority {it.priority or '-'}; impact {it.impact}",
                  f"- answers: {_answers_text(it)}", ""]
    return "\n".join(lines)


def write_agenda(agenda: Agenda, path: Path, fmt: str) -> Path:
    """Write the agenda as markdown, JSON or a Word document in the template's styles."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        path.write_text(agenda_markdown(agenda), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(agenda.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    else:
        _docx(agenda, path)
    return path


def _docx(agenda: Agenda, path: Path) -> None:
    from docx import Document

    from dsm_assess.core.paths import default_template
    from dsm_assess.deliver.template import TABLE_STYLE
    from dsm_assess.formats.docx_parts import add_table, xml_text

    doc = Document(str(default_template()))
    body = doc.element.body
    for child in list(body):  # the template's cover and placeholders; its styles and section stay
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    doc.add_paragraph(xml_text(f"Workshop agenda: {agenda.client}"), "Heading 1")
    doc.add_paragraph(xml_text(f"{len(agenda.items)} items, {sum(i.minutes for i in agenda.items)} minutes needed; "
                               f"{agenda.cut_off} fit in {agenda.minutes} minutes."))
    rows = []
    for n, it in enumerate(agenda.items, 1):
        if n == agenda.cut_off + 1:
            rows.append(["", "", f"cut-off: {agenda.minutes} minutes", "", ""])
        rows.append([str(n), f"{it.criterion}\n{it.subject_name}, level {it.level}",
                     f"{it.statement}\n{', '.join(it.kinds)}", _answers_text(it), f"{it.minutes} min"])
    add_table(doc, ["#", "Criterion", "To settle", "Answers", "Time"], rows, [0.8, 3.2, 6.4, 4.8, 1.4],
              doc.styles[TABLE_STYLE].style_id)
    tmp = path.with_suffix(".docx.tmp")
    doc.save(str(tmp))
    tmp.replace(path)
