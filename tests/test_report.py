"""The Word report, read back: structure, numbers, pictures, properties, templates, safety."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from dsm_assess.core.errors import DsmError
from dsm_assess.deliver import report as report_module
from dsm_assess.deliver.report import gather, write_report
from dsm_assess.deliver.template import TABLE_STYLE, build_template
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.scoring.rules import METHODOLOGY_VERSION

FULL_HEADINGS = ["Executive summary", "Scope, respondents and method", "Digital Service Management areas",
                 "Practice results by group", "Value chain view", "Disagreement and confidence", "Roadmap",
                 "Appendix: criteria by subject"]


@pytest.fixture(scope="module")
def engagement(tmp_path_factory, fw):
    root = tmp_path_factory.mktemp("report") / "engagements"
    generate_engagement(fw, "acme", respondents=4, seed=11, profile="quick-scan", client="Acme Water", root=root)
    return root


@pytest.fixture(scope="module")
def full(engagement, tmp_path_factory, fw):
    out = tmp_path_factory.mktemp("out")
    return write_report("acme", "full", engagement, out_dir=out, fw=fw), gather("acme", engagement, fw)


def headings(doc, level=1):
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def test_sections_in_order_and_the_toc_filled_in(full):
    doc = Document(full[0])
    assert headings(doc) == FULL_HEADINGS
    toc = [p.text for p in doc.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert toc[:3] == FULL_HEADINGS[:3] and "General management practices" in toc
    body = doc.element.body.xml
    assert 'TOC \\o "1-2"' in body and 'w:fldCharType="end"' in body


def test_table_numbers_equal_the_scoring_result(full):
    doc, inputs = Document(full[0]), full[1]
    s = inputs.scores.subjects.set_index("id")
    practice_rows = {row.cells[0].text: row for t in doc.tables for row in t.rows[1:]
                     if t.rows[0].cells[0].text == "Practice"}
    checked = 0
    for _, r in s[s["kind"].eq("practice")].iterrows():
        row = practice_rows[r["name"]]
        level = "-" if r["level"] is None or r["level"] != r["level"] else str(int(r["level"]))
        assert row.cells[1].text == level and row.cells[2].text in (f"{r['score']:.1f}", "-")
        checked += 1
    assert checked == 34
    areas = next(t for t in doc.tables if t.rows[0].cells[0].text == "Area")
    for row, a in zip(areas.rows[1:], inputs.scores.areas.itertuples(), strict=True):
        assert row.cells[0].text == a.name and row.cells[1].text == f"{a.own_score:.1f}"


def test_the_roadmap_section_has_the_plan_gantt_and_projection(full):
    doc, plan = Document(full[0]), full[1].plan
    initiatives = next(t for t in doc.tables if t.rows[0].cells[0].text == "Initiative")
    assert [r.cells[0].text.split(":")[0] for r in initiatives.rows[1:]] == [p.id for p in plan.initiatives]
    alts = [p._inline.docPr.get("descr") for p in doc.inline_shapes]
    assert any(a.startswith("Gantt chart of") for a in alts)
    assert any(a.startswith("Line chart of the mean") for a in alts)
    waves = next(t for t in doc.tables if t.rows[0].cells[0].text == "Wave")
    assert len(waves.rows) - 1 == plan.parameters.waves


def test_the_gaps_left_open_are_a_table_of_each_reason_and_the_initiatives_it_needs(full, fw):
    doc, plan = Document(full[0]), full[1].plan
    assert plan.open_gaps
    table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["Subject", "Why it stays open",
                                                                                "Initiatives it needs"])
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert len(rows) == len(plan.open_gaps)
    previous = None
    for (name, why, needs), g in zip(rows, plan.open_gaps, strict=True):
        # grouped by subject, its name on the first row only
        assert name == ("" if g.subject == previous else fw.get(g.subject).name)
        previous = g.subject
        assert why == report_module.WHY_OPEN.get(g.kind, f"waits for {', '.join(g.waits_for)}")
        assert needs.split("\n") == [f"{i}: {fw.get(i).title}" for i in g.initiatives]


def test_every_picture_has_alt_text_and_header_rows_repeat(full):
    doc = Document(full[0])
    pictures = doc.inline_shapes
    assert len(pictures) >= 8
    assert all(p._inline.docPr.get("descr") for p in pictures)
    assert all(t.rows[0]._tr.trPr is not None and "tblHeader" in t.rows[0]._tr.trPr.xml for t in doc.tables)
    assert all(t.style.name == TABLE_STYLE for t in doc.tables)
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert sum(c.startswith("Figure") for c in captions) == len(pictures)


def test_a_caption_stays_on_the_page_of_its_table_or_figure(full):
    body = Document(full[0]).element.body
    checked = 0
    for before, after in zip(body[:-1], body[1:], strict=True):
        text, next_text = "".join(before.itertext()), "".join(after.itertext())
        if after.tag.endswith("}tbl") and before.tag.endswith("}p") and text.startswith("Table "):
            checked += 1
            assert before.pPr is not None and before.pPr.keepNext is not None, text
        if before.tag.endswith("}p") and before.xpath(".//pic:pic") and next_text.startswith("Figure"):
            checked += 1
            assert before.pPr is not None and before.pPr.keepNext is not None, f"the picture of {next_text}"
    assert checked >= 15


def test_document_properties_and_footer(full):
    doc = Document(full[0])
    props = doc.core_properties
    assert props.title == "IT service management assessment: Acme Water" and props.subject == "Acme Water"
    assert f"methodology {METHODOLOGY_VERSION}" in props.keywords and "question bank" in props.keywords
    footer = doc.sections[0].footer.paragraphs[0]
    assert "Acme Water" in footer.text and "PAGE" in footer._p.xml


def test_the_appendix_shows_each_criterion_by_topic_with_its_evidence_and_hint(full, fw):
    doc, inputs = Document(full[0]), full[1]
    evidence = inputs.evidence.dropna(subset=["evidence"]).iloc[0]
    tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Topic"]
    rows = [row for t in tables for row in t.rows[1:]]
    assert len(rows) == len(inputs.scores.criteria)
    row = next(r for r in rows if r.cells[1].text.startswith(evidence["criterion_id"]))
    criterion = fw.get(evidence["criterion_id"])
    assert evidence["evidence"] in row.cells[3].text
    assert row.cells[4].text == criterion.improve
    topics = {t.id: t.name for t in fw.get_subject(criterion.subject).topics}
    assert row.cells[0].text == topics.get(criterion.topic, "-")
    # within a subject, rows run topic by topic in the subject's order, and by level within a topic
    for t in tables:
        ids = [r.cells[1].text.split(":")[0] for r in t.rows[1:]]
        subject = fw.get(ids[0]).subject
        order = {x.id: i for i, x in enumerate(fw.get_subject(subject).topics)}
        keys = [(order.get(fw.get(i).topic, len(order)), fw.get(i).level) for i in ids]
        assert keys == sorted(keys)


def test_executive_is_shorter_than_full(engagement, full, tmp_path, fw):
    exe = Document(write_report("acme", "executive", engagement, out_dir=tmp_path, fw=fw))
    assert headings(exe) == ["Executive summary", "Digital Service Management areas", "Roadmap"]
    assert len(exe.element.body.xml) < len(Document(full[0]).element.body.xml) / 3
    # the gaps left open are counted once and sent to the full report, which has their table
    n = len({g.subject for g in full[1].plan.open_gaps})
    said = [p.text for p in exe.paragraphs if "after the last wave" in p.text]
    assert said == [f"{n} subjects stay below target after the last wave; the full report and the backlog say why "
                    "for each."]


def test_text_from_respondents_goes_in_exactly(engagement, tmp_path, fw):
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.store.answers import Answer
    from dsm_assess.store.sqlite import open_store
    root = tmp_path / "e"
    shutil.copytree(engagement, root)
    eng = gather("acme", root, fw).engagement
    text = "Runbook v2 — see “Ops/Runbooks” & <team> notes; 100% reviewed ✓"
    cid = eng.criteria_for(fw, eng.respondents[0])[0]
    with open_store(root / "acme") as store:
        store_answers(store, fw, [Answer(eng.respondents[0].email, cid, "F", evidence=text)], source="test")
    doc = Document(write_report("acme", "full", root, out_dir=tmp_path, fw=fw))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any(text in c for c in cells)


def test_a_custom_templates_styles_are_used(engagement, tmp_path, fw):
    template = build_template(tmp_path / "brand" / "firm.docx")
    styled = Document(template)
    styled.styles["Heading 1"].font.name = "Courier New"
    styled.save(template)
    (tmp_path / "brand" / "brand.yaml").write_text("firm: Example Partners LLP\nconfidentiality: Firm only\n",
                                                   encoding="utf-8")
    doc = Document(write_report("acme", "executive", engagement, template=template, out_dir=tmp_path, fw=fw))
    assert doc.styles["Heading 1"].font.name == "Courier New"
    assert any("Example Partners LLP" in p.text for p in doc.paragraphs)
    assert "Firm only" in doc.sections[0].footer.paragraphs[0].text


def test_a_failed_render_leaves_the_previous_report_untouched(engagement, tmp_path, fw, monkeypatch):
    path = write_report("acme", "executive", engagement, out_dir=tmp_path, fw=fw)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(report_module.charts, "area_bars", broken)
    with pytest.raises(RuntimeError):
        write_report("acme", "executive", engagement, out_dir=tmp_path, fw=fw)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no half-written file left behind


def test_backlog_lists_gaps_and_the_criteria_that_close_them(engagement, full, tmp_path, fw):
    path = write_report("acme", "backlog", engagement, out_dir=tmp_path, fw=fw)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Gaps", "Criteria to achieve", "Initiatives"]
    assert wb["Initiatives"].max_row - 1 == len(full[1].plan.planned)
    s = full[1].scores.subjects
    assert wb["Gaps"].max_row - 1 == int((s["gap"].fillna(0) > 0).sum())
    header = [c.value for c in wb["Criteria to achieve"][1]]
    assert header == ["criterion", "subject", "level", "rating", "statement", "how to do better"]


def test_report_command_prints_the_path(cli, engagement, tmp_path):
    result = cli("report", "acme", "--audience", "executive", "--root", engagement, "--out-dir", tmp_path)
    assert result.exit_code == 0 and result.stdout.strip() == str(tmp_path / "acme-executive.docx")
    assert zipfile.is_zipfile(tmp_path / "acme-executive.docx")
    bad = cli("report", "acme", "--audience", "board", "--root", engagement)
    assert bad.exit_code == 2


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_renders_it_with_the_contents_filled_in(full, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(full[0])],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / (Path(full[0]).stem + ".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 15 <= pages <= 120
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Contents" in text and "Executive summary" in text and "Value chain view" in text


def test_trend_against_the_previous_assessment_of_the_same_client(engagement, tmp_path, fw):
    root = tmp_path / "e"
    shutil.copytree(engagement, root)
    generate_engagement(fw, "acme-2025", respondents=3, seed=2, profile="quick-scan", client="Acme Water",
                        pattern="struggling", root=root)
    path = root / "acme" / "engagement.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "previous: acme-2025\n", encoding="utf-8")
    doc = Document(write_report("acme", "full", root, out_dir=tmp_path, fw=fw))
    assert "Progress since the previous assessment (acme-2025)" in headings(doc)
    assert any(p._inline.docPr.get("descr", "").startswith("Dot chart of") for p in doc.inline_shapes)
    generate_engagement(fw, "beta", respondents=2, seed=5, profile="quick-scan", client="Beta Rail", root=root)
    path.write_text(path.read_text(encoding="utf-8").replace("previous: acme-2025", "previous: beta"),
                    encoding="utf-8")
    with pytest.raises(Exception, match="not 'Acme Water'; a trend compares one client with itself"):
        write_report("acme", "full", root, out_dir=tmp_path, fw=fw)


def test_the_same_inputs_give_the_same_document_content(engagement, tmp_path, fw):
    one = write_report("acme", "full", engagement, out_dir=tmp_path / "one", fw=fw)
    two = write_report("acme", "full", engagement, out_dir=tmp_path / "two", fw=fw)
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(two) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_each_chart_is_drawn_once_for_every_audience(engagement, tmp_path, fw, monkeypatch):
    drawn = []
    real = report_module.charts.area_bars

    def counted(*args, **kwargs):
        drawn.append("areas")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module.charts, "area_bars", counted)
    inputs = gather("acme", engagement, fw)
    exe = write_report("acme", "executive", engagement, out_dir=tmp_path, fw=fw, inputs=inputs)
    full = write_report("acme", "full", engagement, out_dir=tmp_path, fw=fw, inputs=inputs)
    assert drawn == ["areas"]
    with zipfile.ZipFile(exe) as a, zipfile.ZipFile(full) as b:
        assert a.read("word/media/image1.png") == b.read("word/media/image1.png")
    inputs.assessment = gather("acme", engagement, fw).assessment  # replaced: drawn again from it
    write_report("acme", "executive", engagement, out_dir=tmp_path, fw=fw, inputs=inputs)
    assert drawn == ["areas", "areas"]


def test_the_logo_is_read_beside_the_template_given(engagement, tmp_path, fw):
    """D10: brand.yaml beside a custom template names a logo beside it, not beside the kit's template."""
    import matplotlib.pyplot as plt

    template = build_template(tmp_path / "brand" / "firm.docx")
    fig = plt.figure(figsize=(1, 1))
    fig.savefig(tmp_path / "brand" / "firm-logo.png")
    plt.close(fig)
    (tmp_path / "brand" / "brand.yaml").write_text("firm: Example Partners LLP\nlogo: firm-logo.png\n",
                                                   encoding="utf-8")
    doc = Document(write_report("acme", "executive", engagement, template=template, out_dir=tmp_path, fw=fw))
    assert len(doc.inline_shapes) >= 1
    (tmp_path / "brand" / "firm-logo.png").unlink()
    with pytest.raises(DsmError, match="logo 'firm-logo.png' not found beside the template"):
        write_report("acme", "executive", engagement, template=template, out_dir=tmp_path, fw=fw)


def test_a_template_that_is_no_docx_is_named(engagement, tmp_path, fw):
    """D13: a text file given as --template is a clear error, not a traceback."""
    fake = tmp_path / "notes.docx"
    fake.write_text("not a document", encoding="utf-8")
    with pytest.raises(DsmError, match="notes.docx: not a Word template"):
        write_report("acme", "executive", engagement, template=fake, out_dir=tmp_path, fw=fw)


def test_the_backlog_is_written_when_nothing_is_open(fw, tmp_path):
    """D8: every answer F, so no gap and no criterion left to achieve: an empty backlog, no crash."""
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.engagement.edit import add_respondent, new_engagement
    from dsm_assess.engagement.spec import engagement_dir, load_engagement
    from dsm_assess.store.answers import Answer
    from dsm_assess.store.sqlite import open_store

    root = tmp_path / "engagements"
    new_engagement(fw, "done", "Done Ltd", root=root, scope=["PR.INC", "PR.SDK"])
    add_respondent(fw, "done", "Sam Desk", "sam@done.example.com", "lead", [], root)
    eng = load_engagement("done", root, fw)
    with open_store(engagement_dir("done", root), "done") as store:
        store_answers(store, fw, [Answer("sam@done.example.com", c, "F") for c in eng.criteria_for(fw)], "test")
    path = write_report("done", "backlog", root, out_dir=tmp_path / "out", fw=fw)
    book = openpyxl.load_workbook(path)
    assert book["Criteria to achieve"].max_row == 1  # the header only
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as any file written there, not mkstemp's 0600
