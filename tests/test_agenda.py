"""`workshop agenda`: what the workshop must settle, ordered by what it changes, cut off in time."""

from __future__ import annotations

import json

from docx import Document

from dsm_assess.capture.intake import store_answers
from dsm_assess.deliver.agenda import DECIDES, DISAGREEMENT, DISPUTED_NA, UNKNOWN, build_agenda
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import open_store

from .test_followup import PAT, SAM, scr  # noqa: F401  (the fixture)


def answer(fw, root, answers):
    with open_store(engagement_dir("scr", root), "scr") as st:
        store_answers(st, fw, answers, source="test")


def settle_scene(cli, fw, root):
    """PR.SDK (high priority): Pat and Sam disagree at level 2; PR.INC: a disputed N/A; PR.CHG:
    level 2 unknown (Pat does not know)."""
    assert cli("business-context", "set", "scr", "CAP.OPERATE=5", "CAP.INVEST=3", "CAP.COCREATE=4", "CAP.DEVELOP=2",
               "CAP.COMPLY=3", "--root", root).exit_code == 0
    answer(fw, root, [
        Answer(PAT, "PR.SDK.L2.07", "N", comment="Phone calls are never logged"),
        Answer(SAM, "PR.SDK.L2.07", "L"),
        Answer(PAT, "PR.SDK.L3.01", "N"), Answer(SAM, "PR.SDK.L3.01", "N"),
        Answer(PAT, "PR.INC.L2.01", "NA", na_reason="Incidents are the supplier's"),
        Answer(SAM, "PR.INC.L2.01", "F"), Answer(PAT, "PR.INC.L3.01", "F"), Answer(SAM, "PR.INC.L3.01", "F"),
        Answer(PAT, "PR.CHG.L2.04", "DK"), Answer(PAT, "PR.CHG.L3.01", "P"),
    ])


def test_agenda_items_their_kinds_order_answers_and_time(cli, fw, root, scr):  # noqa: F811
    settle_scene(cli, fw, root)
    a = load_assessment("scr", root, fw=fw)
    assert a.scores.subjects.set_index("id").loc["PR.SDK", "priority"] == "High"
    with open_store(engagement_dir("scr", root), "scr") as st:
        agenda = build_agenda(a, st.current_answers(), 90)
    by = {i.criterion: i for i in agenda.items}
    sdk = by["PR.SDK.L2.07"]
    assert sdk.kinds == [DISAGREEMENT, DECIDES] and sdk.minutes == 6
    # weight 3 (High) x (1 level at stake: level 2 on a subject at level 1, + spread 2 of 4 steps)
    assert sdk.impact == 3 * (1 + 2 / 4)
    assert {"respondent": "Pat Ops", "rating": "N", "comment": "Phone calls are never logged"} in sdk.answers
    assert DISPUTED_NA in by["PR.INC.L2.01"].kinds
    assert by["PR.INC.L2.01"].answers[0]["comment"] == "Incidents are the supplier's"
    assert UNKNOWN in by["PR.CHG.L2.04"].kinds
    assert agenda.items[0].criterion == "PR.SDK.L2.07"  # the most consequential first
    assert [i.impact for i in agenda.items] == sorted((i.impact for i in agenda.items), reverse=True)
    starts = [i.starts_at for i in agenda.items]
    assert starts[0] == 0 and all(b - a == i.minutes for a, b, i in zip(starts, starts[1:], agenda.items,
                                                                        strict=False))


def test_cut_off_where_the_minutes_run_out(cli, fw, root, scr):  # noqa: F811
    settle_scene(cli, fw, root)
    data = json.loads(cli("workshop", "agenda", "scr", "--minutes", "10", "--format", "json", "--root", root).stdout)
    used = 0
    for item in data["items"]:
        used += item["minutes"]
        assert item["within"] == (used <= 10)
    assert data["items_within"] == sum(i["within"] for i in data["items"]) >= 1
    text = cli("workshop", "agenda", "scr", "--minutes", "10", "--format", "md", "--root", root).stdout
    assert "---- cut-off: 10 minutes used" in text and text.index("PR.SDK.L2.07") < text.index("cut-off")


def test_agenda_as_a_word_document(cli, fw, root, scr, tmp_path):  # noqa: F811
    settle_scene(cli, fw, root)
    result = cli("workshop", "agenda", "scr", "--format", "docx", "--out-dir", tmp_path, "--root", root)
    assert result.exit_code == 0, result.output
    doc = Document(result.stdout.strip())
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "Workshop agenda: Screen Ltd" in doc.paragraphs[0].text
    assert any("PR.SDK.L2.07" in c for c in cells) and any("Phone calls are never logged" in c for c in cells)


def test_an_unknown_format_is_one_clear_line(cli, root, scr):  # noqa: F811
    result = cli("workshop", "agenda", "scr", "--format", "pdf", "--root", root)
    assert result.exit_code == 1 and "--format: 'pdf' is not one of docx, md, json" in result.stderr
