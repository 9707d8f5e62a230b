"""How far each respondent has got: answered, outstanding, N/A and don't know, per subject."""

from __future__ import annotations

from dsm_assess.core.frames import pd
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework

COUNTS = ["expected", "answered", "na", "dk", "outstanding"]


def progress(fw: Framework, eng: EngagementSpec, current: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent and subject. `answered` counts N/P/L/F ratings only."""
    subject_of = {c.id: c.subject for c in fw.criteria}
    rating = {(r.respondent, r.criterion_id): r.rating for r in current.itertuples()} if len(current) else {}
    rows = []
    for resp in eng.respondents:
        counts: dict[str, dict[str, int]] = {}
        for cid in eng.criteria_for(fw, resp):
            c = counts.setdefault(subject_of[cid], dict.fromkeys(COUNTS, 0))
            c["expected"] += 1
            got = rating.get((resp.email, cid))
            key = {"NA": "na", "DK": "dk", None: "outstanding"}.get(got, "answered")
            c[key] += 1
        rows += [{"email": resp.email, "name": resp.name, "subject": s, **c} for s, c in counts.items()]
    return pd.DataFrame(rows, columns=["email", "name", "subject", *COUNTS])


def status_summary(table: pd.DataFrame) -> dict:
    """The `status --json` shape: per respondent totals, with per-subject detail."""
    out = []
    for (email, name), g in table.groupby(["email", "name"], sort=False):
        totals = {k: int(g[k].sum()) for k in COUNTS}
        subjects = [{"id": r.subject, **{k: int(getattr(r, k)) for k in COUNTS}} for r in g.itertuples()]
        out.append({"email": email, "name": name, **totals, "subjects": subjects})
    return {"respondents": out}


def progress_line(counts: dict, width: int) -> str:
    """A bar and the counts, e.g. `|████▌   | 12/20 answered 10, N/A 1, don't know 1, outstanding 8`."""
    from tqdm import tqdm

    done = counts["expected"] - counts["outstanding"]
    bar = tqdm.format_meter(done, counts["expected"], 0, ncols=width, bar_format="|{bar}|", ascii=" ▏▎▍▌▋▊▉█")
    return (f"{bar} {done:>4}/{counts['expected']:<4} answered {counts['answered']}, N/A {counts['na']}, "
            f"don't know {counts['dk']}, outstanding {counts['outstanding']}")
