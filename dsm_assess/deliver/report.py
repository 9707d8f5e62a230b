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

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm

from dsm_assess.core.errors import DsmError
from dsm_assess.core.frames import pd
from dsm_assess.core.paths import default_template, reports_dir
from dsm_assess.core.present import band, gap, level, notes, score, screened
from dsm_assess.deliver import charts
from dsm_assess.deliver.brand import load_brand
from dsm_assess.deliver.evidence import rating_text, subjects_evidence
from dsm_assess.deliver.messages import point_of_view
from dsm_assess.deliver.readiness import marking, readiness, refuse_if_empty
from dsm_assess.deliver.roadmap import roadmap_story
from dsm_assess.deliver.template import COVER_NOTE, COVER_SUBTITLE, COVER_TITLE, TABLE_STYLE, TOC_STYLES
from dsm_assess.formats.docx_parts import (
    StyleIds,
    add_paragraph,
    add_table,
    alt_text,
    page_number,
    table_of_contents,
    xml_text,
)
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.framework.model import Framework
from dsm_assess.planning.reasons import REASONS
from dsm_assess.scoring.assessment import Assessment
from dsm_assess.scoring.rules import METHODOLOGY_VERSION, NA, NO_DATA, PREVIOUS_METHODOLOGY

AUDIENCES = ("executive", "full", "backlog")
TEXT_WIDTH = Cm(16.6)


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
    scenario: str | None = None       # the what-if applied to the scores, by its file's name

    def readiness(self) -> list:
        """What stands between these inputs and a document a client may read (deliver.readiness)."""
        return readiness(self.assessment, self.findings, self.scenario)

    @property
    def scores(self):
        return self.assessment.scores

    @property
    def engagement(self):
        return self.assessment.engagement


# ---- writing ---------------------------------------------------------------------------------

def write_report(inputs: Inputs, audience: str = "full", template: str | Path | None = None,
                 out_dir: str | Path | None = None, draft: bool = False) -> Path:
    """Write the report for `audience` from `inputs` (the front door's `gather()`) into `out_dir`
    (default reports/SLUG/); returns its path. Atomic: temp file, then rename. Refused when there
    are no answers, unless `draft`; a draft or a what-if scenario is marked on every page."""
    if audience not in AUDIENCES:
        raise DsmError(f"unknown audience {audience!r}; one of {', '.join(AUDIENCES)}")
    template = Path(template) if template else default_template()
    if audience != "backlog" and not template.is_file():
        raise DsmError(f"report template not found: {template}")
    # a file that is no Word template is named before anything else, and opened once
    document = open_template(template) if audience != "backlog" else None
    slug = inputs.engagement.slug
    refuse_if_empty(inputs.assessment, draft)
    mark = marking(draft, inputs.scenario)
    out_dir = Path(out_dir) if out_dir else reports_dir(slug)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{slug}-{audience}.{'xlsx' if audience == 'backlog' else 'docx'}"
    remove_leftovers(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", dir=out_dir)
    os.close(fd)
    try:
        if audience == "backlog":
            write_backlog(inputs, Path(tmp), mark)
        else:
            Report(inputs, template, audience, mark, document).build().save(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # readable as any file written here, not only by its owner (mkstemp's 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_leftovers(path: Path) -> None:
    """Remove the hidden partial files that runs killed while writing `path` left beside it (their
    process is gone); a run still writing keeps its own."""
    for leftover in path.parent.glob(f".{path.name}.*"):
        pid = leftover.name[len(path.name) + 2:].split(".", 1)[0]
        try:
            alive = pid.isdigit() and (os.kill(int(pid), 0) is None)
        except ProcessLookupError:
            alive = False
        except PermissionError:  # another user's process
            alive = True
        if not alive:
            leftover.unlink(missing_ok=True)


def open_template(template: Path):
    """The Word template as a document to build on; a file that is no .docx is a `DsmError`."""
    import zipfile

    from docx.opc.exceptions import PackageNotFoundError

    try:
        return Document(str(template))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DsmError(f"{display_path(template)}: not a Word template (.docx) the report can be built on "
                       f"({exc.__class__.__name__})") from None


class Report:
    """One document being built: sections, tables and charts in the template's styles."""

    def __init__(self, inputs: Inputs, template: Path, audience: str, mark: str = "", document=None):
        self.i, self.audience, self.mark = inputs, audience, mark
        self.template = template
        self.brand = load_brand(template)
        self.style = charts.Style.from_brand(self.brand)
        self.doc = document if document is not None else open_template(template)
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
                charts.close(fig)
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
        i = self.i
        self.pov = point_of_view(i.framework, i.engagement, i.scores, i.plan, i.findings)
        self.cover()
        # six pages need no contents page
        placeholder = self.contents() if self.audience == "full" else None
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
        self.point_of_view()
        if self.audience == "full":
            self.appendix()
        if placeholder is not None:
            table_of_contents(placeholder, self.headings, TOC_STYLES)
        self.finish()
        return self.doc

    def cover(self) -> None:
        eng = self.i.engagement
        if self.brand.logo_path:  # beside the brand.yaml of the template in use
            self.doc.add_picture(str(self.brand.logo_path), width=Cm(4))
        self.para("IT service management assessment" + (" — executive summary" if self.audience == "executive"
                                                         else ""), COVER_TITLE)
        self.para(eng.client, COVER_SUBTITLE)
        self.para(f"Assessment of {eng.assessment_date:%d %B %Y}", COVER_NOTE)  # no run date: same inputs, same text
        self.para(f"Prepared by {self.brand.firm}", COVER_NOTE)
        self.para(f"Question bank {eng.bank_version}, methodology {METHODOLOGY_VERSION}, profile {eng.profile}",
                  COVER_NOTE)
        if self.brand.confidentiality:
            self.para(self.brand.confidentiality, COVER_NOTE)
        self.doc.add_page_break()

    def contents(self):
        self.para("Contents", "Title")
        placeholder = self.doc.add_paragraph()
        self.doc.add_page_break()
        return placeholder

    def messages(self, section: str) -> None:
        """A section of the point of view as a list; the consultant's own messages say so."""
        self.bullets([m.text + (" (the consultant's view)" if m.consultant else "") for m in self.pov[section]])

    def summary(self) -> None:
        self.heading("Executive summary")
        if self.pov["key messages"]:
            self.heading("Key messages", 2)
            self.messages("key messages")
        if self.audience == "full":
            self.heading("The results in brief", 2)
            for text in narrative(self.i):
                self.para(text)
        if self.audience == "executive":
            self.chart("areas", lambda: charts.area_bars(self.i.scores, self.style), "DSM areas against target")
            self.headline_table()

    def headline_table(self, top: int = 12) -> None:
        """The subjects that most need attention: the largest priorities first."""
        s = self.i.scores.subjects
        s = s[s["gap"].fillna(0) > 0].sort_values(["priority_score", "gap"], ascending=False).head(top)
        rows = [[r.name, level(r.level), _banded(r), level(r.target), gap(r.gap), r.priority or "-"]
                for r in s.itertuples()]  # the client reads names, never ids
        self.table(["Subject", "Level", "Score", "Target", "Gap", "Priority"], rows,
                   f"The {len(rows)} gaps with the highest priority", [7.2, 1.4, 2.4, 1.5, 1.3, 1.9])

    def method(self) -> None:
        eng, s = self.i.engagement, self.i.scores
        self.heading("Scope, respondents and method")
        answered = self.i.evidence.groupby("respondent").size() if len(self.i.evidence) else pd.Series(dtype=int)
        self.para(f"The assessment covered {len(eng.scope)} subjects (practices and DSM areas) with the "
                  f"{eng.profile} profile: {len(s.criteria)} criteria, of which "
                  f"{int(s.criteria['status'].eq('rated').sum())} have a rating, "
                  f"{int(s.criteria['status'].eq(NA).sum())} were agreed not to apply and "
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
        n_screened = int(s.subjects["screened"].sum()) if "screened" in s.subjects.columns else 0
        if n_screened:
            self.para(f"{n_screened} of {len(s.subjects)} subjects were scored on a screening alone: their higher "
                      "levels were not asked (the adaptive path asks a level only while the answers could still "
                      "change it), so no level is claimed above what was asked and no score counts anything above "
                      "it.")

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
        self.subject_notes(self.i.scores.subjects[self.i.scores.subjects["kind"].eq("area")])

    def trend(self) -> None:
        t = self.i.trend
        if t is None:
            return
        when = t.attrs.get("previous_date")
        self.heading("Progress since the previous assessment" + (f" ({when:%B %Y})" if when else ""))
        moved = t.dropna(subset=["score_change"])
        moved = moved[moved["comparable"]]
        up, down = int((moved["score_change"] > 0.05).sum()), int((moved["score_change"] < -0.05).sum())
        self.para(f"Against the previous assessment, {_count(up, 'subject')} improved and {down} declined "
                  "(by more than 0.05); "
                  f"the mean score moved from {moved['score_before'].mean():.1f} to {moved['score'].mean():.1f}.")
        if apart := t.attrs.get("not_comparable"):
            self.para(f"Not comparable, because the question bank has since changed the meaning of criteria they "
                      f"were assessed on, and left out of the figures above: {', '.join(apart)}.")
        if "moved_by_rule" in t and t["moved_by_rule"].any():
            ruled = t[t["moved_by_rule"]]
            self.para(f"Methodology {METHODOLOGY_VERSION} counts levels that do not apply differently from "
                      f"{PREVIOUS_METHODOLOGY}, so the previous report's figures for these subjects moved because of "
                      "the rules, not the answers (previous report, then the same answers under the current rules; "
                      "the figures above use the current rules):")
            self.bullets([f"{r.id}: level {level(r.level_before_rule)}, score {score(r.score_before_rule)} under "
                          f"{PREVIOUS_METHODOLOGY}; level {level(r.level_before)}, score {score(r.score_before)} under "
                          f"{METHODOLOGY_VERSION}" for r in ruled.itertuples()])
        label = f"{when:%B %Y}" if when else "the previous assessment"  # the client reads a date, not a folder name
        named = t.assign(name=t["id"].map(self.i.scores.subjects.set_index("id")["name"]).fillna(t["id"]))
        self.chart("trend", lambda: charts.trend(named, label, self.style), "Score per subject, then and now")

    def practices(self) -> None:
        self.heading("Practice results by group")
        s = self.i.scores.subjects
        for group in ("general", "service", "technical"):
            self.heading(f"{group.capitalize()} management practices", 2)
            self.chart(f"radar-{group}", lambda g=group: charts.practice_radar(self.i.scores, g, self.style),
                       f"{group.capitalize()} management practices: score against target")
            rows = s[s["group"].eq(group)]
            self.table(["Practice", "Level", "Score", "Target", "Gap", "Priority", "Notes"],
                       [[r.name, level(r.level), _banded(r), level(r.target), gap(r.gap), r.priority or "-",
                         "; ".join(n for n in notes(r) if n != "over target") or "-"] for r in rows.itertuples()],
                       f"{group.capitalize()} management practices", [5.0, 1.3, 2.6, 1.4, 1.2, 1.8, 3.3])
            self.subject_notes(rows)

    def subject_notes(self, rows: pd.DataFrame) -> None:
        """Below a subject table: the levels claimed across a level that does not apply, with
        why it does not, and the don't-know answers as evidence to find."""
        bridged = [f"{r.name}: level {level(r.level)} claimed across level "
                   f"{', '.join(map(str, r.bridged_levels))} ({'; '.join(r.bridged_reasons)})"
                   for r in rows.itertuples() if r.bridged]
        if bridged:
            self.para("Levels claimed across a level that does not apply (bridged):")
            self.bullets(bridged)
        find = [f"{r.name}: {', '.join(r.dk_criteria)}" for r in rows.itertuples() if r.dk_criteria]
        if find:
            self.para("Evidence to find: criteria answered \"don't know\"; the score band shows what they could "
                      "add if fully achieved.")
            self.bullets(find)
        deep = [f"{r.name}: {screened(r.level, r.asked_to)}" for r in rows.itertuples()
                if getattr(r, "screened", False)]
        if deep:
            self.para("Levels from a screening, never claimed above what was asked: " + "; ".join(deep) + ".")

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
        n, settled, disputed, bare = (h["disagreements"], h["resolved_disagreements"], int(c["na_disputed"].sum()),
                                      h["unsupported"])
        self.para(f"{_count(n, 'criterion', 'criteria')} {_be(n, 'has', 'have')} answers two or more steps apart "
                  f"that {_be(n, 'is', 'are')} still open, and {settled} {_be(settled, 'was', 'were')} settled by a "
                  f"workshop consensus. {_count(disputed, 'criterion', 'criteria')} {_be(disputed, 'was', 'were')} "
                  "marked not applicable by some respondents but rated or not known by others. "
                  f"{_count(bare, 'criterion', 'criteria')} {_be(bare, 'is', 'are')} rated largely or fully achieved "
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
        self.operating_model_people_and_data()
        if self.i.findings:
            self.heading("Design findings", 2)
            # the client reads what is wrong, not where in the consultant's file
            self.bullets([f.message[:1].upper() + f.message[1:] for f in self.i.findings])

    def operating_model_people_and_data(self) -> None:
        """Roles, practice owners, practice sourcing and agreements, the data model and the open
        questions of the target operating model, each where the design has any."""
        tom, fw = self.i.tom, self.i.framework
        open_ = "not yet decided"

        def name(item_id: str) -> str:
            item = fw.index.get(item_id)
            return getattr(item, "name", item_id)

        if tom.roles:
            self.table(["Role", "Held by"], [[name(r), who or open_] for r, who in tom.roles.items()],
                       "Service lifecycle roles and who holds them", [8.3, 8.3])
            # the client should know which remits the ITSPM framework defines and which we chose
            judged = [name(r) for r in tom.roles if getattr(fw.index.get(r), "kit_judgement", None)]
            if judged:
                self.para(f"The remit of the {' and the '.join(judged)} is our own judgement, not the ITSPM "
                          "framework's.")
        if tom.practice_owners:
            self.table(["Practice", "Owned by"], [[name(p), who or open_] for p, who in tom.practice_owners.items()],
                       "Practice owners", [8.3, 8.3])
        if tom.practice_sourcing:
            self.table(["Practice", "Sourcing", "Supplier", "Agreement"],
                       [[name(p), s.sourcing, s.supplier or "-", s.agreement or "none yet"]
                        for p, s in tom.practice_sourcing.items()],
                       "Practices delivered with suppliers, and the agreements that govern them", [5.6, 3.2, 4.6, 3.2])
        if tom.data_model:
            self.table(["Data model entity", "Recorded today in"],
                       [[name(e), where or "not recorded"] for e, where in tom.data_model.items()],
                       "The service data model: where each entity is recorded", [6.0, 10.6])
        if tom.questions:
            self.heading("Open questions", 2)
            self.bullets(tom.questions)

    def roadmap(self) -> None:
        self.heading("Roadmap")
        plan, fw = self.i.plan, self.i.framework
        s = self.i.scores.subjects
        gaps = s[s["gap"].fillna(0) > 0].sort_values("priority_score", ascending=False)
        if plan is None or not plan.initiatives:
            self.para(f"{_count(len(gaps), 'subject')} {_be(len(gaps), 'is', 'are')} below target; no initiative "
                      "of the library is planned for them.")
            return
        for text in roadmap_narrative(self.i):
            self.para(text)
        self.chart("gantt", lambda: charts.gantt(plan, self.style), "The roadmap: initiatives by wave")
        self.chart("projection", lambda: charts.projection(plan, self.style), "Projected maturity after each wave")
        self.table(["Wave", "From", "To", "Capacity (person-weeks)", "Planned effort"],
                   [[str(w.index), f"{w.start:%d %b %Y}", f"{w.end:%d %b %Y}", f"{w.capacity:g}", f"{w.effort:.1f}"]
                    for w in plan.waves], "Waves, their capacity and the effort planned in each",
                   [1.6, 3.2, 3.2, 4.4, 4.2])
        if plan.sizing is not None:
            self.para(plan.sizing.sentence([p.id for p in plan.initiatives]))
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

    def point_of_view(self) -> None:
        """Recommendations tied to gaps and initiatives, decisions asked of the client, next steps."""
        titles = {"recommendations": "Recommendations", "decisions": "Decisions we ask of you",
                  "next steps": "Next steps"}
        if not any(self.pov[k] for k in titles):
            return
        self.heading("Recommendations and next steps")
        for key, title in titles.items():
            if self.pov[key]:
                self.heading(title, 2)
                self.messages(key)

    def appendix(self) -> None:
        """Per assessed subject: its criteria, then the client's own words (deliver.evidence); the
        subjects without enough answers once, with why."""
        self.doc.add_section(WD_SECTION.NEW_PAGE)
        self.heading("Appendix: criteria by subject")
        i = self.i
        assessed, missing = subjects_evidence(i.framework, i.engagement, i.scores, i.evidence,
                                              i.assessment.consensus)
        self.para("Each subject's criteria by topic and level, with the combined rating (N not, P partially, "
                  "L largely, F fully achieved) and the evidence respondents named; then what respondents "
                  "said, in their words"
                  + (" (by name and role)" if i.engagement.report.name_respondents else " (by role)")
                  + ", what the workshop agreed, what is still open, and how to do better where a criterion "
                  "is not yet fully achieved.")
        if missing:
            self.heading("Subjects not assessed", 3, contents=False)
            self.table(["Subject", "Why it is not assessed"], [[m.name, m.why] for m in missing],
                       f"{_count(len(missing), 'subject')} without enough answers to score", [6.0, 10.6])
        for ev in assessed:
            # level 3: the contents lists the report's sections, not every subject of the appendix
            self.heading(f"{ev.name}: level {level(ev.level)}, score {score(ev.score)}", 3, contents=False)
            self.table(["Topic", "Criterion", "Rating", "Evidence given"], ev.rows,
                       f"{ev.name}: each criterion by topic and level, its rating and the evidence named",
                       [2.8, 7.6, 2.0, 4.2])
            for title, items, form in (
                    ("In the respondents' words", ev.comments, lambda x: f"{x.criterion}, {x.who}: “{x.text}”"),
                    ("Why some criteria do not apply", ev.na_reasons,
                     lambda x: f"{x.criterion}, {x.who}: “{x.text}”"),
                    ("Agreed in the workshop", ev.consensus, lambda x: f"{x.criterion}, {x.who}: {x.text}"),
                    ("Still open: respondents disagree", ev.disagreements,
                     lambda x: f"{x.criterion}: {x.text}"),
                    ("Evidence still to find", ev.to_find,
                     lambda x: f"{x.criterion}, not known to {x.who}; look for: {x.text}"),
                    ("How to do better", ev.advice, lambda x: f"{x.criterion} (now {x.who}): {x.text}")):
                if items:
                    self.para(title, "Heading 4").paragraph_format.keep_with_next = True
                    self.bullets([form(x) for x in items])
        self.glossary([row[1] for ev in assessed for row in ev.rows] + [a.text for ev in assessed for a in ev.advice])

    def glossary(self, texts: list[str]) -> None:
        """The terms the appendix's criteria text uses that a reader may not know, with what each means."""
        terms = sorted(self.i.framework.glossary.used_in(*texts), key=lambda t: t.term.casefold())
        if not terms:
            return
        self.heading("Appendix: glossary")
        self.para("Terms used in the criteria above that may be unfamiliar, in plain words.")
        self.table(["Term", "What it means"], [[t.term, t.definition] for t in terms],
                   f"{_count(len(terms), 'term')} used in the criteria", [5.0, 11.6])

    def finish(self) -> None:
        eng = self.i.engagement
        for section in self.doc.sections:
            footer = section.footer.paragraphs[0]
            footer.text = ""
            footer.style = self.doc.styles["Footer"]
            footer.add_run(xml_text(f"{eng.client} · {self.brand.confidentiality} · page "))
            page_number(footer)
            if self.mark:  # a draft or a scenario says so on every page, above the text
                section.different_first_page_header_footer = False
                header = section.header.paragraphs[0]
                header.text = ""
                header.add_run(xml_text(self.mark)).bold = True
        props = self.doc.core_properties
        props.title = f"IT service management assessment: {eng.client}"
        props.subject = eng.client
        props.author = self.brand.firm
        props.keywords = (f"client: {eng.client}; question bank {eng.bank_version}; methodology "
                          f"{METHODOLOGY_VERSION}; audience {self.audience}")
        props.category = f"methodology {METHODOLOGY_VERSION}"
        props.comments = f"question bank {eng.bank_version}; methodology {METHODOLOGY_VERSION}"
        props.created = props.modified = dt.datetime.combine(eng.assessment_date, dt.time())
        props.last_printed = props.created
        props.revision = 1
        # No "update fields?" prompt on opening: the contents carries its entries, and deliver.pdf
        # fills in their page numbers when LibreOffice renders the PDF.


# ---- words -------------------------------------------------------------------------------------

def _be(n: int, one: str, many: str) -> str:
    """The verb that agrees with `n`: `1 subject is`, `3 subjects are`."""
    return one if n == 1 else many


def _count(n: int, one: str, many: str | None = None) -> str:
    """`1 criterion`, `3 criteria`: a number with its noun in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


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
        out.append(f"{_count(h['below_target'], 'subject')} {_be(h['below_target'], 'is', 'are')} below "
                   f"{'its' if h['below_target'] == 1 else 'their'} target level; the largest gaps are in {top}. "
                   f"{_count(h['priorities']['High'], 'gap')} {_be(h['priorities']['High'], 'is', 'are')} high "
                   "priority.")
    over = s[s["over_maturity"]]
    if len(over):
        out.append("Effort may be misplaced where practice runs ahead of what the business needs: "
                   + ", ".join(f"{r.name} (level {level(r.level)}, target {level(r.target)})"
                               for r in over.itertuples()) + ".")
    if h["disagreements"]:
        out.append(f"Respondents disagree on {_count(h['disagreements'], 'criterion', 'criteria')} that a workshop "
                   "has not yet settled; "
                   "the scores there are the lower median of their answers.")
    return out + roadmap_narrative(i)


WHY_OPEN = {"capacity": "does not fit the capacity", "horizon": "takes longer than the plan",
            "excluded": "served only by excluded initiatives", "unreachable": "no initiative in the library"}


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
        ("dependency", f"it waits for work pinned too late to let it end in time ({count['dependency']}: an "
                       "earlier pin would)"),
        ("excluded", f"only excluded initiatives serve it ({count['excluded']})"),
        ("unreachable", f"no initiative in the library achieves what it lacks ({count['unreachable']})"))
        if count[k]]
    return f"{_still_below(plan)}. By reason (a subject may have more than one): {'; '.join(parts)}."


def _still_below(plan) -> str:
    n = len({g.subject for g in plan.open_gaps})
    return f"{n} {'subjects stay' if n != 1 else 'subject stays'} below target after the last wave"


def roadmap_narrative(i: Inputs) -> list[str]:
    """What the roadmap buys by when, in the roadmap's own sentences (none without a plan)."""
    plan = i.plan
    if plan is None or not plan.initiatives:
        return []
    return [" ".join(roadmap_story(plan, {x.id: x.name for x in i.framework.subjects}))]


def _banded(r) -> str:
    """A subject's score with its don't-know band, `2.4 (2.4–3.1)`, or the score alone."""
    b = band(r.score_low, r.score_high)
    return score(r.score) if b == "-" else f"{score(r.score)} ({b})"


def _rating(r) -> str:
    if r.status == NA:
        return "N/A"
    if r.status == NO_DATA:
        return "no data"
    return str(r.rating) + (" (consensus)" if r.consensus_applied else "")


# ---- the backlog ------------------------------------------------------------------------------

def write_backlog(i: Inputs, path: Path, mark: str = "") -> Path:
    """Gaps and the criteria that close them, for the client's delivery team (one sheet each):
    plain headers, bold and frozen, a filter on each column, widths that fit the words, wrapped."""
    s, crit = i.scores.subjects, i.scores.criteria
    by_id = {c.id: c for c in i.framework.criteria}
    gaps = s[s["gap"].fillna(0) > 0][["id", "name", "level", "score", "target", "gap", "priority"]].rename(columns={
        "id": "Subject id", "name": "Subject", "level": "Level now", "score": "Score now", "target": "Target level",
        "gap": "Gap (levels)", "priority": "Priority"}).round({"Score now": 1})
    target = s.set_index("id")["target"]
    open_crit = crit[(crit["status"] != NA) & ~crit["achieved"]]
    # A mask as a Series: an empty list would select no columns, not no rows (nothing open: all F).
    open_crit = open_crit[pd.Series([(not pd.isna(target.get(sub))) and lv <= target.get(sub)
                                     for sub, lv in zip(open_crit["subject"].astype(str), open_crit["level"],
                                                        strict=True)], index=open_crit.index, dtype=bool)]
    names = s.set_index("id")["name"]
    items = pd.DataFrame({
        "Criterion": open_crit["id"], "Subject": [names.get(x, x) for x in open_crit["subject"].astype(str)],
        "Level": open_crit["level"],
        "Rating now": [rating_text(r.status, r.rating, r.consensus_applied) for r in open_crit.itertuples()],
        "What is to be achieved": [by_id[c].statement for c in open_crit["id"]],
        "How to do better": [by_id[c].improve for c in open_crit["id"]],
    })
    from dsm_assess.deliver.roadmap import tables
    sheets = [("Gaps", gaps), ("Criteria to achieve", items)]
    if i.plan is not None:
        plan = tables(i.plan)["initiatives"]
        sheets.append(("Initiatives", plan.reindex(columns=[
            "id", "title", "type", "owner", "wave", "start", "end", "effort", "basis_of_estimate", "depends_on",
            "waits_for", "closes", "criteria", "why", "delivered", "left_out"]).rename(columns=BACKLOG_HEADERS)))
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from dsm_assess.formats.sheets import fit_to_page_width, safe_set
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets:
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    safe_set(cell, cell.value)
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            for j, column in enumerate(frame.columns, start=1):
                ws.cell(1, j).font = Font(bold=True)
                ws.cell(1, j).alignment = Alignment(wrap_text=True, vertical="top")
                longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(500))])
                ws.column_dimensions[get_column_letter(j)].width = min(max(longest + 2, 8), 60)
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
            fit_to_page_width(ws)
            if mark:
                ws.oddHeader.center.text = mark
    return path


# The initiatives sheet's columns in the delivery team's words.
BACKLOG_HEADERS = {"id": "Initiative", "title": "Title", "type": "Type", "owner": "Owner", "wave": "Wave",
                   "start": "Starts", "end": "Ends", "effort": "Effort (person-weeks)",
                   "basis_of_estimate": "Basis of estimate",
                   "depends_on": "Depends on", "waits_for": "Waits for", "closes": "Closes gaps in",
                   "criteria": "Criteria it achieves",
                   "why": "Why it is in the plan", "delivered": "Delivered within the plan",
                   "left_out": "Left out, and why"}
