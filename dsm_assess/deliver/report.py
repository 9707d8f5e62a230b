"""The Word report a client reads, on a brandable template, for an audience.

`write_report()` reads one engagement folder only (its engagement.yaml and store), scores it,
draws the charts and writes `SLUG-AUDIENCE.docx` (or the backlog as .xlsx) to a temporary name
and renames it, so a failure never leaves a half-written file or destroys the last good one.
Audiences: `executive` (summary, headline charts, roadmap), `full` (everything, with an appendix
per subject), `backlog` (gaps and what closes them, as a spreadsheet for the delivery team).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm

from dsm_assess.core.errors import DsmError
from dsm_assess.core.paths import default_template, reports_dir
from dsm_assess.deliver import charts
from dsm_assess.deliver.template import COVER_NOTE, COVER_SUBTITLE, COVER_TITLE, TABLE_STYLE, TOC_STYLES
from dsm_assess.deliver.views import gap, level, score
from dsm_assess.engagement.spec import engagement_dir, engagement_file
from dsm_assess.formats.docx_parts import (
    StyleIds,
    add_paragraph,
    add_table,
    alt_text,
    page_number,
    table_of_contents,
    update_fields_on_open,
    xml_text,
)
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.planning.plan import REASONS
from dsm_assess.scoring.assessment import Assessment, load_assessment
from dsm_assess.scoring.rules import METHODOLOGY_VERSION
from dsm_assess.store.backend import open_store

AUDIENCES = ("executive", "full", "backlog")
TEXT_WIDTH = Cm(16.6)


def load_brand(template: Path) -> dict:
    """brand.yaml next to the template (firm, logo, colours, font, confidentiality line), if any."""
    path = template.with_name("brand.yaml")
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise DsmError(f"{path}: brand settings must be a mapping (firm, logo, colours, font, confidentiality)")
    return data


@dataclass
class Inputs:
    """Everything one engagement's report is made from (its own folder only)."""

    framework: Framework
    assessment: Assessment
    evidence: pd.DataFrame            # current answers with their text, per respondent
    tom: object | None = None         # tom.Tom when the engagement has a tom: section
    findings: list = field(default_factory=list)
    plan: object | None = None        # the roadmap, when planning is available
    trend: pd.DataFrame | None = None  # against the earlier assessment named in engagement.yaml
    pictures: dict = field(default_factory=dict, repr=False)  # charts drawn so far, for every audience

    @property
    def scores(self):
        return self.assessment.scores

    @property
    def engagement(self):
        return self.assessment.engagement


def gather(slug: str, root: str | Path | None = None, fw: Framework | None = None,
           what_if: Path | None = None, waves: int | None = None, capacity: float | None = None,
           start: dt.date | str | None = None) -> Inputs:
    """Load, score, plan and design-check one engagement for its report (a what-if applies in
    memory; waves, capacity and start override the engagement's planning settings)."""
    from dsm_assess.planning.plan import parameters, plan_roadmap, read_settings
    fw = fw or load_framework()
    a = load_assessment(slug, root, what_if=what_if, fw=fw)
    with open_store(engagement_dir(slug, root), slug) as store:
        evidence = store.current_answers()
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    params = parameters(read_settings(engagement_file(slug, root), fw), a.engagement, start=start, waves=waves,
                        capacity=capacity)
    inputs = Inputs(fw, a, evidence, plan=plan_roadmap(a, params))
    if a.engagement.previous:  # the same client's earlier assessment, named by the consultant
        from dsm_assess.scoring.assessment import trend
        earlier = load_assessment(a.engagement.previous, root, fw=fw)
        if earlier.engagement.client != a.engagement.client:
            raise DsmError(f"previous: {a.engagement.previous!r} is an assessment of {earlier.engagement.client!r}, "
                           f"not {a.engagement.client!r}; a trend compares one client with itself")
        inputs.trend = trend(earlier, a)
    if a.engagement.tom:
        from dsm_assess.planning.tom import check, load_tom, targets_of
        tom, doc = load_tom(fw, a.engagement, root)
        inputs.tom, inputs.findings = tom, check(fw, tom, doc, targets_of(a.scores.subjects))
    return inputs


# ---- writing ---------------------------------------------------------------------------------

def write_report(slug: str, audience: str = "full", root: str | Path | None = None, template: Path | None = None,
                 out_dir: Path | None = None, fw: Framework | None = None, inputs: Inputs | None = None) -> Path:
    """Write the report for `audience`; returns its path. Atomic: temp file, then rename."""
    if audience not in AUDIENCES:
        raise DsmError(f"unknown audience {audience!r}; one of {', '.join(AUDIENCES)}")
    template = Path(template) if template else default_template()
    if audience != "backlog" and not template.is_file():
        raise DsmError(f"report template not found: {template}")
    inputs = inputs or gather(slug, root, fw)
    out_dir = Path(out_dir) if out_dir else reports_dir(slug)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{slug}-{audience}.{'xlsx' if audience == 'backlog' else 'docx'}"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=out_dir)
    os.close(fd)
    try:
        if audience == "backlog":
            write_backlog(inputs, Path(tmp))
        else:
            Report(inputs, template, audience).build().save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class Report:
    """One document being built: sections, tables and charts in the template's styles."""

    def __init__(self, inputs: Inputs, template: Path, audience: str):
        self.i, self.audience = inputs, audience
        self.brand = load_brand(template)
        self.style = charts.Style.from_brand(self.brand)
        self.doc = Document(str(template))
        self.style_id = StyleIds(self.doc)
        self.headings: list[tuple[int, str]] = []
        self.figures = self.tables = 0

    # -- building blocks --
    def heading(self, text: str, level: int = 1, contents: bool = True) -> None:
        self.para(text, f"Heading {level}")
        if contents and level <= 2:
            self.headings.append((level, text))

    def para(self, text: str, style: str | None = None):
        return add_paragraph(self.doc, xml_text(text), self.style_id(style) if style else None, style is not None)

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.para(item, "List Bullet")

    def chart(self, name: str, draw, caption: str) -> None:
        """The chart `draw()` makes, with its caption. Each chart is drawn once per engagement and
        brand: the reports for other audiences reuse the picture (`Inputs.pictures`), unless what it
        is drawn from has been replaced since (a new plan, say)."""
        key = (name, self.style, *(id(x) for x in (self.i.assessment, self.i.plan, self.i.tom, self.i.trend)))
        if key not in self.i.pictures:
            fig = draw()
            buffer = io.BytesIO()
            try:
                charts.png(fig, buffer)
                title = fig._suptitle.get_text() if fig._suptitle else caption
                self.i.pictures[key] = (buffer.getvalue(), charts.alt_text(fig), title)
            finally:
                charts.plt.close(fig)
        picture, description, title = self.i.pictures[key]
        shape = self.doc.add_picture(io.BytesIO(picture), width=TEXT_WIDTH)
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True  # never a caption alone on a page
        alt_text(shape, description, title)
        self.figures += 1
        self.para(f"Figure {self.figures}: {caption}", "Caption")

    def table(self, columns: list[str], rows: list[list], caption: str, widths: list[float] | None = None) -> None:
        self.tables += 1
        self.para(f"Table {self.tables}: {caption}", "Caption").paragraph_format.keep_with_next = True
        add_table(self.doc, columns, rows, widths or [TEXT_WIDTH.cm / len(columns)] * len(columns),
                  self.style_id(TABLE_STYLE, WD_STYLE_TYPE.TABLE))

    # -- the document --
    def build(self) -> Document:
        self.cover()
        placeholder = self.contents()
        self.summary()
        if self.audience == "full":
            self.method()
        self.areas()
        if self.audience == "full":
            self.trend()
            self.practices()
            self.value_chain()
            self.disagreement()
            if self.i.tom is not None:
                self.operating_model()
        self.roadmap()
        if self.audience == "full":
            self.appendix()
        table_of_contents(placeholder, self.headings, TOC_STYLES)
        self.finish()
        return self.doc

    def cover(self) -> None:
        eng = self.i.engagement
        logo = self.brand.get("logo")
        if logo:
            self.doc.add_picture(str(Path(default_template()).with_name(logo)), width=Cm(4))
        self.para("IT service management assessment" + (" — executive summary" if self.audience == "executive"
                                                         else ""), COVER_TITLE)
        self.para(eng.client, COVER_SUBTITLE)
        self.para(f"Assessment of {eng.assessment_date:%d %B %Y}", COVER_NOTE)  # no run date: same inputs, same text
        self.para(f"Prepared by {self.brand.get('firm', 'the assessment team')}", COVER_NOTE)
        self.para(f"Question bank {eng.bank_version}, methodology {METHODOLOGY_VERSION}, profile {eng.profile}",
                  COVER_NOTE)
        if self.brand.get("confidentiality"):
            self.para(self.brand["confidentiality"], COVER_NOTE)
        self.doc.add_page_break()

    def contents(self):
        self.para("Contents", "Title")
        placeholder = self.doc.add_paragraph()
        self.doc.add_page_break()
        return placeholder

    def summary(self) -> None:
        self.heading("Executive summary")
        for text in narrative(self.i):
            self.para(text)
        if self.audience == "executive":
            self.chart("areas", lambda: charts.area_bars(self.i.scores, self.style), "DSM areas against target")
            self.headline_table()

    def headline_table(self, top: int = 12) -> None:
        """The subjects that most need attention: the largest priorities first."""
        s = self.i.scores.subjects
        s = s[s["gap"].fillna(0) > 0].sort_values(["priority_score", "gap"], ascending=False).head(top)
        rows = [[r.id, r.name, level(r.level), score(r.score), level(r.target), gap(r.gap), r.priority or "-"]
                for r in s.itertuples()]
        self.table(["Id", "Subject", "Level", "Score", "Target", "Gap", "Priority"], rows,
                   f"The {len(rows)} gaps with the highest priority", [2.4, 5.2, 1.4, 1.4, 1.5, 1.3, 1.9])

    def method(self) -> None:
        eng, s = self.i.engagement, self.i.scores
        self.heading("Scope, respondents and method")
        answered = self.i.evidence.groupby("respondent").size() if len(self.i.evidence) else pd.Series(dtype=int)
        self.para(f"The assessment covered {len(eng.scope)} subjects (practices and DSM areas) with the "
                  f"{eng.profile} profile: {len(s.criteria)} criteria, of which "
                  f"{int(s.criteria['status'].eq('rated').sum())} have a rating, "
                  f"{int(s.criteria['status'].eq('n/a').sum())} were agreed not to apply and "
                  f"{int(s.criteria['status'].eq('no data').sum())} have no data.")
        self.table(["Respondent", "Role", "Answers"],
                   [[r.name, r.role, str(int(answered.get(r.email, 0)))] for r in eng.respondents],
                   "Respondents and how many criteria each answered", [6.0, 7.6, 3.0])
        self.para(f"Every subject gets two views from the same answers (methodology {METHODOLOGY_VERSION}): a "
                  "gated capability level, reached only when the level's criteria are at least largely achieved "
                  "and every lower level's are fully achieved (the ISO/IEC 33020 rule of the ITIL maturity "
                  "model), and a continuous score from 1.0 to 5.0 that gives partial credit. A level with no "
                  "applicable criteria is never claimed; a criterion without data counts as not achieved; "
                  "a subject with less than half of its criteria answered is not scored. Answers of several "
                  "respondents are combined by the lower median, and a workshop consensus takes precedence.")

    def areas(self) -> None:
        self.heading("Digital Service Management areas")
        if self.audience == "full":
            self.chart("areas", lambda: charts.area_bars(self.i.scores, self.style), "DSM areas: score, target and gap")
        a = self.i.scores.areas
        self.table(["Area", "Own score", "Combined level", "Combined score", "Linked practice criteria"],
                   [[r.name, score(r.own_score), level(r.combined_level), score(r.combined_score),
                     str(r.linked_criteria)] for r in a.itertuples()],
                   "Each area on its own criteria, and combined with the practice criteria that inform it",
                   [4.0, 2.6, 3.0, 3.0, 4.0])

    def trend(self) -> None:
        t, previous = self.i.trend, self.i.engagement.previous
        if t is None:
            return
        self.heading(f"Progress since the previous assessment ({previous})")
        moved = t.dropna(subset=["score_change"])
        moved = moved[moved["comparable"]]
        up, down = int((moved["score_change"] > 0.05).sum()), int((moved["score_change"] < -0.05).sum())
        self.para(f"Against the previous assessment, {up} subjects improved and {down} declined (by more than 0.05); "
                  f"the mean score moved from {moved['score_before'].mean():.1f} to {moved['score'].mean():.1f}.")
        if apart := t.attrs.get("not_comparable"):
            self.para(f"Not comparable, because the question bank has since changed the meaning of criteria they "
                      f"were assessed on, and left out of the figures above: {', '.join(apart)}.")
        self.chart("trend", lambda: charts.trend(t, previous, self.style), "Score per subject, then and now")

    def practices(self) -> None:
        self.heading("Practice results by group")
        s = self.i.scores.subjects
        for group in ("general", "service", "technical"):
            self.heading(f"{group.capitalize()} management practices", 2)
            self.chart(f"radar-{group}", lambda g=group: charts.practice_radar(self.i.scores, g, self.style),
                       f"{group.capitalize()} management practices: score against target")
            rows = s[s["group"].eq(group)]
            self.table(["Practice", "Level", "Score", "Target", "Gap", "Priority", "Unknown levels"],
                       [[r.name, level(r.level), score(r.score), level(r.target), gap(r.gap), r.priority or "-",
                         ", ".join(map(str, r.unknown_levels)) or "-"] for r in rows.itertuples()],
                       f"{group.capitalize()} management practices", [5.6, 1.4, 1.4, 1.5, 1.3, 2.0, 3.4])

    def value_chain(self) -> None:
        self.heading("Value chain view")
        self.chart("value-chain", lambda: charts.value_chain_heatmap(self.i.framework, self.i.scores, self.style),
                   "Practice scores by value chain activity (dotted: high contribution)")
        self.table(["Activity", "Score", "Practices contributing"],
                   [[r.name, score(r.score), str(r.practices)] for r in self.i.scores.value_chain.itertuples()],
                   "Value chain activities, weighted by each practice's contribution", [6.0, 3.0, 7.6])

    def disagreement(self) -> None:
        c = self.i.scores.criteria
        self.heading("Disagreement and confidence")
        h = self.i.scores.headline
        self.para(f"{h['disagreements']} criteria have answers two or more steps apart that are still open, and "
                  f"{h['resolved_disagreements']} were settled by a workshop consensus. "
                  f"{int(c['na_disputed'].sum())} criteria were marked not applicable by some respondents but "
                  f"rated or not known by others. {h['unsupported']} criteria are rated largely or fully achieved "
                  "without any evidence named.")
        self.chart("disagreement", lambda: charts.disagreement(self.i.scores, style=self.style),
                   "The most contested criteria")

    def operating_model(self) -> None:
        tom, fw = self.i.tom, self.i.framework
        self.heading("Target operating model")
        if tom.products and tom.capabilities:
            self.chart("dsm-matrix", lambda: charts.dsm_matrix(tom, self.style),
                       "The DSM matrix: product teams and standard capabilities")
        stages = [s.id for s in fw.delivery_stages]
        self.table(["Control", *[fw.get(s).name for s in stages]],
                   [[c.name, *[tom.controls.get(c.id, {}).get(s, "-") for s in stages]] for c in fw.controls],
                   "Controls by delivery stage: adherence tightens towards live", [4.6, 3.0, 3.0, 3.0, 3.0])
        if tom.capabilities:
            self.table(["Capability", "Kind", "Provider", "Sourcing", "Supplier", "Agreement"],
                       [[c.name, c.kind, c.provider or "-", c.sourcing or "-", c.supplier or "-", c.agreement or "-"]
                        for c in tom.capabilities], "Standard capabilities and their sourcing",
                       [3.6, 2.2, 3.2, 2.4, 3.0, 2.2])
        def skipped(g) -> bool:
            return g.id in tom.toll_gates and tom.toll_gates[g.id].skipped

        # A skipped optional gate says where its artefacts go instead.
        self.table(["Toll-gate", "Forum", "Decides"],
                   [[f"{g.id} {g.name}", ("skipped" if skipped(g) else tom.toll_gates[g.id].forum or "-")
                     if g.id in tom.toll_gates else "-",
                     g.decides + (f" Skipped: {g.when_skipped}" if skipped(g) and g.when_skipped else "")]
                    for g in fw.toll_gates], "ITSPM toll-gates and the forums that decide them", [4.0, 3.6, 9.0])
        if tom.polism:
            self.table(["Element", "Today", "Target"],
                       [[fw.get(e).name, c.today or "-", c.target or "-"] for e, c in tom.polism.items()],
                       "The operating model canvas (POLISM)", [3.2, 6.7, 6.7])
        if self.i.findings:
            self.heading("Design findings", 2)
            self.bullets([f"{f.message} ({f.where})" for f in self.i.findings])

    def roadmap(self) -> None:
        self.heading("Roadmap")
        plan, fw = self.i.plan, self.i.framework
        s = self.i.scores.subjects
        gaps = s[s["gap"].fillna(0) > 0].sort_values("priority_score", ascending=False)
        if plan is None or not plan.initiatives:
            self.para(f"{len(gaps)} subjects are below target; no initiative of the library is planned for them.")
            return
        for text in roadmap_narrative(self.i):
            self.para(text)
        self.chart("gantt", lambda: charts.gantt(plan, self.style), "The roadmap: initiatives by wave")
        self.chart("projection", lambda: charts.projection(plan, self.style), "Projected maturity after each wave")
        self.table(["Wave", "From", "To", "Capacity (person-weeks)", "Planned effort"],
                   [[str(w.index), f"{w.start:%d %b %Y}", f"{w.end:%d %b %Y}", f"{w.capacity:g}", f"{w.effort:.1f}"]
                    for w in plan.waves], "Waves, their capacity and the effort planned in each",
                   [1.6, 3.2, 3.2, 4.4, 4.2])
        if self.audience == "executive":
            if plan.open_gaps:
                self.para(f"{_still_below(plan)}; the full report and the backlog say why for each.")
            return
        self.table(["Initiative", "Wave", "Effort", "Closes gaps in", "Changes (operating model)"],
                   [[f"{p.id}: {p.initiative.title}", str(p.wave), f"{p.initiative.effort:g}",
                     ", ".join(fw.get(x).name for x in p.closes) or "prerequisite",
                     ", ".join(fw.get(e).name for e in p.initiative.polism)] for p in plan.initiatives],
                   "Initiatives in the order they start: the gaps each closes and the parts of the operating "
                   "model it changes", [6.2, 1.3, 1.4, 4.3, 3.4])
        if plan.open_gaps:
            self.heading("Gaps the roadmap leaves open", 2)
            self.para(open_gaps_summary(plan))
            rows, last = [], None
            for g in plan.open_gaps:   # grouped by subject: its name on the first row only
                why = f"waits for {', '.join(g.waits_for)}" if g.kind == "dependency" else WHY_OPEN[g.kind]
                needs = "\n".join(f"{i}: {fw.get(i).title}" for i in g.initiatives) or ", ".join(g.criteria)
                rows.append([fw.get(g.subject).name if g.subject != last else "", why, needs])
                last = g.subject
            self.table(["Subject", "Why it stays open", "Initiatives it needs"], rows,
                       "Subjects still below target after the last wave, and why", [3.6, 4.2, 8.8])

    def appendix(self) -> None:
        self.doc.add_section(WD_SECTION.NEW_PAGE)
        self.heading("Appendix: criteria by subject")
        crit = self.i.scores.criteria
        fw = self.i.framework
        by_id = {c.id: c for c in fw.criteria}
        evidence = (self.i.evidence.dropna(subset=["evidence"]).groupby("criterion_id")["evidence"]
                    .agg(lambda v: "; ".join(dict.fromkeys(v))) if len(self.i.evidence) else {})
        by_subject: dict[str, list] = {}  # in the criteria's order; one pass, not a filter per subject
        for r in crit[["id", "level", "status", "rating", "consensus_applied"]].assign(
                subject=crit["subject"].astype(str)).itertuples(index=False):
            by_subject.setdefault(r.subject, []).append(r)
        for sid, rows in by_subject.items():
            topics = {t.id: (i, t.name) for i, t in enumerate(fw.get_subject(sid).topics)}
            rows.sort(key=lambda r: (topics.get(by_id[r.id].topic, (len(topics), ""))[0], r.level, r.id))
            self.heading(f"{fw.get(sid).name} ({sid})", 2, contents=False)
            self.table(["Topic", "Criterion", "Rating", "Evidence given", "How to do better"],
                       [[topics.get(by_id[r.id].topic, (0, "-"))[1], f"{r.id}: {by_id[r.id].statement}", _rating(r),
                         evidence.get(r.id, "-"), by_id[r.id].improve] for r in rows],
                       f"{fw.get(sid).name}: each criterion by topic and level, its rating, the evidence and the "
                       "next step", [2.4, 5.4, 1.5, 3.0, 4.3])

    def finish(self) -> None:
        eng = self.i.engagement
        for section in self.doc.sections:
            footer = section.footer.paragraphs[0]
            footer.text = ""
            footer.style = self.doc.styles["Footer"]
            footer.add_run(xml_text(f"{eng.client} · {self.brand.get('confidentiality', '')} · page "))
            page_number(footer)
        props = self.doc.core_properties
        props.title = f"IT service management assessment: {eng.client}"
        props.subject = eng.client
        props.author = self.brand.get("firm", "")
        props.keywords = (f"client: {eng.client}; question bank {eng.bank_version}; methodology "
                          f"{METHODOLOGY_VERSION}; audience {self.audience}")
        props.category = f"methodology {METHODOLOGY_VERSION}"
        props.comments = f"question bank {eng.bank_version}; methodology {METHODOLOGY_VERSION}"
        props.created = props.modified = dt.datetime.combine(eng.assessment_date, dt.time())
        props.last_printed = props.created
        props.revision = 1
        update_fields_on_open(self.doc)


# ---- words -------------------------------------------------------------------------------------

def narrative(i: Inputs) -> list[str]:
    """The executive summary in plain prose, from the numbers."""
    s, h = i.scores.subjects, i.scores.headline
    scored = s[~s["insufficient"]].sort_values("score")
    out = [f"{i.engagement.client}'s IT service management scores {h['score']} on average on a scale of 1 to 5, "
           f"with a median capability level of {h['median_level']}, across {h['scored']} of the {h['subjects']} "
           f"practices and Digital Service Management areas assessed"
           + (f" ({h['insufficient']} had too few answers to score)." if h["insufficient"] else ".")]
    if len(scored) >= 3:
        strong = ", ".join(f"{r.name} ({r.score:.1f})" for r in scored.tail(3)[::-1].itertuples())
        weak = ", ".join(f"{r.name} ({r.score:.1f})" for r in scored.head(3).itertuples())
        out.append(f"The strongest subjects are {strong}. The weakest are {weak}.")
    gaps = s[s["gap"].fillna(0) > 0].sort_values(["gap", "priority_score"], ascending=False)
    if len(gaps):
        top = ", ".join(f"{r.name} (level {level(r.level)} against a target of {level(r.target)})"
                        for r in gaps.head(3).itertuples())
        out.append(f"{h['below_target']} subjects are below their target level; the largest gaps are in {top}. "
                   f"{h['priorities']['High']} gaps are high priority.")
    over = s[s["over_maturity"]]
    if len(over):
        out.append("Effort may be misplaced where practice runs ahead of what the business needs: "
                   + ", ".join(f"{r.name} (level {level(r.level)}, target {level(r.target)})"
                               for r in over.itertuples()) + ".")
    if h["disagreements"]:
        out.append(f"Respondents disagree on {h['disagreements']} criteria that a workshop has not yet settled; "
                   "the scores there are the lower median of their answers.")
    return out + roadmap_narrative(i)


WHY_OPEN = {"capacity": "does not fit the capacity", "horizon": "takes longer than the plan",
            "excluded": "served only by excluded initiatives", "unserved": "no initiative in the library",
            "other": "the planned work does not lift it to its target"}


def open_gaps_summary(plan) -> str:
    """How many subjects stay open for each reason, and what would close them."""
    p = plan.parameters
    count = {k: len({g.subject for g in plan.open_gaps if g.kind == k}) for k in REASONS}
    waves = f"{p.waves} wave{'s' if p.waves != 1 else ''}"
    parts = [text for k, text in (
        ("capacity", f"the work does not fit {p.capacity:g} person-weeks a wave ({count['capacity']}: more "
                     "person-weeks a wave would let this work in)"),
        ("horizon", f"the work cannot end within {waves} of {p.wave_weeks} weeks whatever the capacity "
                    f"({count['horizon']}: more or longer waves would)"),
        ("dependency", f"it waits for work the plan does not deliver ({count['dependency']})"),
        ("excluded", f"only excluded initiatives serve it ({count['excluded']})"),
        ("unserved", f"no initiative in the library serves it ({count['unserved']})"),
        ("other", f"the work planned does not lift it to its target ({count['other']})")) if count[k]]
    return f"{_still_below(plan)}. By reason (a subject may have more than one): {'; '.join(parts)}."


def _still_below(plan) -> str:
    n = len({g.subject for g in plan.open_gaps})
    return f"{n} {'subjects stay' if n != 1 else 'subject stays'} below target after the last wave"


def roadmap_narrative(i: Inputs) -> list[str]:
    """What the roadmap achieves by when, in a sentence (none without a plan)."""
    plan = i.plan
    if plan is None or not plan.initiatives:
        return []
    p, w = plan.projection, plan.parameters.waves
    now, end = p[p["wave"].eq(0)], p[p["wave"].eq(w)]
    on_now = int((now["level"] >= now["target"]).sum())
    on_end = int((end["level"] >= end["target"]).sum())
    last = plan.waves[-1].end
    effort = sum(x.initiative.effort for x in plan.initiatives)
    return [f"The roadmap schedules {len(plan.initiatives)} initiatives ({effort:g} person-weeks) in {w} waves from "
            f"{plan.waves[0].start:%d %B %Y} to {last:%d %B %Y}. By then {on_end} of the "
            f"{int(end['target'].notna().sum())} subjects with a target would reach it (today {on_now}), and the "
            f"mean score would rise from {now['score'].mean():.1f} to {end['score'].mean():.1f}."]


def _rating(r) -> str:
    if r.status == "n/a":
        return "N/A"
    if r.status == "no data":
        return "no data"
    return str(r.rating) + (" (consensus)" if r.consensus_applied else "")


# ---- the backlog ------------------------------------------------------------------------------

def write_backlog(i: Inputs, path: Path) -> Path:
    """Gaps and the criteria that close them, for the client's delivery team (one sheet each)."""
    s, crit = i.scores.subjects, i.scores.criteria
    by_id = {c.id: c for c in i.framework.criteria}
    gaps = s[s["gap"].fillna(0) > 0][["id", "name", "level", "score", "target", "gap", "priority"]]
    target = s.set_index("id")["target"]
    open_crit = crit[(crit["status"] != "n/a") & (crit["rating"].astype(str) != "F")]
    open_crit = open_crit[[(not pd.isna(target.get(sub))) and lv <= target.get(sub)
                           for sub, lv in zip(open_crit["subject"].astype(str), open_crit["level"], strict=True)]]
    items = pd.DataFrame({
        "criterion": open_crit["id"], "subject": open_crit["subject"].astype(str), "level": open_crit["level"],
        "rating": [_rating(r) for r in open_crit.itertuples()],
        "statement": [by_id[c].statement for c in open_crit["id"]],
        "how to do better": [by_id[c].improve for c in open_crit["id"]],
    })
    from dsm_assess.deliver.roadmap import tables
    sheets = [("Gaps", gaps), ("Criteria to achieve", items)]
    if i.plan is not None:
        plan = tables(i.plan)["initiatives"]
        sheets.append(("Initiatives", plan[["id", "title", "type", "owner", "wave", "start", "end", "effort",
                                            "depends_on", "closes", "criteria", "why", "delivered", "left_out"]]))
    from dsm_assess.formats.sheets import fit_to_page_width, safe_set
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets:
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    safe_set(cell, cell.value)
            ws.freeze_panes = "A2"
            fit_to_page_width(ws)
    return path
