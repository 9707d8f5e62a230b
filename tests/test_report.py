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

from dsm_assess.api import Engagement
from dsm_assess.core.errors import DsmError
from dsm_assess.deliver import report as report_module
from dsm_assess.deliver.template import TABLE_STYLE, build_template
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.scoring.rules import METHODOLOGY_VERSION

FULL_HEADINGS = ["Executive summary", "Scope, respondents and method", "Digital Service Management areas",
                 "Practice results by group", "Value chain view", "Disagreement and confidence", "Roadmap",
                 "Recommendations and next steps", "Appendix: criteria by subject", "Appendix: glossary"]


@pytest.fixture(scope="module")
def engagement(tmp_path_factory, fw):
    root = tmp_path_factory.mktemp("report") / "engagements"
    generate_engagement(fw, "acme", respondents=4, seed=11, profile="quick-scan", client="Acme Water", root=root)
    return root


@pytest.fixture(scope="module")
def full(engagement, tmp_path_factory, fw):
    out = tmp_path_factory.mktemp("out")
    e = Engagement("acme", engagement, framework=fw)
    return e.report("full", out), e.gather()


def headings(doc, level=1):
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def test_sections_in_order_and_the_toc_filled_in(full):
    doc = Document(full[0])
    assert headings(doc) == FULL_HEADINGS
    toc = [p.text for p in doc.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert [t for t in toc if t in FULL_HEADINGS] == FULL_HEADINGS and "General management practices" in toc
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
        band = f" ({r['score_low']:.1f}–{r['score_high']:.1f})" if round(r["score_high"] - r["score"], 1) else ""
        assert row.cells[1].text == level and row.cells[2].text in (f"{r['score']:.1f}{band}", "-")
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


def test_the_appendix_shows_each_criterion_by_topic_with_its_evidence_and_advice_where_not_achieved(full, fw):
    doc, inputs = Document(full[0]), full[1]
    evidence = inputs.evidence.dropna(subset=["evidence"]).iloc[0]
    tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Topic"]
    rows = [row for t in tables for row in t.rows[1:]]
    assert len(rows) == len(inputs.scores.criteria)
    row = next(r for r in rows if r.cells[1].text.startswith(evidence["criterion_id"]))
    criterion = fw.get(evidence["criterion_id"])
    assert evidence["evidence"] in row.cells[3].text
    # advice only where a criterion is not yet achieved (not F, not N/A)
    hints = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    crit = inputs.scores.criteria
    open_ = crit[(crit["status"] != "n/a") & (crit["rating"].astype(str) != "F")]
    achieved = crit[crit["rating"].astype(str).eq("F")]
    assert len(open_) and len(achieved)
    for r in open_.itertuples():
        assert any(h.startswith(f"{r.id} (now ") and h.endswith(fw.get(r.id).improve) for h in hints)
    for r in achieved.itertuples():
        assert not any(h.startswith(f"{r.id} (now ") for h in hints)
    topics = {t.id: t.name for t in fw.get_subject(criterion.subject).topics}
    assert row.cells[0].text == topics.get(criterion.topic, "-")
    # within a subject, rows run topic by topic in the subject's order, and by level within a topic
    for t in tables:
        ids = [r.cells[1].text.split(":")[0] for r in t.rows[1:]]
        subject = fw.get(ids[0]).subject
        order = {x.id: i for i, x in enumerate(fw.get_subject(subject).topics)}
        keys = [(order.get(fw.get(i).topic, len(order)), fw.get(i).level) for i in ids]
        assert keys == sorted(keys)


def test_the_full_report_ends_with_a_glossary_of_the_terms_its_criteria_use(full, fw):
    with zipfile.ZipFile(full[0]) as z:
        xml = z.read("word/document.xml").decode()
    assert xml.index(">Appendix: criteria by subject<") < xml.index(">Appendix: glossary<")
    doc = Document(full[0])
    # the criteria's own words: each statement, and the advice where one is not yet achieved
    criteria_text = [r.cells[1].text for t in doc.tables if t.rows[0].cells[0].text == "Topic" for r in t.rows[1:]]
    advice = [p.text for p in doc.paragraphs if p.style.name == "List Bullet" and " (now " in p.text]
    expected = sorted(fw.glossary.used_in(*criteria_text, *advice), key=lambda t: t.term.casefold())
    [table] = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["Term", "What it means"]]
    assert expected and [[c.text for c in r.cells] for r in table.rows[1:]] == [[t.term, t.definition]
                                                                                for t in expected]


def test_executive_is_shorter_than_full(engagement, full, tmp_path, fw):
    exe = Document(Engagement("acme", engagement, framework=fw).report("executive", tmp_path))
    assert headings(exe) == ["Executive summary", "Digital Service Management areas", "Roadmap",
                             "Recommendations and next steps"]
    assert not [p for p in exe.paragraphs if p.style.name in ("TOC 1", "TOC 2")]  # no contents page
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
    eng = Engagement("acme", root, framework=fw).gather().engagement
    text = "Runbook v2 — see “Ops/Runbooks” & <team> notes; 100% reviewed ✓"
    cid = eng.criteria_for(fw, eng.respondents[0])[0]
    with open_store(root / "acme") as store:
        store_answers(store, fw, [Answer(eng.respondents[0].email, cid, "F", evidence=text)], source="test")
    doc = Document(Engagement("acme", root, framework=fw).report("full", tmp_path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any(text in c for c in cells)


def test_a_custom_templates_styles_are_used(engagement, tmp_path, fw):
    template = build_template(tmp_path / "brand" / "firm.docx")
    styled = Document(template)
    styled.styles["Heading 1"].font.name = "Courier New"
    styled.save(template)
    (tmp_path / "brand" / "brand.yaml").write_text("firm: Example Partners LLP\nconfidentiality: Firm only\n",
                                                   encoding="utf-8")
    doc = Document(Engagement("acme", engagement, framework=fw).report("executive", tmp_path, template=template))
    assert doc.styles["Heading 1"].font.name == "Courier New"
    assert any("Example Partners LLP" in p.text for p in doc.paragraphs)
    assert "Firm only" in doc.sections[0].footer.paragraphs[0].text


def test_a_failed_render_leaves_the_previous_report_untouched(engagement, tmp_path, fw, monkeypatch):
    path = Engagement("acme", engagement, framework=fw).report("executive", tmp_path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(report_module.charts, "area_bars", broken)
    with pytest.raises(RuntimeError, match="chart failed"):
        Engagement("acme", engagement, framework=fw).report("executive", tmp_path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no half-written file left behind


def test_backlog_lists_gaps_and_the_criteria_that_close_them(engagement, full, tmp_path, fw):
    path = Engagement("acme", engagement, framework=fw).report("backlog", tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Gaps", "Criteria to achieve", "Initiatives"]
    assert wb["Initiatives"].max_row - 1 == len(full[1].plan.planned)
    s = full[1].scores.subjects
    assert wb["Gaps"].max_row - 1 == int((s["gap"].fillna(0) > 0).sum())
    header = [c.value for c in wb["Criteria to achieve"][1]]
    assert header == ["Criterion", "Subject", "Level", "Rating now", "What is to be achieved", "How to do better"]
    for ws in wb.worksheets:  # a sheet a delivery team can work in
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
        assert all(c.font.b for c in ws[1])
        assert "_" not in "".join(str(c.value) for c in ws[1])   # plain words, not programmers' names
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(8 <= w <= 60 for w in widths)
        assert ws["A2"].alignment.wrap_text
    statement = wb["Criteria to achieve"]["E1"].column_letter
    assert wb["Criteria to achieve"].column_dimensions[statement].width == 60  # long statements get room


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
    doc = Document(Engagement("acme", root, framework=fw).report("full", tmp_path))
    # the client reads the earlier assessment's date, never the folder's name
    assert "Progress since the previous assessment (January 2026)" in headings(doc)
    assert "acme-2025" not in doc.element.body.xml
    assert any(p._inline.docPr.get("descr", "").startswith("Dot chart of") for p in doc.inline_shapes)
    generate_engagement(fw, "beta", respondents=2, seed=5, profile="quick-scan", client="Beta Rail", root=root)
    path.write_text(path.read_text(encoding="utf-8").replace("previous: acme-2025", "previous: beta"),
                    encoding="utf-8")
    with pytest.raises(DsmError, match="not 'Acme Water'; a trend compares one client with itself"):
        Engagement("acme", root, framework=fw).report("full", tmp_path)


def test_subject_tables_show_the_band_bridged_levels_and_evidence_to_find_and_progress_names_the_rules(
        engagement, tmp_path, fw):
    import pandas as pd

    e = Engagement("acme", engagement, framework=fw)
    inputs = e.gather()
    s = inputs.scores.subjects
    inc = s.index[s["id"].eq("PR.INC")][0]
    s.at[inc, "score"], s.at[inc, "score_low"], s.at[inc, "score_high"] = 2.4, 2.4, 3.1
    s.at[inc, "dk_criteria"] = ["PR.INC.L3.01"]
    s.at[inc, "bridged"], s.at[inc, "bridged_levels"] = True, [3]
    s.at[inc, "bridged_reasons"] = ["level 3: condition 'suppliers' does not hold: no suppliers"]
    inputs.trend = pd.DataFrame({"id": ["PR.INC"], "level_before": pd.array([4], dtype="Int64"), "score_before": [3.7],
                                 "level": pd.array([4], dtype="Int64"), "score": [3.9], "score_change": [0.2],
                                 "level_change": pd.array([0], dtype="Int64"), "comparable": [True],
                                 "level_before_rule": pd.array([4], dtype="Int64"), "score_before_rule": [3.4],
                                 "moved_by_rule": [True]})
    inputs.assessment.engagement.previous = "acme-2025"
    doc = Document(e.report("full", tmp_path, inputs=inputs))
    row = next(r for t in doc.tables for r in t.rows if r.cells[0].text == "Incident management")
    assert row.cells[2].text == "2.4 (2.4–3.1)"
    assert "bridged (level 3 not applicable)" in row.cells[6].text
    text = [p.text for p in doc.paragraphs]
    assert ("Incident management: level " + row.cells[1].text + " claimed across level 3 (level 3: condition "
            "'suppliers' does not hold: no suppliers)") in text
    assert "Incident management: PR.INC.L3.01" in text
    assert "PR.INC: level 4, score 3.4 under 2.0; level 4, score 3.7 under 2.1" in text


def test_the_same_inputs_give_the_same_document_content(engagement, tmp_path, fw):
    one = Engagement("acme", engagement, framework=fw).report("full", tmp_path / "one")
    two = Engagement("acme", engagement, framework=fw).report("full", tmp_path / "two")
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
    inputs = Engagement("acme", engagement, framework=fw).gather()
    exe = Engagement("acme", engagement, framework=fw).report("executive", tmp_path, inputs=inputs)
    full = Engagement("acme", engagement, framework=fw).report("full", tmp_path, inputs=inputs)
    assert drawn == ["areas"]
    with zipfile.ZipFile(exe) as a, zipfile.ZipFile(full) as b:
        assert a.read("word/media/image1.png") == b.read("word/media/image1.png")
    inputs.assessment = Engagement("acme", engagement, framework=fw).gather().assessment  # replaced: drawn again
    Engagement("acme", engagement, framework=fw).report("executive", tmp_path, inputs=inputs)
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
    doc = Document(Engagement("acme", engagement, framework=fw).report("executive", tmp_path, template=template))
    assert len(doc.inline_shapes) >= 1
    (tmp_path / "brand" / "firm-logo.png").unlink()
    with pytest.raises(DsmError, match="'firm-logo.png' is not a file beside brand.yaml"):
        Engagement("acme", engagement, framework=fw).report("executive", tmp_path, template=template)


def test_a_template_that_is_no_docx_is_named(engagement, tmp_path, fw):
    """D13: a text file given as --template is a clear error, not a traceback."""
    fake = tmp_path / "notes.docx"
    fake.write_text("not a document", encoding="utf-8")
    with pytest.raises(DsmError, match="notes.docx: not a Word template"):
        Engagement("acme", engagement, framework=fw).report("executive", tmp_path, template=fake)


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
    path = Engagement("done", root, framework=fw).report("backlog", tmp_path / "out")
    book = openpyxl.load_workbook(path)
    assert book["Criteria to achieve"].max_row == 1  # the header only
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as any file written there, not mkstemp's 0600
