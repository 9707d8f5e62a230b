"""Where things are found, whatever folder a command or notebook runs in."""

from __future__ import annotations

from pathlib import Path

from dsm_assess.core.paths import engagements_root, project_dir, reports_dir

PROJECT = Path(__file__).resolve().parent.parent


def test_the_project_is_found_from_any_folder_inside_it(monkeypatch):
    monkeypatch.delenv("DSM_ASSESS_ROOT", raising=False)
    monkeypatch.chdir(PROJECT / "notebooks")  # where a JupyterLab kernel runs
    assert project_dir() == PROJECT
    assert engagements_root() == PROJECT / "engagements"
    assert reports_dir("acme") == PROJECT / "reports" / "acme"


def test_root_option_then_environment_then_project(monkeypatch, tmp_path):
    monkeypatch.setenv("DSM_ASSESS_ROOT", str(tmp_path / "env"))
    assert engagements_root(tmp_path / "given") == tmp_path / "given"
    assert engagements_root() == tmp_path / "env"


def test_outside_the_project_the_installed_kit_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("DSM_ASSESS_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_dir() == PROJECT  # the package's own checkout
