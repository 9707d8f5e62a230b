"""Reading a million stored answers and scoring every view, from both stores, column-wise
against today's row reader, in the same run.

The answers of `bench_scoring.py` (204 engagements x 10 respondents x every criterion of the
bank, about 1,000,000) are stored twice: one SQLite file per engagement, as the embedded default
keeps them, and every engagement in one PostgreSQL team store (a throwaway local cluster, as
the tests start one, unless --store names a server). For each store, best of --repeat:

- rows: `scoring_rows()` of every engagement (one Python tuple per answer), `scoring_frame`;
- columns: `scoring_table()` of every engagement (each column as one text, split by Arrow),
  `scoring_table_frame`;

both through `open_stores` (one SQLite file after another; one connection for the team
store), each followed by `score_many` in every view. All four give identical scores (checked).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_scoring import engagements, fill_stores  # noqa: I001 (benchmarks/ is on the path when run as a script)
from timing import best_of  # noqa: I001

from dsm_assess.framework.model import load_framework
from dsm_assess.scoring.rules import score_many
from dsm_assess.store.backend import open_store, open_stores
from dsm_assess.store.base import COLUMNS, scoring_frame, scoring_table_frame
from dsm_assess.store.postgres import PostgresStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.pgcluster import start_cluster  # noqa: E402


def fill_team_store(url: str, engs, folder: Path) -> None:
    """Every engagement's answers, as stored in its SQLite file, into the team store (COPY)."""
    cols = [c for c in COLUMNS["answers"] if c not in ("id", "import_id")]
    for eng in engs:
        with open_store(folder / eng.slug, eng.slug, url="sqlite") as lite:
            rows = [{**r, "confidence": None if pd.isna(r["confidence"]) else int(r["confidence"])}
                    for r in lite.history()[cols].astype(object).where(lambda d: d.notna(), None)
                    .to_dict("records")]
        with PostgresStore(url, eng.slug, create=True) as team, team.db.cursor() as cur, \
                cur.copy(f"COPY answers ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in cols])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=204)
    ap.add_argument("--respondents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--store", help="a team store to fill and read (default: a throwaway local cluster)")
    args = ap.parse_args()
    fw = load_framework()
    engs = engagements(fw, args.engagements, args.seed)
    slugs = [e.slug for e in engs]
    consensus = pd.DataFrame({"engagement": [], "criterion_id": [], "rating": []})
    cluster = None if args.store else start_cluster()
    url = args.store or cluster.url()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            t = time.perf_counter()
            fill_stores(fw, engs, args.respondents, args.seed, folder)
            fill_team_store(url, engs, folder)
            print(f"generate + store in both: {time.perf_counter() - t:.1f} s")
            results, scores = {}, {}
            for store in ("sqlite", url):
                name = "SQLite" if store == "sqlite" else "PostgreSQL"

                def read_rows(store=store):
                    rows, sizes = [], []
                    for st in open_stores([(folder / e.slug, e.slug) for e in engs], url=store):
                        got = st.scoring_rows()
                        rows += got
                        sizes.append(len(got))
                    return scoring_frame(rows, sizes, slugs)

                def read_columns(store=store):
                    tables = [st.scoring_table() for st in open_stores([(folder / e.slug, e.slug) for e in engs],
                                                                       url=store)]
                    return scoring_table_frame(tables, slugs)

                for how, read in (("rows (today)", read_rows), ("columns", read_columns)):
                    read_time, answers = best_of(args.repeat, read)
                    score_time, got = best_of(args.repeat, lambda answers=answers: score_many(fw, engs, answers,
                                                                                              consensus))
                    results[name, how] = (read_time, score_time, len(answers))
                    scores[name, how] = got
        first = next(iter(scores.values()))
        for got in scores.values():
            for table in first.TABLES:
                pd.testing.assert_frame_equal(getattr(got, table), getattr(first, table))
    finally:
        if cluster:
            cluster.stop()
    total = args.engagements * args.respondents * len(fw.criteria)
    print(f"answers: {total:,} ({args.engagements} engagements x {args.respondents} respondents x "
          f"{len(fw.criteria)} criteria)")
    for (name, how), (read_time, score_time, _) in results.items():
        print(f"{name:<10} {how:<13} read {read_time * 1000:6.0f} ms + every view {score_time * 1000:4.0f} ms"
              f" = {(read_time + score_time) * 1000:6.0f} ms")
    print("results identical: every view of every engagement, from both stores, both readers")


if __name__ == "__main__":
    main()
