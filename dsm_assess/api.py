"""The front door: `dsm.open(slug)` gives the handle that notebooks, the CLI, batch and the demo use.

    import dsm_assess as dsm
    e = dsm.open("acme")
    a = e.assess()                    # scored; e.assess(what_if="plan.yaml") for a scenario
    plan = e.plan(a, waves=6)         # the roadmap; keyword arguments override planning:
    e.tom_check(a)                    # the operating model's findings
    e.report("executive")             # reports/acme/acme-executive.docx

The handle owns the engagement's folder and parses engagement.yaml once; each verb is the one
place its behaviour lives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsm_assess.capture.status import progress, status_summary
from dsm_assess.core.errors import DsmError
from dsm_assess.core.frames import pd
from dsm_assess.core.paths import engagements_root
from dsm_assess.core.present import frame_html, html_escape
from dsm_assess.engagement.spec import EngagementSpec, engagement_dir, read_engagement
from dsm_assess.formats.yamlfile import YamlDoc
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.planning.plan import Roadmap, parameters, plan_roadmap, read_settings
from dsm_assess.planning.tom import Finding, check, load_tom, targets_of
from dsm_assess.scoring.assessment import Assessment, load_assessment, trend
from dsm_assess.scoring.whatif import WhatIf
from dsm_assess.store.backend import open_store

if TYPE_CHECKING:  # the report's modules (matplotlib, python-docx) load only when a report is made
    from dsm_assess.deliver.report import Inputs


def open(slug: str, root: str | Path | None = None, questionnaires: str | Path | None = None,  # noqa: A001
         framework: Framework | None = None) -> Engagement:
    """The engagement `slug` under `root` (resolved as the CLI resolves --root: $DSM_ASSESS_ROOT,
    else the project's engagements/), on the framework in `questionnaires` (default: the kit's).
    Raises the kit's errors: `NotFound` for an unknown slug, `InvalidInput` naming file, line and
    field for an invalid engagement.yaml."""
    return Engagement(slug, root, questionnaires, framework)


@dataclass
class Status:
    """How far each respondent has got (`table`: one row per respondent and subject)."""

    client: str
    table: pd.DataFrame

    def json(self) -> dict:
        return status_summary(self.table)

    def __repr__(self) -> str:
        t = self.table
        done = int(t["expected"].sum() - t["outstanding"].sum()) if len(t) else 0
        return (f"Status of {self.client}: {t['email'].nunique() if len(t) else 0} respondent(s), "
                f"{done} of {int(t['expected'].sum()) if len(t) else 0} statements answered")

    def _repr_html_(self) -> str:
        per = self.table.groupby("name", sort=False)[["expected", "answered", "na", "dk", "outstanding"]].sum()
        return f"<p>{html_escape(repr(self))}</p>" + frame_html(per.rename(columns={"na": "N/A", "dk": "don't know"}))


class Engagement:
    """One engagement: its folder, its engagement.yaml (parsed once) and the verbs of the pipeline."""

    def __init__(self, slug: str, root: str | Path | None = None, questionnaires: str | Path | None = None,
                 framework: Framework | None = None):
        self.root = engagements_root(root)
        self.framework = framework or load_framework(Path(questionnaires) if questionnaires else None)
        self.spec, self._doc = read_engagement(slug, self.root, self.framework)
        self.slug = self.spec.slug
        self.folder = engagement_dir(self.slug, self.root)

    @property
    def document(self) -> YamlDoc:
        """engagement.yaml as parsed when the handle was made (for sections and their lines)."""
        return self._doc

    # -- capture --
    def store(self):
        """The engagement's response store (a context manager)."""
        return open_store(self.folder, self.slug)

    def status(self) -> Status:
        """Answered, outstanding, N/A and don't know per respondent and subject."""
        with self.store() as st:
            return Status(self.spec.client, progress(self.framework, self.spec, st.current_answers()))

    def import_files(self, paths: list[str | Path] | None = None, kind: str = "workbook", *,
                     progress: bool = False) -> list:
        """Import returned files (default: every file in the engagement's returned/ folder, in
        name order); one transaction per file. Returns each file's `ImportOutcome`."""
        from dsm_assess.capture.intake import import_files, returned_files
        paths = returned_files(self.folder, kind) if paths is None else paths
        with self.store() as st:
            return list(import_files(paths, self.framework, self.spec, st, kind, self.root, progress=progress))

    # -- scoring, planning, design --
    def assess(self, what_if: str | Path | WhatIf | None = None) -> Assessment:
        """The engagement scored; a what-if (a file or a loaded `WhatIf`) applies in memory only."""
        return load_assessment(self.slug, self.root, what_if=what_if, fw=self.framework, spec=self.spec)

    def plan(self, assessment: Assessment | None = None, *, start: dt.date | str | None = None,
             waves: int | None = None, capacity: float | None = None, wave_weeks: int | None = None,
             method: str = "solver") -> Roadmap:
        """The roadmap of `assessment` (default: `assess()`); keyword arguments override the
        engagement's planning: section for this plan only; `method` "greedy" plans without the
        solver."""
        a = assessment or self.assess()
        if isinstance(start, str):
            try:
                start = dt.date.fromisoformat(start)
            except ValueError:
                raise DsmError(f"start: {start!r} is not a date; use the form YYYY-MM-DD") from None
        params = parameters(read_settings(self._doc, self.framework), a.engagement, start=start, waves=waves,
                            capacity=capacity, wave_weeks=wave_weeks)
        return plan_roadmap(a, params, method=method)

    def tom_check(self, assessment: Assessment | None = None) -> list[Finding]:
        """The operating model's findings (an engagement without a tom: section is checked as an
        empty design)."""
        a = assessment or self.assess()
        tom, doc = load_tom(self.framework, a.engagement, self.root, doc=self._doc)
        return check(self.framework, tom, doc, targets_of(a.scores.subjects))

    # -- delivery --
    def gather(self, what_if: str | Path | WhatIf | None = None, *, assessment: Assessment | None = None,
               plan: Roadmap | None = None, **plan_overrides) -> Inputs:
        """Everything the report is made from: scores, evidence, roadmap, trend, operating model
        (from `assessment` and `plan` where given, so a notebook reports what it shows)."""
        from dsm_assess.deliver.report import Inputs

        a = assessment or self.assess(what_if)
        with self.store() as st:
            evidence = st.current_answers()
        scenario = Path(what_if).stem if isinstance(what_if, (str, Path)) and a.what_if is not None else None
        inputs = Inputs(self.framework, a, evidence, plan=plan or self.plan(a, **plan_overrides), scenario=scenario)
        if a.engagement.previous:  # the same client's earlier assessment, named by the consultant
            earlier = load_assessment(a.engagement.previous, self.root, fw=self.framework)
            if earlier.engagement.client != a.engagement.client:
                raise DsmError(f"previous: {a.engagement.previous!r} is an assessment of "
                               f"{earlier.engagement.client!r}, not {a.engagement.client!r}; a trend compares "
                               "one client with itself")
            inputs.trend = trend(earlier, a)
            inputs.trend.attrs["previous_date"] = earlier.engagement.assessment_date
        if self.spec.tom:
            tom, doc = load_tom(self.framework, a.engagement, self.root, doc=self._doc)
            inputs.tom, inputs.findings = tom, check(self.framework, tom, doc, targets_of(a.scores.subjects))
        return inputs

    def report(self, audience: str = "full", out_dir: str | Path | None = None, template: str | Path | None = None,
               *, inputs: Inputs | None = None, what_if: str | Path | WhatIf | None = None,
               assessment: Assessment | None = None, plan: Roadmap | None = None, draft: bool = False,
               **plan_overrides) -> Path:
        """Write the report for `audience` (full, executive or backlog) into `out_dir` (default
        reports/SLUG/); returns its path. Pass `inputs` from `gather()` to write several audiences
        from one scoring, or the `assessment` and `plan` a notebook has shown. Refused when there
        are no answers unless `draft` (then marked "Draft" on every page)."""
        from dsm_assess.deliver.report import write_report

        inputs = inputs or self.gather(what_if, assessment=assessment, plan=plan, **plan_overrides)
        return write_report(inputs, audience, template=template, out_dir=out_dir, draft=draft)

    def readiness(self, inputs: Inputs | None = None) -> list:
        """What stands between the engagement and a report a client may read (warnings)."""
        return (inputs or self.gather()).readiness()

    # -- display --
    def __repr__(self) -> str:
        s = self.spec
        return (f"Engagement {s.slug!r}: {s.client}, assessed {s.assessment_date:%Y-%m-%d}, profile {s.profile}, "
                f"{len(s.scope)} subjects in scope, {len(s.respondents)} respondent(s)")

    def _repr_html_(self) -> str:
        return f"<p>{html_escape(repr(self))}</p>"


__all__ = ["Engagement", "EngagementSpec", "Status", "open"]
