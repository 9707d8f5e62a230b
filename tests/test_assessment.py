"""One engagement loaded and scored, as notebooks and the demo use it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from dsm_assess.demo.generate import sample_assessment


def test_sample_assessment_leaves_no_temporary_folder():
    before = set(Path(tempfile.gettempdir()).glob("dsm-sample-*"))
    a = sample_assessment(seed=3, respondents=3)
    assert a.scores.headline["subjects"] == 41 and len(a.answers) > 0
    assert set(Path(tempfile.gettempdir()).glob("dsm-sample-*")) == before
