"""Several returned files of one respondent in one run (H6): stored in the order they were saved,
whatever their names; the later supersedes the earlier and says so; when the order cannot be told
and the files disagree, neither is stored."""

from __future__ import annotations

import os
import re
import shutil
import zipfile

from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .hostile import Corpus


def _saved(path, when: str, file_time: float):
    """Give a workbook the save time its properties claim, and the file's own time."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + when.encode(),
                                        parts["docProps/core.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    os.utime(path, (file_time, file_time))


def _returned(ctx: Corpus, root):
    assert ctx.eng  # engagement `acme`, made here
    folder = engagement_dir("acme", root) / "returned"
    folder.mkdir(exist_ok=True)
    original = ctx.fill({("PR.INC", "E4"): "N"}, "original.xlsx")
    corrected = ctx.fill({("PR.INC", "E4"): "F"}, "corrected.xlsx")
    return folder, original, corrected


def _rating(root, criterion):
    with open_store(engagement_dir("acme", root), "acme") as store:
        current = store.current_answers()
    return dict(zip(current["criterion_id"], current["rating"], strict=True)).get(criterion)


def test_the_copy_saved_last_wins_whatever_its_name(cli, fw, root, tmp_path):
    ctx = Corpus(fw, root, tmp_path / "files")
    folder, original, corrected = _returned(ctx, root)
    cid = ctx.eng.criteria_for(fw, ctx.eng.respondent("sam@acme.example.com"))[0]
    _saved(original, "2026-03-02T09:00:00Z", 1_772_442_000)
    _saved(corrected, "2026-03-02T17:30:00Z", 1_772_442_000)  # copied at the same time: the save time decides
    shutil.copy2(original, folder / "answers.xlsx")
    shutil.copy2(corrected, folder / "answers (2).xlsx")  # sorts first by name
    result = cli("questionnaire", "import", "acme", "--root", root)
    assert result.exit_code == 0, result.output
    assert _rating(root, cid) == "F"
    assert "answers (2).xlsx" in result.stdout and "supersedes answers.xlsx" in result.stdout


def test_two_copies_whose_order_cannot_be_told_are_both_refused(cli, fw, root, tmp_path):
    ctx = Corpus(fw, root, tmp_path / "files")
    folder, original, corrected = _returned(ctx, root)
    for path in (original, corrected):
        _saved(path, "2026-03-02T09:00:00Z", 1_772_442_000)
    shutil.copy2(original, folder / "answers.xlsx")
    shutil.copy2(corrected, folder / "answers-corrected.xlsx")
    with open_store(engagement_dir("acme", root), "acme") as store:
        before = store.state(), store.count("imports")
    result = cli("questionnaire", "import", "acme", "--root", root)
    assert result.exit_code == 3, result.output
    assert "answers.xlsx from the same respondent holds different answers" in result.stderr
    assert "answers-corrected.xlsx from the same respondent holds different answers" in result.stderr
    with open_store(engagement_dir("acme", root), "acme") as store:
        assert (store.state(), store.count("imports")) == before
    assert not any((engagement_dir("acme", root) / "inbox").glob("*answers*"))


def test_a_second_import_counts_earlier_files_and_a_correction_says_what_changed(cli, fw, root, tmp_path):
    ctx = Corpus(fw, root, tmp_path / "files")
    folder, original, _ = _returned(ctx, root)
    first = ctx.fill({("PR.INC", "E4"): "N", ("PR.INC", "E5"): "P"}, "first.xlsx")
    shutil.copy2(first, folder / "answers.xlsx")
    assert cli("questionnaire", "import", "acme", "--root", root).exit_code == 0
    again = cli("questionnaire", "import", "acme", "--root", root)
    assert "1 file(s) in" in again.stdout and "already imported; nothing changed" in again.stdout
    assert "already imported on" not in again.stdout
    fixed = ctx.fill({("PR.INC", "E4"): "F", ("PR.INC", "E5"): "P"}, "fixed.xlsx")
    shutil.copy2(fixed, folder / "answers-fixed.xlsx")
    result = cli("questionnaire", "import", "acme", "--root", root)
    assert "answers-fixed.xlsx: stored 2 answers from sam@acme.example.com; 1 new or changed" in result.stdout


def test_a_prefilled_export_keeps_the_original_outbox_copy(fw, root, tmp_path):
    from dsm_assess.store.answers import Answer

    ctx = Corpus(fw, root, tmp_path / "files")
    original = ctx.export(out="outbox")
    cid = ctx.eng.criteria_for(fw, ctx.eng.respondent("sam@acme.example.com"))[0]
    prefilled = ctx.export(out="outbox", prefill={cid: Answer("sam@acme.example.com", cid, "L")})
    assert original.name == "acme-sam-desk.xlsx" and prefilled.name == "acme-sam-desk-prefilled.xlsx"
    assert original.is_file() and prefilled.is_file()
