"""The live workshop form (ipywidgets), for the consultant in JupyterLab: answers captured in the
room, saved as they are given.

Every change goes to the engagement's store at once, through the same row reader and text rules
as returned workbooks and CSV files (source "form"), so a kernel crash loses at most the field
being edited, and reopening the form resumes where it was.

Without a token it is the consultant's view (any respondent, or the workshop consensus): it is
meant for the consultant's own notebook and is never served to others (respondents use the web
form, `form serve`). With a respondent's token it shows only that respondent's subjects and
answers as that respondent; a wrong token shows a refusal and nothing else.
"""

from __future__ import annotations

import html
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as w

from dsm_assess.capture.intake import record_consensus, store_answers
from dsm_assess.core.errors import DsmError
from dsm_assess.core.scale import RATINGS
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.form.tokens import REFUSAL
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.store.answers import RowReader
from dsm_assess.store.backend import open_store

CONSENSUS = "workshop consensus"
NO_CONFIDENCE = "-"


class WorkshopForm:
    """The form's state and widgets; `widget` is what the notebook displays."""

    def __init__(self, slug: str, root: str | Path | None = None, token: str | None = None,
                 fw: Framework | None = None):
        self.fw = fw or load_framework()
        self.slug, self.root = slug, root
        self.eng = load_engagement(slug, root, self.fw)
        self.reader = RowReader(self.fw)
        self.by_id = {c.id: c for c in self.fw.criteria}
        self.token = token
        self.refused = False
        people = {r.email: r for r in self.eng.respondents}
        if token is not None:
            with self._store() as store:
                holder = store.token_holder(token)
            if holder is None or holder["respondent"] not in people:
                self.refused = True
                self.widget = w.HTML(f"<p><b>{html.escape(REFUSAL)}</b></p>")
                return
            self.choices = [holder["respondent"]]
        else:
            self.choices = [*people, CONSENSUS]
        self._build()
        self.select_respondent(self.choices[0])

    def _store(self):
        return open_store(engagement_dir(self.slug, self.root), self.slug)

    # ---- widgets -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.respondent = w.Dropdown(options=self.choices, description="Answering as",
                                     disabled=len(self.choices) == 1, layout=w.Layout(width="60%"))
        self.subject = w.Dropdown(description="Subject", layout=w.Layout(width="60%"))
        self.position = w.IntSlider(min=0, description="Statement", continuous_update=False)
        self.back, self.next = w.Button(description="◀ Previous"), w.Button(description="Next ▶")
        self.statement = w.HTML()
        self.guidance = w.Accordion(children=[w.HTML()], titles=("What fully achieved looks like",),
                                    selected_index=None)
        self.rating = w.ToggleButtons(options=[(code, code) for code in RATINGS], value=None,
                                      tooltips=[p.plain for p in sorted(self.fw.scale, key=lambda p: RATINGS.index(
                                          p.code))], description="Rating")
        self.na_reason = w.Text(description="N/A reason", continuous_update=False, layout=w.Layout(width="90%"))
        self.confidence = w.Dropdown(options=[NO_CONFIDENCE, 1, 2, 3, 4, 5], value=NO_CONFIDENCE,
                                     description="Confidence")
        self.evidence = w.Textarea(description="Evidence", continuous_update=False, layout=w.Layout(width="90%"))
        self.comment = w.Textarea(description="Comment", continuous_update=False, layout=w.Layout(width="90%"))
        self.message = w.HTML()
        self.progress = w.HTML()
        self.panel = w.HTML(layout=w.Layout(width="32%", padding="0 0 0 12px"))
        self.respondent.observe(lambda c: self.select_respondent(c["new"]), "value")
        self.subject.observe(lambda c: self.select_subject(c["new"]), "value")
        self.position.observe(lambda c: self.show(), "value")
        self.back.on_click(lambda _: self._step(-1))
        self.next.on_click(lambda _: self._step(1))
        for field in (self.rating, self.na_reason, self.confidence, self.evidence, self.comment):
            field.observe(self._changed, "value")
        main = w.VBox([self.respondent, self.subject, w.HBox([self.back, self.position, self.next]), self.statement,
                       self.guidance, self.rating, self.na_reason, self.confidence, self.evidence, self.comment,
                       self.message, self.progress], layout=w.Layout(width="68%"))
        self.widget = w.HBox([main, self.panel])
        self._loading = False
        self._held = False

    # ---- navigation --------------------------------------------------------------------------
    @property
    def who(self) -> str:
        return self.respondent.value

    def criteria(self, subject: str | None = None) -> list[str]:
        person = None if self.who == CONSENSUS else self.eng.respondent(self.who)
        ids = self.eng.criteria_for(self.fw, person)
        return [i for i in ids if subject is None or self.by_id[i].subject == subject]

    def select_respondent(self, who: str) -> None:
        if self.respondent.value != who:
            self.respondent.value = who  # fires this again through the observer
            return
        subjects = list(dict.fromkeys(self.by_id[i].subject for i in self.criteria()))
        self.subject.options = [(f"{self.fw.get(s).name} ({s})", s) for s in subjects]
        self.subject.value = subjects[0] if subjects else None
        self.select_subject(self.subject.value)

    def select_subject(self, subject: str | None) -> None:
        ids = self.criteria(subject) if subject else []
        self.position.max = max(len(ids) - 1, 0)
        with self.position.hold_trait_notifications():
            self.position.value = self._resume(ids)
        self.show()

    def _resume(self, ids: list[str]) -> int:
        """The first statement not yet answered (where the respondent left off)."""
        done = self._answers()
        return next((i for i, cid in enumerate(ids) if cid not in done), 0)

    def _step(self, by: int) -> None:
        self.position.value = min(max(self.position.value + by, 0), self.position.max)

    @property
    def current(self) -> str | None:
        ids = self.criteria(self.subject.value) if self.subject.value else []
        return ids[self.position.value] if ids else None

    def _answers(self) -> dict:
        with self._store() as store:
            if self.who == CONSENSUS:
                return {r.criterion_id: r for r in store.consensus().itertuples()}
            return store.current_answer_objects().get(self.who, {})

    # ---- showing and saving ------------------------------------------------------------------
    def show(self) -> None:
        cid = self.current
        if cid is None:
            return
        c = self.by_id[cid]
        self.statement.value = f"<p><b>{html.escape(cid)}</b> (level {c.level})</p><p>{html.escape(c.statement)}</p>"
        self.guidance.children[0].value = "".join(f"<p>{html.escape(part)}</p>"
                                                  for part in self.fw.guidance(c).split("\n\n"))
        previous = self._answers().get(cid)
        self._loading = True
        try:
            self.rating.value = getattr(previous, "rating", None)
            self.na_reason.value = getattr(previous, "na_reason", None) or ""
            self.confidence.value = getattr(previous, "confidence", None) or NO_CONFIDENCE
            self.evidence.value = getattr(previous, "evidence", None) or ""
            self.comment.value = (getattr(previous, "comment", None) or getattr(previous, "rationale", None)
                                  or "") if previous is not None else ""
        finally:
            self._loading = False
        self.message.value = ""
        self._refresh()

    def go_to(self, criterion: str, who: str | None = None) -> None:
        """Show `criterion` (as `who`, a respondent's e-mail or `CONSENSUS`, when given), as a
        consultant would by picking the respondent, the subject and the statement."""
        if who is not None and who != self.who:
            if who not in self.choices:
                raise DsmError(f"{who!r} cannot answer in this form")
            self.select_respondent(who)
        subject = self.by_id[criterion].subject if criterion in self.by_id else None
        ids = self.criteria(subject) if subject else []
        if criterion not in ids:
            raise DsmError(f"{criterion!r} is not asked of {self.who} in this engagement")
        if self.subject.value != subject:
            self.subject.value = subject
        self.position.value = ids.index(criterion)

    @contextmanager
    def _holding(self):
        """The panel and the progress line (which score the whole engagement) left as they are."""
        held, self._held = self._held, True
        try:
            yield
        finally:
            self._held = held

    @contextmanager
    def held(self):
        """Enter many answers in a row (a workshop replayed from its record): the panel and the
        progress line are worked out once at the end instead of after every step."""
        try:
            with self._holding():
                yield self
        finally:
            self._refresh()

    def answer(self, criterion: str, rating: str, *, who: str | None = None, na_reason: str = "",
               confidence: int | None = None, evidence: str = "", comment: str = "") -> bool:
        """Fill in one statement's fields and save them once, as one answer (for a consensus the
        comment is its rationale); returns whether it was saved (a refusal shows in `message`)."""
        with self._holding():  # the panel is worked out once, after the save
            self.go_to(criterion, who)
        self._loading = True
        try:
            self.rating.value = rating
            self.na_reason.value = na_reason
            self.confidence.value = NO_CONFIDENCE if confidence is None else confidence
            self.evidence.value = evidence
            self.comment.value = comment
        finally:
            self._loading = False
        if self.save():
            return True
        self._refresh()  # refused: the panel still shows the statement now in view
        return False

    def _changed(self, _change=None) -> None:
        if not self._loading:
            self.save()

    def save(self) -> bool:
        """Store what the form shows for the current statement; a refusal is shown, not raised."""
        cid = self.current
        if cid is None or self.rating.value is None:
            return False
        values = {"rating": self.rating.value, "na_reason": self.na_reason.value,
                  "confidence": None if self.confidence.value == NO_CONFIDENCE else self.confidence.value,
                  "evidence": self.evidence.value, "comment": self.comment.value}
        try:
            if self.who == CONSENSUS:
                with self._store() as store:
                    record_consensus(self.fw, self.eng, store, cid, values["rating"], values["comment"] or "")
            else:
                row = self.reader.read(values, cid, self.who, "form", lambda f: f"{cid}, {f}")
                if row.problems:
                    raise DsmError("; ".join(p.message for p in row.problems))
                with self._store() as store:
                    store_answers(store, self.fw, [row.answer], source="form", source_ref=self.token)
        except DsmError as err:
            hint = " (a consensus needs its rationale in the comment)" if self.who == CONSENSUS else ""
            self.message.value = f"<p style='color:#C00000'>Not saved: {html.escape(str(err))}{hint}</p>"
            return False
        self.message.value = f"<p style='color:#375623'>Saved {html.escape(cid)}: {values['rating']}</p>"
        self._refresh()
        return True

    def _refresh(self) -> None:
        if self._held:
            return
        done = self._answers()
        subject = self.subject.value
        mine = self.criteria(subject)
        everything = self.criteria()
        self.progress.value = (f"<p>{sum(i in done for i in mine)} of {len(mine)} answered in this subject; "
                               f"{sum(i in done for i in everything)} of {len(everything)} overall.</p>")
        self.panel.value = self._panel(subject)

    def _panel(self, subject: str) -> str:
        """The subject's level and score as answers come in, and the others' answers to discuss."""
        from dsm_assess.scoring.assessment import carried_consensus
        from dsm_assess.scoring.rules import score_engagement
        with self._store() as store:
            answers, consensus = store.scoring_answers(self.fw.same_as), carried_consensus(store.consensus(), self.fw)
            scores = score_engagement(self.fw, self.eng, answers, consensus)
            others = store.current_answers() if self.token is None else None
        row = scores.subjects.set_index("id").loc[subject]
        level = "insufficient data" if row["insufficient"] else f"level {int(row['level'])}, score {row['score']:.1f}"
        out = [f"<h4>{html.escape(self.fw.get(subject).name)}</h4><p>Now: {level}</p>"]
        if others is not None and self.current:  # the consultant's view only: a respondent sees their own
            given = others[others["criterion_id"] == self.current]
            if len(given) > 1:
                spread = ", ".join(f"{html.escape(r.respondent)}: {r.rating}" for r in given.itertuples())
                out.append(f"<p>Answers to {html.escape(self.current)}: {spread}</p>")
        if others is not None:  # the consultant sees what still stands between the answers and a report
            from dsm_assess.deliver.readiness import readiness
            from dsm_assess.scoring.assessment import Assessment
            checks = readiness(Assessment(self.fw, self.eng, answers, consensus, scores))
            out.append("<p>Ready for a report.</p>" if not checks else "<p>Before a report goes out:</p><ul>"
                       + "".join(f"<li>{html.escape(c.message)}</li>" for c in checks) + "</ul>")
        return "".join(out)
