"""The web form for one engagement: server-rendered pages for respondents and the consultant.

Everything is served at one address (`/`), the token in the link deciding the view, so that the
form works unchanged behind a reverse proxy under any path: links and form actions are relative,
and no request header (Host, X-Forwarded-*, Referer) is read. The engagement is bound when the
app is made, never taken from a request. Answers go through the same row reader and
`store_answers` as workbooks and CSV files (source "form"); consensus values through
`record_consensus`.

A respondent sees an introduction, their own subjects with progress, and one statement per page
with the glossary terms it uses defined under it (in the page, for keyboard and touch users alike),
saved as they go; never a score or level. After the engagement's deadline their answers show
read-only. The consultant sees every respondent's progress and answers, the live score per
subject, and records consensus values, subject by subject or walking the workshop agenda item by
item (form/walk.py), whose pages show no score, so the room can see them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from dsm_assess.capture.intake import record_consensus, store_answers
from dsm_assess.core.errors import DsmError
from dsm_assess.core.paths import default_template
from dsm_assess.core.scale import RATINGS
from dsm_assess.deliver.brand import load_brand
from dsm_assess.engagement.spec import EngagementSpec, engagement_dir, engagement_file, load_engagement
from dsm_assess.form import walk as agenda_walk
from dsm_assess.form.tokens import REFUSAL, Holder, match_token
from dsm_assess.framework.model import Criterion, Framework
from dsm_assess.store.answers import Answer, RowReader
from dsm_assess.store.backend import open_store
from dsm_assess.store.base import Store

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
MAX_BODY = 256 * 1024  # bytes of one form post: far more than any answer's text needs
FIELDS = ("rating", "na_reason", "confidence", "evidence", "comment")
LABELS = {"rating": "the rating", "na_reason": "the reason it does not apply", "confidence": "how sure you are",
          "evidence": "the evidence", "comment": "the comment"}
WORKSHOP_MINUTES = (1, 24 * 60)  # what a workshop agenda may be built for; 90 unless the consultant says
# Sent with every page: nothing framed, nothing fetched from elsewhere, no token leaked in a
# Referer, no page kept in a shared cache.
SECURITY_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
                    "X-Content-Type-Options": "nosniff"}


def _csp(nonce: str) -> str:
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; connect-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Statement:
    """One statement as a respondent sees it (no id, level or score)."""

    criterion: Criterion
    subject: str
    number: int   # counted from 1 within its subject
    of: int


class FormSite:
    """One engagement's form: what each page shows and what each form post stores."""

    def __init__(self, fw: Framework, slug: str, root: str | Path | None = None, consultant_token: str = "",
                 today: Callable[[], dt.date] = dt.date.today,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        if not consultant_token:
            raise DsmError("the form needs a consultant token")
        self.fw, self.slug, self.root = fw, slug, root
        self.consultant_token = consultant_token
        self.today, self.now = today, now
        self.by_id = {c.id: c for c in fw.criteria}
        self.reader = RowReader(fw)
        self.scale = sorted(fw.scale, key=lambda p: RATINGS.index(p.code))
        self.conditions = {k.id: k.applies_when for k in fw.conditions}
        self.firm = load_brand(default_template()).firm
        self._eng: tuple[float | None, EngagementSpec] | None = None
        self._local = threading.local()
        # One writer at a time within the server: threads queue here in order, instead of in
        # SQLite's busy handler, whose back-off sleeps (up to 100 ms a try) would delay saves.
        self.write_lock = threading.Lock()
        self.eng  # fail at start, not on the first visitor, if the engagement does not load  # noqa: B018
        with open_store(engagement_dir(slug, root), slug):
            pass

    # ---- what the server holds -----------------------------------------------------------------
    @property
    def eng(self) -> EngagementSpec:
        """The engagement, read again when engagement.yaml changes (a respondent added, a deadline moved)."""
        try:
            stamp: float | None = engagement_file(self.slug, self.root).stat().st_mtime
        except FileNotFoundError:
            stamp = None  # load_engagement says what is missing
        if self._eng is None or self._eng[0] != stamp:
            self._eng = (stamp, load_engagement(self.slug, self.root, self.fw))
        return self._eng[1]

    def store(self) -> Store:
        """This thread's connection to the store (SQLite connections stay in the thread that opened them)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(engagement_dir(self.slug, self.root), self.slug)
        return store

    def holder(self, token: str | None) -> Holder | None:
        """Whom the token opens the form for; a respondent no longer in the engagement is nobody."""
        found = match_token(token, self.store(), self.consultant_token)
        if found is None or found.consultant:
            return found
        if found.respondent not in {r.email for r in self.eng.respondents}:
            return None
        return found

    def closed(self) -> bool:
        deadline = self.eng.deadline
        return deadline is not None and self.today() > deadline

    # ---- a respondent's questionnaire ------------------------------------------------------------
    def asked(self, who: Holder) -> dict[str, list[str]]:
        """Subject -> the criteria asked of this respondent there, in bank order (only the subjects
        their link was issued for)."""
        eng = self.eng
        out: dict[str, list[str]] = {}
        for cid in eng.criteria_for(self.fw, eng.respondent(who.respondent)):
            subject = self.by_id[cid].subject
            if subject in who.subjects:
                out.setdefault(subject, []).append(cid)
        return out

    def answers_of(self, respondent: str) -> dict[str, Answer]:
        return self.store().answers_of(respondent)

    def progress(self, asked: dict[str, list[str]], done: dict[str, Answer]) -> list[dict]:
        return [{"id": s, "name": self.fw.get(s).name, "done": sum(c in done for c in ids), "of": len(ids),
                 "first_open": next((i for i, c in enumerate(ids, 1) if c not in done), 1)}
                for s, ids in asked.items()]

    def statement(self, asked: dict[str, list[str]], subject: str | None, number: int) -> Statement | None:
        ids = asked.get(subject or "")
        if not ids or not 1 <= number <= len(ids):
            return None
        return Statement(self.by_id[ids[number - 1]], subject, number, len(ids))

    def save(self, who: Holder, cid: str, values: dict[str, str]) -> list[str]:
        """Store one answer as the token's respondent; returns what is wrong (nothing stored then)."""
        row = self.reader.read(values, cid, who.respondent, "form", lambda f: LABELS[f])
        if row.problems:
            return [p.message.replace(cid, "this statement") for p in row.problems]
        if row.answer is None:
            return ["Choose a rating to save your answer."]
        try:
            with self.write_lock:
                store_answers(self.store(), self.fw, [row.answer], source="form", source_ref=who.token)
        except DsmError as err:
            return [str(err).replace(cid, "this statement")]
        return []

    # ---- the consultant's view -------------------------------------------------------------------
    def scores(self):
        from dsm_assess.scoring.assessment import carried_consensus
        from dsm_assess.scoring.rules import score_engagement
        store = self.store()
        return score_engagement(self.fw, self.eng, store.scoring_answers(self.fw.same_as),
                                carried_consensus(store.consensus(), self.fw)).subjects.set_index("id")

    # ---- the workshop agenda, walked ---------------------------------------------------------------
    def start_walk(self, minutes: int) -> int:
        """Build the agenda as `workshop agenda` does and freeze it, with the time, in the audit log;
        returns how many items it has."""
        from dsm_assess.deliver.agenda import build_agenda
        from dsm_assess.scoring.assessment import load_assessment
        store = self.store()
        agenda = build_agenda(load_assessment(self.slug, self.root, fw=self.fw, spec=self.eng),
                              store.current_answers(), minutes)
        with self.write_lock, store.transaction():
            store.audit(agenda_walk.ACTION, agenda_walk.record(agenda, self.now()), who="consultant (web form)")
        return len(agenda.items)

    def walk(self) -> agenda_walk.Walk | None:
        """The agenda being walked, if one was started."""
        row = self.store().last_audit(agenda_walk.ACTION)
        return agenda_walk.read(row["detail"] if row else None)

    def given(self, cid: str) -> list[tuple[str, Answer | None]]:
        """(name, current answer or None) of every respondent asked a criterion."""
        eng, everyone = self.eng, self.store().current_answer_objects()
        return [(r.name, everyone.get(r.email, {}).get(cid)) for r in eng.respondents
                if cid in set(eng.criteria_for(self.fw, r))]


def _values(form) -> dict[str, str]:
    return {k: str(form.get(k) or "") for k in FIELDS}


def _number(text: str | None, default: int = 0) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def create_app(site: FormSite) -> Starlette:
    """The ASGI app serving `site` at `/`."""

    def page(request: Request, name: str, context: dict, status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(16)
        eng = site.eng
        context = {"client": eng.client, "firm": site.firm, "nonce": nonce, **context}
        response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
        response.headers.update({**SECURITY_HEADERS, "Content-Security-Policy": _csp(nonce)})
        return response

    def refusal(request: Request) -> Response:
        response = HTMLResponse(TEMPLATES.get_template("refusal.html").render(message=REFUSAL), status_code=403)
        response.headers.update({**SECURITY_HEADERS, "Content-Security-Policy": _csp("-")})
        return response

    def link(token: str, **params) -> str:
        return "?" + urlencode({"token": token, **{k: v for k, v in params.items() if v is not None}})

    def respondent_page(request: Request, who: Holder, values: dict | None = None,
                        problems: list[str] | None = None) -> Response:
        q = request.query_params if values is None else values
        asked = site.asked(who)
        done = site.answers_of(who.respondent)
        progress = site.progress(asked, done)
        closed = site.closed()
        context = {"token": who.token, "link": link, "progress": progress, "closed": closed, "scale": site.scale,
                   "deadline": site.eng.deadline, "person": site.eng.respondent(who.respondent),
                   "total": sum(p["of"] for p in progress), "answered": sum(p["done"] for p in progress)}
        subject = q.get("s")
        if subject is None:
            return page(request, "intro.html", context)
        here = site.statement(asked, subject, _number(q.get("n"), 1))
        if here is None:
            return refusal(request)  # not theirs, or no such statement: nothing to tell apart
        cid = here.criterion.id
        previous = done.get(cid)
        shown = values or {k: "" if previous is None or getattr(previous, k) is None else str(getattr(previous, k))
                           for k in FIELDS}
        saved = _number(q.get("saved")) if values is None else 0
        context.update(here=here, subject_name=site.fw.get(subject).name, values=shown, problems=problems or [],
                       evidence=here.criterion.evidence,
                       condition=site.conditions.get(here.criterion.applies_when or ""),
                       saved=saved, guidance=here.criterion.guidance.split("\n\n"),
                       terms=site.fw.glossary.used_in(here.criterion.statement, here.criterion.guidance))
        return page(request, "statement.html", context, 200 if not problems else 400)

    def consultant_page(request: Request, who: Holder, problem: str = "") -> Response:
        eng, store = site.eng, site.store()
        recorded = request.query_params.get("recorded")
        message = f"Recorded the consensus on {recorded}." if recorded in site.by_id else ""
        scores = site.scores()
        everyone = store.current_answer_objects()
        people, asked_of = [], {}
        for r in eng.respondents:
            asked = asked_of[r.email] = set(eng.criteria_for(site.fw, r))
            mine = everyone.get(r.email, {})
            people.append({"name": r.name, "email": r.email, "role": r.role, "of": len(asked),
                           "done": sum(c in mine for c in asked)})
        subjects = []
        for s in eng.scope:
            row = scores.loc[s] if s in scores.index else None
            subjects.append({"id": s, "name": site.fw.get(s).name,
                             "level": None if row is None or row["insufficient"] else int(row["level"]),
                             "score": None if row is None or row["insufficient"] else float(row["score"])})
        context = {"token": who.token, "link": link, "people": people, "subjects": subjects, "message": message,
                   "problem": problem, "scale": site.scale}
        subject = request.query_params.get("s")
        if subject in eng.scope:
            consensus = {r.criterion_id: r for r in store.consensus().itertuples()}
            rows = []
            for cid in eng.criteria_for(site.fw):
                c = site.by_id[cid]
                if c.subject != subject:
                    continue
                given = [(r.name, everyone.get(r.email, {}).get(cid)) for r in eng.respondents
                         if cid in asked_of[r.email]]
                rows.append({"c": c, "given": given, "consensus": consensus.get(cid)})
            context.update(subject=next(x for x in subjects if x["id"] == subject), rows=rows)
        return page(request, "consultant.html", context)

    def agenda_page(request: Request, who: Holder, number: int, problem: str = "",
                    values: dict[str, str] | None = None) -> Response:
        """The agenda being walked: all of it (number 0), or one item with its answers and the
        consensus field. No score or level of a subject is shown: the room may be looking."""
        walked, store = site.walk(), site.store()
        agreed = {r.criterion_id: r for r in store.consensus().itertuples()}
        label = {p.code: f"{p.label} ({p.code})" for p in site.scale}
        recorded = request.query_params.get("recorded")
        context = {"token": who.token, "link": link, "walk": walked, "agreed": agreed, "label": label,
                   "problem": problem, "scale": site.scale, "values": values or {}, "why": agenda_walk.WHY,
                   "limits": WORKSHOP_MINUTES, "by_id": site.by_id, "subject": lambda c: site.fw.get(c).name,
                   "message": f"Recorded the consensus on {recorded}: settled." if recorded in site.by_id else ""}
        if walked is not None:
            used = walked.used(site.now())
            done = [s for s in walked.stops if s.criterion in agreed]
            context.update(used=used, settled=len(done), estimated=sum(s.minutes for s in done),
                           numbered=list(enumerate(walked.stops, 1)),
                           pace=agenda_walk.pace(used, sum(s.minutes for s in done)),
                           started=walked.started.astimezone().strftime("%H:%M on %-d %B %Y"),
                           first_open=next((i for i, s in enumerate(walked.stops, 1) if s.criterion not in agreed),
                                           None))
            if 1 <= number <= len(walked.stops):
                stop = walked.stops[number - 1]
                context.update(n=number, stop=stop, c=site.by_id.get(stop.criterion), given=site.given(stop.criterion),
                               item_pace=agenda_walk.pace(used, stop.starts_at))
            elif number:
                context["problem"] = problem or f"The agenda has no item {number}."
        return page(request, "agenda.html", context, 400 if problem else 200)

    def show(request: Request) -> Response:
        who = site.holder(request.query_params.get("token"))
        if who is None:
            return refusal(request)
        if who.consultant and "agenda" in request.query_params:
            return agenda_page(request, who, _number(request.query_params.get("agenda")))
        return consultant_page(request, who) if who.consultant else respondent_page(request, who)

    async def post(request: Request) -> Response:
        if _number(request.headers.get("content-length"), MAX_BODY + 1) > MAX_BODY:
            return PlainTextResponse("Too much text in one answer.", status_code=413, headers=SECURITY_HEADERS)
        form = await request.form(max_files=0, max_fields=20)
        # Everything else touches the store: off the event loop, in the thread pool like every page.
        return await run_in_threadpool(handle_post, request, {k: v for k, v in form.items() if isinstance(v, str)})

    def handle_post(request: Request, form: dict[str, str]) -> Response:
        who = site.holder(form.get("token"))
        if who is None:
            return refusal(request)
        if who.consultant:
            return start_walk(request, who, form) if form.get("action") == "agenda" else consensus(request, who, form)
        return answer(request, who, form, "application/json" in request.headers.get("accept", ""))

    def answer(request: Request, who: Holder, form: dict[str, str], wants_json: bool) -> Response:
        subject, number = form.get("s") or "", _number(form.get("n"))
        here = site.statement(site.asked(who), subject, number)
        if here is None:
            return refusal(request)
        values: dict[str, str] | None = _values(form)
        if site.closed():
            problems = ["The deadline has passed: your answers can no longer be changed."]
        elif not any(values.values()):
            problems, values = [], None  # nothing given: moving on without answering is allowed
        else:
            problems = site.save(who, here.criterion.id, values)
        if wants_json:
            return JSONResponse({"saved": not problems and values is not None, "problems": problems},
                                headers=SECURITY_HEADERS)
        if problems:
            return respondent_page(request, who, {**(values or {}), "s": subject, "n": str(number)}, problems)
        step = {"next": 1, "previous": -1}.get(form.get("go") or "next", 0)
        target = here.number + step
        saved = here.number if values is not None else None
        if target > here.of:  # the last statement of a subject: back to the overview
            return RedirectResponse(link(who.token, saved_subject=subject), status_code=303)
        return RedirectResponse(link(who.token, s=subject, n=max(target, 1), saved=saved), status_code=303)

    def consensus(request: Request, who: Holder, form: dict[str, str]) -> Response:
        cid = form.get("criterion") or ""
        subject = site.by_id[cid].subject if cid in site.by_id else None
        item = _number(form.get("agenda")) if "agenda" in form else None  # recorded while walking the agenda
        try:
            with site.write_lock:
                record_consensus(site.fw, site.eng, site.store(), cid, form.get("rating") or "",
                                 form.get("rationale") or "", who="consultant (web form)")
        except DsmError as err:
            if item is not None:  # the item again, with what was typed
                return agenda_page(request, who, item, f"Not recorded: {err}",
                                   {k: form.get(k) or "" for k in ("rating", "rationale")})
            request.scope["query_string"] = urlencode({"token": who.token, "s": subject or ""}).encode()
            return consultant_page(Request(request.scope), who, problem=f"Not recorded: {err}")
        if item is not None:
            return RedirectResponse(link(who.token, agenda=item, recorded=cid), status_code=303)
        return RedirectResponse(link(who.token, s=subject, recorded=cid) + f"#{cid}", status_code=303)

    def start_walk(request: Request, who: Holder, form: dict[str, str]) -> Response:
        low, high = WORKSHOP_MINUTES
        minutes = _number(form.get("minutes"), -1)
        if not low <= minutes <= high:
            return agenda_page(request, who, 0, f"Not built: give the length of the workshop in whole minutes, "
                                                f"{low} to {high}.", {"minutes": form.get("minutes") or ""})
        items = site.start_walk(minutes)
        return RedirectResponse(link(who.token, agenda=1 if items else 0), status_code=303)

    def busy(request: Request, exc: Exception) -> Response:
        # A store held by another process for too long, an engagement file broken while serving:
        # the visitor is told to try again, the reason goes to the consultant's terminal.
        print(f"error: {exc}", file=sys.stderr)
        return PlainTextResponse("The form cannot be used just now. Please try again in a few minutes.",
                                 status_code=503, headers=SECURITY_HEADERS)

    return Starlette(routes=[Route("/", show, methods=["GET"]), Route("/", post, methods=["POST"])],
                     exception_handlers={DsmError: busy})


def serve(site: FormSite, host: str, port: int) -> None:
    """Run the app until Ctrl-C (uvicorn handles the signal and finishes open requests)."""
    import uvicorn

    # No proxy headers: nothing a request says about itself is trusted (the form reads none anyway).
    uvicorn.run(create_app(site), host=host, port=port, proxy_headers=False, server_header=False,
                log_level="warning", access_log=False)

