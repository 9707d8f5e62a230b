"""`store copy`: an engagement moved from its SQLite file to the team store and back keeps its
whole history, and its scores, roadmap and report inputs come out identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsm_assess.api import Engagement
from dsm_assess.core.errors import DsmError
from dsm_assess.demo import run as demo
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.backend import copy_engagement, open_store

PROJECT = Path(__file__).resolve().parent.parent
SLUGS = (demo.EARLIER, demo.SLUG)  # the demo's trend reads the earlier assessment too


def _demo_root(dest: Path) -> Path:
    root = dest / "engagements"
    for slug in SLUGS:
        shutil.copytree(PROJECT / "engagements" / slug, root / slug,
                        ignore=shutil.ignore_patterns("responses.sqlite*", "inbox", "outbox"))
    return root


def _report_inputs(root: Path, fw) -> dict:
    """What the report is made from, as plain comparable values."""
    inputs = Engagement(demo.SLUG, root, framework=fw).gather()
    scores = inputs.scores
    plan = inputs.plan
    return {
        **{name: getattr(scores, name).to_csv() for name in scores.TABLES},
        "headline": scores.headline,
        "evidence": inputs.evidence.to_csv(),
        "trend": inputs.trend.to_csv(),
        "planned": [(p.id, p.wave, p.end_wave, p.start, p.end, p.loads, p.reason) for p in plan.planned],
        "projection": plan.projection.to_csv(),
        "open_gaps": [repr(g) for g in plan.open_gaps],
        "findings": [repr(f).replace(str(root), "<root>") for f in inputs.findings],
    }


def _history(root: Path, slug: str) -> dict:
    """Every row of every table, without the ids a store assigns."""
    with open_store(engagement_dir(slug, root), slug) as store:
        return {table: [{k: v for k, v in row.items() if k not in ("id", "import_id")} for row in rows]
                for table, rows in store.history_rows()}


def test_an_engagement_copied_to_the_team_store_and_back_scores_plans_and_reports_the_same(
        pg_store, tmp_path, fw, cli, monkeypatch):
    root = _demo_root(tmp_path / "lite")
    monkeypatch.setenv("DSM_ASSESS_STORE", "sqlite")
    for slug in SLUGS:
        demo.prepare(fw, slug, root)
    before = _report_inputs(root, fw)
    history = {slug: _history(root, slug) for slug in SLUGS}

    for slug in SLUGS:
        result = cli("store", "copy", slug, "--from", "sqlite", "--to", pg_store, "--root", root)
        assert result.exit_code == 0, result.stderr
    assert f"{len(history[demo.SLUG]['answers'])} answers" in result.stdout

    monkeypatch.setenv("DSM_ASSESS_STORE", pg_store)
    assert {slug: _history(root, slug) for slug in SLUGS} == history
    assert _report_inputs(root, fw) == before

    back = _demo_root(tmp_path / "back")  # the same folders without their store files
    for slug in SLUGS:
        copy_engagement(engagement_dir(slug, back), slug, pg_store, "sqlite")
    monkeypatch.setenv("DSM_ASSESS_STORE", "sqlite")
    assert {slug: _history(back, slug) for slug in SLUGS} == history
    assert _report_inputs(back, fw) == before
    with open_store(engagement_dir(demo.SLUG, back), demo.SLUG) as store:  # answers still name their import
        assert store.history()["import_id"].notna().sum() == len(
            [a for a in history[demo.SLUG]["answers"] if a["source"] == "workbook"])


def test_a_copy_never_merges_into_a_store_that_holds_the_engagement(pg_store, tmp_path, fw):
    root = _demo_root(tmp_path)
    for slug in SLUGS:
        demo.prepare(fw, slug, root)  # into the team store ($DSM_ASSESS_STORE)
    folder = engagement_dir(demo.SLUG, root)
    with open_store(folder, demo.SLUG) as store:
        held = store.count("answers")
    from dsm_assess.store.sqlite import open_store as open_sqlite
    with open_sqlite(folder, demo.SLUG, create=True) as store:
        store.record_answers([], bank_version="x", source="t")
    with pytest.raises(DsmError, match="already holds rows of engagement 'demo'.*nothing was copied"):
        copy_engagement(folder, demo.SLUG, "sqlite", pg_store)
    with open_store(folder, demo.SLUG) as store:
        assert store.count("answers") == held
