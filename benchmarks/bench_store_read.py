"""Reading a million stored answers and scoring every view, from both stores, with the packed
reader against the readers before it, in the same run.

The answers of `bench_scoring.py` (204 engagements x 10 respondents x every criterion of the
bank, about 1,100,000) are stored twice: one SQLite file per engagement, as the embedded default
keeps them, and every engagement in one PostgreSQL team store (a throwaway local cluster, as
the tests start one, unless --store names a server). For each store, three readers:

- rows: `scoring_rows()` of every engagement (one Python tuple per answer), `scoring_frame`;
- columns (before): the database joins each column into one text, Arrow splits them
  (`previous_reader.py`, the reader the kit had before answers carried keys and codes);
- packed (now): `scoring_codes()` of every engagement (one 64-bit integer per answer, NumPy
  splits them), `codes_frame`;

all through `open_stores` (one SQLite file after another; one connection for the team store),
each followed by `score_many` in every view. The team store is vacuumed after filling, as
autovacuum would be after such a load (`--no-vacuum` reads it before). The readers take turns within each of --repeat
rounds, so that the machine's other work slows them alike; each line gives the best round (its
read and its scoring) and the range of read + score over all rounds. All give identical scores (checked).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from bench_scoring import engagements, fill_stores  # noqa: I001 (benchmarks/ is on the path when run as a script)
from previous_reader import previous_frame, previous_table  # noqa: I001

from dsm_assess.framework.model import load_framework
from dsm_assess.scoring.rules import score_many
from dsm_assess.store.backend import open_stores
from dsm_assess.store.base import scoring_frame
from dsm_assess.store.codes import codes_frame
from dsm_assess.store.postgres import PostgresStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.pgcluster import start_cluster  # noqa: E402

# reader: (what each store gives, how the parts become scoring's frame)
READERS = {
    "rows": (lambda st: st.scoring_rows(),
             lambda parts, slugs: scoring_frame([r for p in parts for r in p], [len(p) for p in parts], slugs)),
    "columns (before)": (previous_table, previous_frame),
    "packed (now)": (lambda st: st.scoring_codes(), codes_frame),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=204)
    ap.add_argument("--respondents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5, help="rounds; every reader runs once in each")
    ap.add_argument("--store", help="a team store to fill and read (default: a throwaway local cluster)")
    ap.add_argument("--no-vacuum", action="store_true", help="read the team store before vacuum has visited it")
    args = ap.parse_args()
    fw = load_framework()
    engs = engagements(fw, args.engagements, args.seed)
    slugs = [e.slug for e in engs]
    consensus = pd.DataFrame({"engagement": [], "criterion_id": [], "rating": []})
    cluster = None if args.store else start_cluster()
    url = args.store or cluster.url()
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    scores = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            t = time.perf_counter()
            fill_stores(fw, engs, args.respondents, args.seed, folder)
            fill_stores(fw, engs, args.respondents, args.seed, folder,
                        open_one=lambda _, slug: PostgresStore(url, slug, create=True))
            print(f"generate + store in both: {time.perf_counter() - t:.1f} s")
            if not args.no_vacuum:  # as autovacuum does after a bulk load: index-only scans skip the table
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM (ANALYZE) answers")
            for _ in range(args.repeat):
                for store in ("sqlite", url):
                    name = "SQLite" if store == "sqlite" else "PostgreSQL"
                    for how, (each, combine) in READERS.items():
                        t = time.perf_counter()
                        parts = [each(st) for st in open_stores([(folder / e.slug, e.slug) for e in engs], url=store)]
                        answers = combine(parts, slugs)
                        read = time.perf_counter() - t
                        t = time.perf_counter()
                        scores[name, how] = score_many(fw, engs, answers, consensus)
                        times.setdefault((name, how), []).append((read, time.perf_counter() - t))
        first = next(iter(scores.values()))
        for got in scores.values():
            for table in first.TABLES:
                pd.testing.assert_frame_equal(getattr(got, table), getattr(first, table))
    finally:
        if cluster:
            cluster.stop()
    total = args.engagements * args.respondents * len(fw.criteria)
    print(f"answers: {total:,} ({args.engagements} engagements x {args.respondents} respondents x "
          f"{len(fw.criteria)} criteria), best of {args.repeat} rounds (range)")
    for (name, how), runs in times.items():
        read, views = np.array(runs).T * 1000
        both = read + views
        best = both.argmin()
        print(f"{name:<10} {how:<16} read {read[best]:5.0f} ms + every view {views[best]:4.0f} ms = "
              f"{both[best]:5.0f} ms  (rounds: {both.min():.0f}-{both.max():.0f})")
    print("results identical: every view of every engagement, from both stores, every reader")


if __name__ == "__main__":
    main()
