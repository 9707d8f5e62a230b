"""The hostile corpus: returned files a careless client, a broken tool or an attacker might send.

Every file is built afresh into a folder by the functions below (nothing binary is committed);
tests/test_hostile.py imports each one and benchmarks/bench_import.py times each one and
measures its memory. A case says what must happen to its file (`rejected` with a located
message, `stored`, or `empty`: nothing to store).

    ctx = Corpus(fw, root, folder)   # engagement `acme` with Sam and Pat, and a store
    path = CASES["typed cell at row 1,048,576"].build(ctx)
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import openpyxl

from dsm_assess.capture.intake import export_questionnaire
from dsm_assess.capture.workbook import META, ids_checksum
from dsm_assess.engagement.edit import add_respondent, new_engagement
from dsm_assess.engagement.spec import EngagementSpec, engagement_dir, load_engagement
from dsm_assess.formats.xlsxread import XlsxReader
from dsm_assess.framework.model import Framework
from dsm_assess.store.sqlite import init_store, open_store

SAM = "sam@acme.example.com"
PAT = "pat@acme.example.com"
EVE = "eve@acme.example.com"
CSV_HEADER = "respondent,criterion_id,rating,na_reason,confidence,evidence,comment\n"


def make_engagement(fw: Framework, root: Path, slug: str = "acme") -> EngagementSpec:
    """Engagement `slug` (quick scan) with its store: Sam answers three subjects, Pat all of them."""
    new_engagement(fw, slug, "Acme Ltd", "quick-scan", root=root)
    add_respondent(fw, slug, "Sam Desk", SAM, "service desk lead", ["PR.INC", "PR.SDK", "PR.SRM"], root)
    add_respondent(fw, slug, "Pat Ops", PAT, "operations manager", [], root)
    init_store(engagement_dir(slug, root), slug)
    return load_engagement(slug, root, fw)


@dataclass
class Corpus:
    """What the builders work from: the framework, an engagements root holding `acme`, a folder."""

    fw: Framework
    root: Path
    folder: Path

    @cached_property
    def eng(self) -> EngagementSpec:
        exists = (engagement_dir("acme", self.root) / "engagement.yaml").exists()
        return load_engagement("acme", self.root, self.fw) if exists else make_engagement(self.fw, self.root)

    def export(self, email: str = SAM, out: str = "out", prefill=None, eng: EngagementSpec | None = None,
               root: Path | None = None) -> Path:
        """A questionnaire exported and recorded as sent, as `questionnaire export` does."""
        eng, root = eng or self.eng, root or self.root
        with open_store(engagement_dir(eng.slug, root), eng.slug) as store:
            return export_questionnaire(self.fw, eng, eng.respondent(email), self.folder / out, store, prefill)

    @cached_property
    def book(self) -> Path:
        """Sam's questionnaire as sent out."""
        return self.export()

    def fill(self, cells: dict[tuple[str, str], object], name: str = "filled.xlsx", book: Path | None = None) -> Path:
        """Type values into cells as a client would, e.g. {("PR.INC", "E4"): "F - Fully achieved"}."""
        wb = openpyxl.load_workbook(book or self.book)
        for (sheet, ref), value in cells.items():
            wb[sheet][ref] = value
        out = self.folder / name
        wb.save(out)
        return out

    def edit(self, change: Callable, name: str = "bad.xlsx", answered: bool = True) -> Path:
        """Sam's workbook (with one answer) changed with openpyxl, as a careless client might."""
        wb = openpyxl.load_workbook(self.fill({("PR.INC", "E4"): "F"}, "base.xlsx") if answered else self.book)
        change(wb)
        out = self.folder / name
        wb.save(out)
        return out

    def write(self, name: str, data: bytes | str) -> Path:
        out = self.folder / name
        out.write_bytes(data.encode() if isinstance(data, str) else data)
        return out

    def repack(self, change: Callable[[dict[str, bytes]], None], name: str = "bad.xlsx",
               book: Path | None = None) -> Path:
        """Sam's workbook (with one answer) with its zip parts changed directly: `change(parts)`."""
        source = book or self.fill({("PR.INC", "E4"): "F"}, "base.xlsx")
        with zipfile.ZipFile(source) as z:
            parts = {i.filename: z.read(i) for i in z.infolist()}
        change(parts)
        out = self.folder / name
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for part, data in parts.items():
                z.writestr(part, data)
        return out

    def sheet_part(self, sheet: str) -> str:
        with XlsxReader(self.book) as book:
            return book._parts[sheet]


def _meta(change: Callable[[dict], None]):
    """Change the hidden sheet's values and recompute its checksum, as a forger would."""
    def apply(wb):
        ws = wb[META]
        rows = {r[0].value: r for r in ws.iter_rows() if r[0].value != "sheet"}
        values = {k: r[1].value for k, r in rows.items()}
        sheets = {r[1].value: r[2].value.split(",") for r in ws.iter_rows() if r[0].value == "sheet"}
        change(values)
        for key, value in values.items():
            if key in rows:
                rows[key][1].value = value
        if values.get("token") is None and "token" in rows:
            ws.delete_rows(rows["token"][0].row)
        rows = {r[0].value: r for r in ws.iter_rows() if r[0].value != "sheet"}
        rows["checksum"][1].value = ids_checksum(values["engagement"], values["respondent"], values["bank_version"],
                                                 sheets, values.get("token"))
    return apply


def _sam_asks_arc(wb):
    """Sam's PR.INC sheet turned into PR.ARC, a subject Sam was never asked, with a checksum to match."""
    ids = ["PR.ARC.L2.03", "PR.ARC.L3.01", "PR.ARC.L4.06", "PR.ARC.L5.04"]
    ws = wb["PR.INC"]
    ws.title = "PR.ARC"
    for r, cid in enumerate(ids, start=4):
        ws.cell(r, 1).value = cid
        ws.cell(r, 5).value = "F"
    meta = wb[META]
    for row in meta.iter_rows():
        if row[0].value == "sheet" and row[1].value == "PR.INC":
            row[1].value, row[2].value = "PR.ARC", ",".join(ids)
    _meta(lambda values: None)(wb)


def _sheet_rows(xml_rows: Callable[[], str], sheet: str = "PR.INC"):
    """Append raw rows to a sheet's XML, e.g. a million of them."""
    def build(ctx: Corpus) -> Path:
        part = ctx.sheet_part(sheet)

        def change(parts):
            parts[part] = parts[part].replace(b"</sheetData>", xml_rows().encode() + b"</sheetData>")
        return ctx.repack(change)
    return build


def _million_rows() -> str:
    return "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for r in range(100, 1_000_100))


def _empty_rows() -> str:
    return "".join(f'<row r="{r}"/>' for r in range(100, 400_000))


def _entity_bomb(ctx: Corpus) -> Path:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    part = ctx.sheet_part("PR.INC")
    return ctx.repack(lambda parts: parts.__setitem__(part, bomb))


def _utf16_part(ctx: Corpus) -> Path:
    part = ctx.sheet_part("PR.INC")
    return ctx.repack(lambda parts: parts.__setitem__(part, parts[part].decode().encode("utf-16")))


def _vba_named_otherwise(ctx: Corpus) -> Path:
    def change(parts):
        parts["xl/stuff.bin"] = b"\xd0\xcf\x11\xe0" + b"\1" * 600
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/stuff.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                         b"</Types>")
    return ctx.repack(change)


def _vba_by_default_type(ctx: Corpus) -> Path:
    def change(parts):
        parts["xl/media/a.dat"] = b"\1" * 100
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"<Default ", b'<Default Extension="dat" ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)
    return ctx.repack(change)


def _active_part(part: str, content_type: str, body: bytes = b"<x/>"):
    """Sam's workbook with a part of active content added, declared by its content type (D15)."""
    def build(ctx: Corpus) -> Path:
        def change(parts):
            parts[part] = body
            parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
                b"</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'.encode())
        return ctx.repack(change)
    return build


def _active_relationship(ctx: Corpus) -> Path:
    """An OLE object referred to from a sheet, the part named innocently and given no content type."""
    def change(parts):
        parts["xl/worksheets/_rels/sheet9.xml.rels"] = (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Target="../media/x.bin" Type="http://schemas.openxmlformats.'
            b'org/officeDocument/2006/relationships/oleObject"/></Relationships>')
    return ctx.repack(change)


def _vba_relationship(ctx: Corpus) -> Path:
    def change(parts):
        rels = "xl/_rels/workbook.xml.rels"
        parts[rels] = parts[rels].replace(
            b"</Relationships>", b'<Relationship Id="rId99" Target="code.bin" Type="http://schemas.microsoft.com/'
                                 b'office/2006/relationships/vbaProject"/></Relationships>')
    return ctx.repack(change)


def _zip(parts: dict[str, bytes], name: str = "bad.xlsx"):
    def build(ctx: Corpus) -> Path:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in parts.items():
                z.writestr(n, data)
        return ctx.write(name, buf.getvalue())
    return build


def _oversized(ctx: Corpus) -> Path:
    out = ctx.folder / "huge.xlsx"
    with out.open("wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(21 * 1024 * 1024)
    return out


def _truncated(ctx: Corpus) -> Path:
    data = ctx.fill({("PR.INC", "E4"): "F"}).read_bytes()
    return ctx.write("bad.xlsx", data[: len(data) // 2])


def _damaged_part(ctx: Corpus) -> Path:
    """A byte of a sheet changed after the zip was written: its checksum no longer matches."""
    source = ctx.fill({("PR.INC", "E4"): "F"}, "base.xlsx")
    out = ctx.folder / "bad.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
    data = out.read_bytes()
    return ctx.write("bad.xlsx", data.replace(b"PR.INC.L3.01", b"PR.INC.L3.0X", 1))


def _renamed(name: str):
    return lambda ctx: ctx.write(name, ctx.fill({("PR.INC", "E4"): "F"}).read_bytes())


def _other_engagement(ctx: Corpus) -> Path:
    make_engagement(ctx.fw, ctx.root, "other")
    return ctx.export(SAM, "other", eng=load_engagement("other", ctx.root, ctx.fw))


def _stranger(ctx: Corpus) -> Path:
    elsewhere = ctx.folder / "elsewhere"
    new_engagement(ctx.fw, "acme", "Acme Ltd", "quick-scan", root=elsewhere)
    add_respondent(ctx.fw, "acme", "Eve", EVE, "lead", ["PR.INC"], elsewhere)
    init_store(elsewhere / "acme")
    return ctx.export(EVE, "eve", eng=load_engagement("acme", elsewhere, ctx.fw), root=elsewhere)


def _forged_token(ctx: Corpus) -> Path:
    """Sam's workbook, but with a token the store of the engagement in another folder issued."""
    elsewhere = ctx.folder / "elsewhere"
    make_engagement(ctx.fw, elsewhere)
    foreign = ctx.export(SAM, "foreign", eng=load_engagement("acme", elsewhere, ctx.fw), root=elsewhere)
    return ctx.fill({("PR.INC", "E4"): "F"}, "bad.xlsx", book=foreign)


def _csv(rows: Callable[[], str], name: str = "answers.csv", header: str = CSV_HEADER):
    return lambda ctx: ctx.write(name, header + rows())


def _csv_million_bad_rows() -> str:
    return "nobody@acme.example.com,PR.INC.L2.01,F,,,,\n" * 1_000_000


def _csv_oversized(ctx: Corpus) -> Path:
    out = ctx.write("big.csv", CSV_HEADER)
    with out.open("r+b") as f:
        f.truncate(65 * 1024 * 1024)
    return out


@dataclass(frozen=True)
class Case:
    """One hostile file: how to build it, and what must become of it."""

    kind: str       # "workbook" or "csv"
    build: Callable[[Corpus], Path]
    expect: str     # "rejected", "stored" or "empty"
    message: str    # in one of its problems (rejected) or in its summary


def _set(sheet: str, ref: str, value: object) -> Callable[[Corpus], Path]:
    return lambda ctx: ctx.edit(lambda wb: wb[sheet].__setitem__(ref, value))


W, C = "workbook", "csv"
CASES: dict[str, Case] = {
    # who may answer what
    "another engagement": Case(W, _other_engagement, "rejected", "belongs to engagement 'other', not 'acme'"),
    "unknown respondent": Case(W, _stranger, "rejected", f"respondent '{EVE}' is not part of engagement 'acme'"),
    "forged _meta for another respondent": Case(W, lambda ctx: ctx.edit(_meta(lambda v: v.update(respondent=PAT))),
                                                "rejected", f"this questionnaire was sent to {SAM}, not to {PAT}"),
    "forged _meta asking another subject": Case(W, lambda ctx: ctx.edit(_sam_asks_arc), "rejected",
                                                f"{SAM} is not asked PR.ARC.L2.03"),
    "token from another store": Case(W, _forged_token, "rejected", "its token is unknown here"),
    "made-up token": Case(W, lambda ctx: ctx.edit(_meta(lambda v: v.update(token="x" * 32))), "rejected",
                          "its token is unknown here"),
    "no token (old export)": Case(W, lambda ctx: ctx.edit(_meta(lambda v: v.update(token=None))), "rejected",
                                  "carries no issue token"),
    "meta tampered": Case(W, lambda ctx: ctx.edit(lambda wb: [r[1].__setattr__("value", PAT) for r in
                                                              wb[META].iter_rows() if r[0].value == "respondent"]),
                          "rejected", "sheet _meta: the hidden identification sheet was altered"),
    "old bank version": Case(W, lambda ctx: ctx.edit(_meta(lambda v: v.update(bank_version="0.9.0"))), "rejected",
                             "made with question bank 0.9.0"),
    "meta deleted": Case(W, lambda ctx: ctx.edit(lambda wb: wb.remove(wb[META])), "rejected",
                         "hidden sheet '_meta' is missing"),
    "not from this kit": Case(W, lambda ctx: ctx.edit(lambda wb: [wb.remove(wb[n]) for n in wb.sheetnames[1:]]),
                              "rejected", "'_meta' is missing"),
    # edited structure
    "edited id": Case(W, _set("PR.INC", "A5", "PR.INC.L3.09"), "rejected",
                      "sheet PR.INC, cell A5: id 'PR.INC.L3.09' is not one"),
    "blanked id": Case(W, _set("PR.SDK", "A4", None), "rejected", "sheet PR.SDK: criterion PR.SDK.L2.06 is missing"),
    "deleted row": Case(W, lambda ctx: ctx.edit(lambda wb: wb["PR.INC"].delete_rows(5)), "rejected",
                        "sheet PR.INC: criterion PR.INC.L3.01 is missing"),
    "duplicated id": Case(W, _set("PR.INC", "A6", "PR.INC.L2.01"), "rejected",
                          "sheet PR.INC, cell A6: id PR.INC.L2.01 appears twice"),
    "sheet renamed": Case(W, lambda ctx: ctx.edit(lambda wb: setattr(wb["PR.SDK"], "title", "Service desk")),
                          "rejected", "sheet PR.SDK: sheet is missing (renamed or deleted?)"),
    "sheet deleted": Case(W, lambda ctx: ctx.edit(lambda wb: wb.remove(wb["PR.SRM"])), "rejected",
                          "sheet PR.SRM: sheet is missing"),
    "columns moved": Case(W, lambda ctx: ctx.edit(lambda wb: wb["PR.INC"].insert_cols(2)), "rejected",
                          "sheet PR.INC, row 3: the header row was changed"),
    "text right of the answer columns": Case(W, _set("PR.INC", "J5", "see my e-mail"), "rejected",
                                             "sheet PR.INC, cell J5: text right of the Comment column"),
    "note without an id below the table": Case(W, _set("PR.INC", "H9", "one more thing"), "rejected",
                                               "sheet PR.INC, cell A9: the id is missing"),
    # cells
    "unknown rating": Case(W, _set("PR.INC", "E4", "maybe"), "rejected",
                           "sheet PR.INC, cell E4: rating 'maybe' is not one of"),
    "numeric rating": Case(W, _set("PR.SRM", "E5", 3), "rejected", "sheet PR.SRM, cell E5: rating '3' is not one of"),
    "N/A without reason": Case(W, _set("PR.INC", "E4", "NA - Not applicable"), "rejected",
                               "sheet PR.INC, cell F4: PR.INC.L2.01 is rated N/A but has no reason"),
    "confidence word": Case(W, _set("PR.INC", "G4", "high"), "rejected",
                            "sheet PR.INC, cell G4: confidence must be a whole number"),
    "confidence 7": Case(W, _set("PR.INC", "G5", 7), "rejected", "sheet PR.INC, cell G5: confidence must be"),
    "confidence 2.5": Case(W, _set("PR.INC", "G6", 2.5), "rejected", "sheet PR.INC, cell G6: confidence must be"),
    "confidence inf": Case(W, _set("PR.INC", "G4", "inf"), "rejected", "sheet PR.INC, cell G4: confidence must be"),
    "confidence 1e400": Case(W, _set("PR.INC", "G4", "1e400"), "rejected", "cell G4: confidence must be"),
    "confidence nan": Case(W, _set("PR.INC", "G4", "nan"), "rejected", "cell G4: confidence must be"),
    "huge evidence": Case(W, _set("PR.INC", "H4", "x" * 10_001), "rejected",
                          "sheet PR.INC, cell H4: evidence is 10,001 characters; at most 10,000"),
    "vertical tab in evidence": Case(W, _set("PR.INC", "H4", "line one_x000B_line two"), "rejected",
                                     "sheet PR.INC, cell H4: evidence contains U+000B (vertical tab) at character 9"),
    "null in a comment": Case(W, _set("PR.INC", "I4", "a_x0000_b"), "rejected",
                              "cell I4: comment contains U+0000 (null)"),
    "a formula typed as a rating": Case(W, _set("PR.INC", "E5", "=1+1"), "rejected",
                                        "sheet PR.INC, cell E5: rating '=1+1' is not one of"),
    # bounded parsing
    "formatted cell at row 1,048,576": Case(
        W, lambda ctx: ctx.edit(lambda wb: setattr(wb["PR.INC"].cell(1_048_576, 9), "style", "Note")),
        "stored", "stored 1 answers"),
    "typed cell at row 1,048,576": Case(W, _set("PR.INC", "E1048576", "F"), "rejected",
                                        "sheet PR.INC, cell E1048576: a value far below the questions"),
    "typed cell in column XFD": Case(W, _set("PR.INC", "XFD4", "x"), "rejected",
                                     "sheet PR.INC, cell XFD4: text right of the Comment column"),
    "a million rows in a sheet": Case(W, _sheet_rows(_million_rows), "rejected", "unpacks to"),
    "400,000 empty rows": Case(W, _sheet_rows(_empty_rows), "stored", "stored 1 answers"),
    "xml entity bomb": Case(W, _entity_bomb, "rejected", "cannot be read as an Excel workbook"),
    "sheet part in UTF-16": Case(W, _utf16_part, "rejected", "is not UTF-8"),
    "zip bomb": Case(W, _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                              "xl/worksheets/sheet1.xml": b"\0" * (60 * 2**20)}), "rejected", "zip-bomb-like"),
    "one part over the limit": Case(W, _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                                             "xl/sharedStrings.xml": random.Random(1).randbytes(10 * 2**20)}),
                                    "rejected", "part xl/sharedStrings.xml unpacks to 10 MB"),
    # not an .xlsx
    "macro-enabled name": Case(W, _renamed("answers.xlsm"), "rejected", "(.xlsm) are not accepted"),
    "old xls name": Case(W, _renamed("answers.xls"), "rejected", "(.xls) is not accepted"),
    "csv renamed": Case(W, lambda ctx: ctx.write("bad.xlsx", "id,rating\nPR.INC.L2.01,F\n"), "rejected",
                        "not a zip package (a CSV or other file renamed?)"),
    "empty file": Case(W, lambda ctx: ctx.write("bad.xlsx", b""), "rejected", "not a zip package"),
    "ole2 renamed": Case(W, lambda ctx: ctx.write("bad.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 600), "rejected",
                         "an old .xls workbook renamed"),
    "truncated zip": Case(W, _truncated, "rejected", "corrupt workbook"),
    "damaged part": Case(W, _damaged_part, "rejected", "corrupt workbook: Bad CRC-32 for file"),
    "oversized": Case(W, _oversized, "rejected", "file is 22.0 MB"),
    "macros inside": Case(W, _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                                   "xl/vbaProject.bin": b"\1" * 100}), "rejected", "the workbook contains macros"),
    "VBA project under another name": Case(W, _vba_named_otherwise, "rejected",
                                           "contains macros (/xl/stuff.bin is a VBA project)"),
    "VBA content type by extension": Case(W, _vba_by_default_type, "rejected", "contains macros (*.dat is a VBA"),
    "relationship to a VBA project": Case(W, _vba_relationship, "rejected",
                                          "contains macros (xl/_rels/workbook.xml.rels refers to a VBA project)"),
    "Excel 4.0 macro sheet (D15)": Case(W, _active_part("xl/macrosheets/sheet1.xml",
                                                        "application/vnd.ms-excel.macrosheet+xml"), "rejected",
                                        "active content (an Excel 4.0 macro sheet, /xl/macrosheets/sheet1.xml)"),
    "DDE external link (D15)": Case(W, _active_part(
        "xl/externalLinks/externalLink1.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
        b'<externalLink><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>'), "rejected",
        "active content (a link to another workbook or a DDE link"),
    "embedded OLE object (D15)": Case(W, _active_part("xl/embeddings/oleObject1.bin",
                                                      "application/vnd.openxmlformats-officedocument.oleObject",
                                                      b"\xd0\xcf\x11\xe0" + b"\0" * 600), "rejected",
                                      "active content (an embedded OLE object"),
    "OLE object by relationship only (D15)": Case(W, _active_relationship, "rejected",
                                                  "an embedded OLE object, referred to by"),
    "no workbook inside": Case(W, _zip({"hello.txt": b"hello"}), "rejected", "the zip package has no workbook inside"),
    # nothing to store
    "unfilled workbook": Case(W, lambda ctx: ctx.book, "empty", "nothing to store: the workbook from Sam Desk <"
                                                                f"{SAM}> has no answers"),
    # CSV
    "csv line break in a field": Case(C, _csv(lambda: f'{SAM},PR.INC.L2.01,F,,,"Policy doc v193\nsee SharePoint",\n'),
                                      "stored", "stored 1 answers"),
    "csv vertical tab": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,,a\x0bb,\n"), "rejected",
                             "line 2, column evidence: evidence contains U+000B (vertical tab)"),
    "csv record separator after a multi-line field": Case(
        C, _csv(lambda: f'{SAM},PR.INC.L2.01,F,,,"two\nlines",\n{SAM},PR.INC.L3.01,F,,,"x\x1ey",\n'),
        "rejected", "line 4, column evidence: evidence contains U+001E (record separator)"),
    "csv null": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,,,a\x00b\n"), "rejected",
                     "line 2, column comment: comment contains U+0000 (null)"),
    "csv lone surrogate escape": Case(C, lambda ctx: ctx.write("answers.csv", (CSV_HEADER + f"{SAM},PR.INC.L2.01,F,"
                                                                               ",,a").encode() + b"\xed\xa0\x80\n"),
                                      "rejected", "not UTF-8 text"),
    "csv 20,000-character evidence": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,,{'x' * 20_000},\n"), "rejected",
                                          "line 2, column evidence: evidence is 20,000 characters; at most 10,000"),
    "csv field over the csv module's limit": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,,{'x' * 140_000},\n"),
                                                  "rejected", "line 2: cannot be read as CSV: a field is longer than"),
    "csv missing field": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,\n"), "rejected",
                              "line 2: 5 field(s) where the header has 7"),
    "csv extra field": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,,,,extra\n"), "rejected",
                            "line 2: 8 field(s) where the header has 7"),
    "csv confidence 1e400": Case(C, _csv(lambda: f"{SAM},PR.INC.L2.01,F,,1e400,,\n"), "rejected",
                                 "line 2, column confidence: confidence must be a whole number"),
    "csv not UTF-8": Case(C, lambda ctx: ctx.write("answers.csv", (CSV_HEADER + f"{SAM},PR.INC.L2.01,F,,,Café,\n")
                                                   .encode("latin-1")), "rejected", "not UTF-8 text"),
    "csv a million bad rows": Case(C, _csv(_csv_million_bad_rows), "rejected", "more rows than engagement 'acme'"),
    "csv over the size limit": Case(C, _csv_oversized, "rejected", "a CSV file of answers is never more than 64 MB"),
    "csv header only": Case(C, _csv(lambda: ""), "empty", "nothing to store: the file has no answers"),
}


def build(name: str, fw: Framework, root: Path, folder: Path) -> tuple[Case, Path]:
    """Build one case's file in `folder` (with engagement `acme` under `root`); returns the case and path."""
    folder.mkdir(parents=True, exist_ok=True)
    case, ctx = CASES[name], Corpus(fw, root, folder)
    assert ctx.eng  # engagement `acme` exists before any case builds on it
    return case, case.build(ctx)


def slug(name: str) -> str:
    """A case's name as a file-name-safe word, for benchmark output."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ---- hostile commands ------------------------------------------------------------------------
# Arguments a careless or hostile user types. Each is refused with one line naming what is wrong,
# the exit code, and nothing stored changes: not engagement.yaml, not a row of the store.
# `prepare(folder)` may break the engagement first (e.g. hand-edit engagement.yaml).

@dataclass
class CommandCase:
    args: list[str]
    message: str
    exit_code: int = 1
    prepare: Callable[[Path], None] | None = None


def _duplicate_key(folder: Path) -> None:
    path = folder / "engagement.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "client: Other Ltd\n", encoding="utf-8")


def _no_store(folder: Path) -> None:
    (folder / "responses.sqlite").rename(folder.parent / "moved-away.sqlite")


def _yaml_line(key: str, value: str) -> Callable[[Path], None]:
    def prepare(folder: Path) -> None:
        path = folder / "engagement.yaml"
        text = path.read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith(f"{key}:"))
        path.write_text(text.replace(line, f"{key}: {value}"), encoding="utf-8")
    return prepare


def _empty_scope(folder: Path) -> None:
    path = folder / "engagement.yaml"
    text = re.sub(r"scope:\n(- [A-Z.]+\n)+", "scope: []\n", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")


def _newer_store(folder: Path) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(folder / "responses.sqlite")) as db, db:
        db.execute("INSERT INTO schema_migrations VALUES (999, '2030-01-01')")


def _other_client(folder: Path) -> None:
    import shutil

    other = folder.parent / "other"
    shutil.copytree(folder, other)
    text = (other / "engagement.yaml").read_text(encoding="utf-8")
    (other / "engagement.yaml").write_text(text.replace("slug: acme", "slug: other")
                                           .replace("client: Acme Ltd", "client: Other plc"), encoding="utf-8")


COMMANDS: dict[str, CommandCase] = {
    "target reason not UTF-8 (D2)": CommandCase(["target", "set", "acme", "PR.INC", "3", "--reason", "\udcff"],
                                                "--reason: contains U+DCFF (a lone surrogate) at character 1 "
                                                "(the text was not valid UTF-8)"),
    "target reason vertical tab (D5)": CommandCase(["target", "set", "acme", "PR.INC", "3", "--reason", "a\x0bb"],
                                                   "--reason: contains U+000B (vertical tab) at character 2"),
    "target reason blank": CommandCase(["target", "set", "acme", "PR.INC", "3", "--reason", "  "],
                                       "needs a reason (--reason)"),
    "target without a store (D4)": CommandCase(["target", "set", "acme", "PR.INC", "3", "--reason", "ok"],
                                               "no response store", prepare=_no_store),
    "business context without a store (D4)": CommandCase(["business-context", "set", "acme", "CAP.OPERATE=4"],
                                                         "no response store", prepare=_no_store),
    "condition reason blank (D12)": CommandCase(["engagement", "condition", "acme", "suppliers", "--not-held",
                                                 "PR.INC", "--reason", " "], "--reason (saying why)"),
    "condition reason control character (D5)": CommandCase(
        ["engagement", "condition", "acme", "suppliers", "--not-held", "PR.INC", "--reason", "x\x1by"],
        "--reason: contains U+001B (escape)"),
    "duplicate key in engagement.yaml (D14)": CommandCase(["target", "set", "acme", "PR.INC", "3", "--reason", "ok"],
                                                          "duplicate key 'client' (first at line 3)",
                                                          prepare=_duplicate_key),
    "respondent name vertical tab (D5)": CommandCase(
        ["engagement", "add-respondent", "acme", "--name", "Eve\x0b", "--email", EVE, "--role", "x"],
        "contains U+000B (vertical tab)"),
    "respondent role not UTF-8 (D5)": CommandCase(
        ["engagement", "add-respondent", "acme", "--name", "Eve", "--email", EVE, "--role", "\udce9t\udce9"],
        "contains U+DCE9 (a lone surrogate"),
    "engagement on a newer bank (D7)": CommandCase(["score", "acme"], "bank_version: 9.0.0 was made with a newer "
                                                   "kit", prepare=_yaml_line("bank_version", "9.0.0")),
    "upgrade to an older bank (D7)": CommandCase(["engagement", "upgrade", "acme"], "upgrade the kit",
                                                 prepare=_yaml_line("bank_version", "9.0.0")),
    "export on another bank (D7)": CommandCase(["questionnaire", "export", "acme"],
                                               "run `dsm-assess engagement upgrade acme` first",
                                               prepare=_yaml_line("bank_version", "1.0.0")),
    "store from a newer kit (D18)": CommandCase(["status", "acme"], "was made with a newer kit (store schema 999",
                                                prepare=_newer_store),
    "score compared with another client (D18)": CommandCase(["score", "acme", "--compare", "other"],
                                                            "--compare: 'other' is an assessment of 'Other plc'",
                                                            prepare=_other_client),
    "Windows device name as engagement (D18)": CommandCase(["engagement", "new", "con", "--client", "Con Ltd"],
                                                           "'con' names a device on Windows"),
    "plan starting in year 9999 (D11)": CommandCase(["roadmap", "plan", "acme", "--start", "9999-12-31"],
                                                    "start: value error, 9999-12-31 is out of range"),
    "plan capacity 0.001 (D11)": CommandCase(["roadmap", "plan", "acme", "--capacity", "0.001"],
                                             "--capacity: 0.001 person-weeks; give a number of at least 1"),
    "deadline in year 9999 (D11)": CommandCase(["engagement", "new", "later", "--client", "Later Ltd", "--deadline",
                                                "9999-12-31"], "9999-12-31 is out of range"),
    "out-dir naming a file (D13)": CommandCase(["score", "acme", "--format", "csv", "--out-dir",
                                                "{root}/acme/engagement.yaml"],
                                               "engagement.yaml is a file, not a folder"),
    "template that is no docx (D13)": CommandCase(["report", "acme", "--template", "{root}/acme/engagement.yaml"],
                                                  "not a Word template"),
    "batch with no engagements (D13)": CommandCase(["batch", "{root}/acme/returned"], "no engagements to run in"),
    "bank version that is no version": CommandCase(["bank", "changes", "--since", "latest"],
                                                   "--since: 'latest' is not a bank version"),
    "empty scope (D13)": CommandCase(["report", "acme"], "scope: list should have at least 1 item",
                                     prepare=_empty_scope),
}
