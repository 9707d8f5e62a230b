"""`make demo`: the shipped demo engagement, from the client's returned files to the reports.

The demo engagement (engagements/demo/, with the same client's assessment a year before in
engagements/demo-2025/) is committed as a consultant would hold it: engagement.yaml, the
workbooks respondents sent back (returned/), the record of the questionnaires sent (sent.yaml)
and one workshop session (workshop.yaml). Each run starts both engagements' stores afresh,
imports the returned workbooks, replays the workshop through the workshop form, then scores,
plans, checks the operating model, runs notebook 03 and writes the executive and full reports
and the backlog under reports/demo/. Running it again gives the same results: nothing is
stored twice.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr

from dsm_assess.core.errors import DsmError, InvalidInput
from dsm_assess.core.paths import engagements_root, project_dir, reports_dir
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.formats.yamlfile import display_path, read_yaml
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.store.backend import init_store, open_store, remove_store

SLUG, EARLIER = "demo", "demo-2025"
GENERATED = ("inbox", "outbox")  # made by each run, never committed


class _Sent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    respondent: EmailStr
    subjects: list[str]
    token: str
    bank_version: str


class SentFile(BaseModel):
    """sent.yaml: the questionnaires sent out, as the store recorded them."""

    model_config = ConfigDict(extra="forbid")
    questionnaires: list[_Sent] = []


class _Given(BaseModel):
    model_config = ConfigDict(extra="forbid")
    respondent: EmailStr
    criterion: str
    rating: str
    na_reason: str = ""
    confidence: int | None = None
    evidence: str = ""
    comment: str = ""


class _Agreed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criterion: str
    rating: str
    rationale: str


class Workshop(BaseModel):
    """workshop.yaml: one workshop session, as the form captured it."""

    model_config = ConfigDict(extra="forbid")
    session: dict = {}
    answers: list[_Given] = []
    consensus: list[_Agreed] = []


def _read(path: Path, model):
    doc = read_yaml(path)
    value = doc.validate(model, doc.data or {}, []) if not doc.problems else None
    if doc.problems:
        raise InvalidInput(list(doc.problems), f"{display_path(path)} is not valid")
    return value


def fresh_store(slug: str, root: str | Path | None = None) -> None:
    """Remove what earlier runs made (store, inbox/, outbox/) and start an empty store."""
    folder = engagement_dir(slug, root)
    remove_store(folder, slug)
    for name in GENERATED:
        shutil.rmtree(folder / name, ignore_errors=True)
    init_store(folder, slug)


def prepare(fw: Framework, slug: str, root: str | Path | None = None) -> list[str]:
    """Rebuild one demo engagement's store from its committed files; returns what happened, line by line."""
    from dsm_assess.capture.intake import import_files

    folder = engagement_dir(slug, root)
    eng = load_engagement(slug, root, fw)
    fresh_store(slug, root)
    sent = _read(folder / "sent.yaml", SentFile)
    lines = []
    with open_store(folder, slug) as store:
        for q in sent.questionnaires:
            store.issue_token(q.respondent, q.subjects, q.bank_version, token=q.token, who="demo")
        # Each file is imported as it arrived (its name starts with the day it came back), as a
        # consultant would: one run of several files of one respondent orders them by when they
        # were saved, which the demo's generated workbooks do not tell apart.
        returned = sorted((folder / "returned").glob("*.xlsx"))
        outcomes = [o for path in returned for o in import_files([path], fw, eng, store, "workbook", root)]
        for outcome in outcomes:
            if outcome.outcome != "stored":
                raise DsmError(f"the demo's {outcome.describe()}" + "".join(f"\n  {p}" for p in outcome.problems))
            lines.append(f"  {outcome.path.name}: {outcome.rows} answers from {', '.join(outcome.respondents)}"
                         + (f"; withdrawn: {', '.join(outcome.withdrawn)}" if outcome.withdrawn else ""))
    if (folder / "workshop.yaml").exists():
        lines.append("  " + replay_workshop(fw, slug, root))
    return lines


def replay_workshop(fw: Framework, slug: str, root: str | Path | None = None) -> str:
    """Enter workshop.yaml through the workshop form, as the consultant did in the room."""
    from dsm_assess.form import CONSENSUS, WorkshopForm

    workshop = _read(engagement_dir(slug, root) / "workshop.yaml", Workshop)
    form = WorkshopForm(slug, root, fw=fw)
    with form.held():
        for a in workshop.answers:
            if not form.answer(a.criterion, a.rating, who=a.respondent, na_reason=a.na_reason,
                               confidence=a.confidence, evidence=a.evidence, comment=a.comment):
                raise DsmError(f"workshop answer to {a.criterion} not saved: {form.message.value}")
        for c in workshop.consensus:
            if not form.answer(c.criterion, c.rating, who=CONSENSUS, comment=c.rationale):
                raise DsmError(f"workshop consensus on {c.criterion} not saved: {form.message.value}")
    people = len({a.respondent for a in workshop.answers})
    return (f"workshop of {workshop.session.get('date', '?')} (the workshop form): {len(workshop.answers)} answers "
            f"from {people} respondent(s), {len(workshop.consensus)} consensus values")


@dataclass
class Outcome:
    """What a demo run made and found."""

    reports: dict[str, Path]
    notebook: Path | None
    headline: dict
    top_gaps: list[dict]
    initiatives: int
    waves: int
    story: list[str] = field(default_factory=list)   # what the roadmap buys (deliver/roadmap.py)
    findings: list = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def kernel_manager(sockets: str):
    """The kernel manager papermill runs the demo's notebook with: over local sockets in the folder
    `sockets` rather than TCP (no network port, so nothing to encrypt and no warning about it), and
    shut down without the Ctrl-C that jupyter_client sends first. The notebook has finished by then;
    a kernel still tidying up after its last cell logs the interrupt as an error, on slow machines."""
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernel(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport, self.ip = "ipc", str(Path(sockets) / "kernel")

        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return LocalKernel


def execute_notebook(name: str, out: Path, parameters: dict) -> Path:
    """Run a notebook with papermill in the project's kernel (see `kernel_manager`)."""
    import papermill as pm

    sockets = tempfile.mkdtemp(prefix="dsm-kernel-")
    notebooks = (project_dir() or Path.cwd()) / "notebooks"
    try:
        pm.execute_notebook(notebooks / f"{name}.ipynb", out, parameters=parameters, progress_bar=False,
                            kernel_manager_class=kernel_manager(sockets))
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return out


def run(root: str | Path | None = None, out_dir: str | Path | None = None, notebook: bool = True) -> Outcome:
    """The whole demo: fresh stores, import, workshop, scores, roadmap, TOM check, notebook 03
    (which writes the full report) and the executive report and backlog."""
    from dsm_assess.api import Engagement

    fw = load_framework()
    root = engagements_root(root)
    out = Path(out_dir) if out_dir else reports_dir(SLUG)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for slug in (EARLIER, SLUG):
        lines.append(f"{slug}: imported into a fresh store")
        lines += prepare(fw, slug, root)
    engagement = Engagement(SLUG, root, framework=fw)
    inputs = engagement.gather()
    reports = {}
    executed = None
    if notebook:
        executed = execute_notebook("03_assessment_and_roadmap", out / "03_assessment_and_roadmap.ipynb",
                                    {"slug": SLUG, "root": str(root), "audience": "full", "output_dir": str(out)})
        reports["full"] = out / f"{SLUG}-full.docx"
    else:
        reports["full"] = engagement.report("full", out, inputs=inputs)
    for audience in ("executive", "backlog"):
        reports[audience] = engagement.report(audience, out, inputs=inputs)
    s = inputs.scores.subjects
    gaps = s[s["gap"].fillna(0) > 0].sort_values(["priority_score", "gap"], ascending=False).head(5)
    top = [{"id": r.id, "name": r.name, "level": None if r.level is None or r.level != r.level else int(r.level),
            "target": int(r.target), "priority": r.priority} for r in gaps.itertuples()]
    plan = inputs.plan
    from dsm_assess.deliver.roadmap import roadmap_story
    story = roadmap_story(plan, {x.id: x.name for x in fw.subjects})
    return Outcome(reports, executed, inputs.scores.headline, top, len(plan.initiatives), plan.parameters.waves,
                   story, inputs.findings, lines)


def summary(o: Outcome) -> str:
    """What a consultant reads at the end of `make demo`."""
    h = o.headline
    here = project_dir() or Path.cwd()

    def shown(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(here.resolve()))
        except ValueError:
            return str(p)

    gaps = "; ".join(f"{g['name']} (level {g['level'] if g['level'] is not None else '-'} -> {g['target']}, "
                     f"{g['priority']})" for g in o.top_gaps)
    rules = sorted({f.rule for f in o.findings})
    out = [*o.lines, "",
           f"Headline: mean score {h['score']} of 5, median capability level {h['median_level']}, "
           f"{h['below_target']} of {h['scored']} subjects below target.",
           f"Top gaps: {gaps}.",
           f"Roadmap: {o.initiatives} initiatives in {o.waves} waves.", *(f"  {s}" for s in o.story),
           f"Operating model: {len(o.findings)} finding(s) ({', '.join(rules) or 'none'}).", "",
           "Written:"]
    out += [f"  {audience:<10} {shown(path)}" for audience, path in o.reports.items()]
    if o.notebook:
        out.append(f"  {'notebook':<10} {shown(o.notebook)}")
    return "\n".join(out)


def main() -> None:
    print(summary(run()))


if __name__ == "__main__":
    main()
