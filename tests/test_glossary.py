"""The glossary: spellings found in running text, the jargon rule on synthetic text, located
problems in glossary.yaml, and the terms shown in the workbook, the web form and the lint."""

from __future__ import annotations

import re
from types import SimpleNamespace

import openpyxl
import pytest
import yaml
from starlette.testclient import TestClient

from dsm_assess.capture.workbook import COL, FIRST_ROW
from dsm_assess.form.tokens import issue_form_token
from dsm_assess.form.web import FormSite, create_app
from dsm_assess.framework import lint
from dsm_assess.framework.glossary import Glossary, GlossaryTerm, spelling_pattern
from dsm_assess.framework.lint import lint_bank
from dsm_assess.framework.model import Criterion, read_framework

from .conftest import SAM, export_book

ACRONYM = r"\b[A-Z][A-Z0-9]*[A-Z]s?\b"


def term(name: str, *match: str, definition: str = "A plain definition.") -> GlossaryTerm:
    return GlossaryTerm(term=name, match=match or (name,), definition=definition)


@pytest.mark.parametrize("spelling, text, found", [
    ("toll-gate", "Each toll gate has a forum; tollgates and Toll-Gates too.",
     ["toll gate", "tollgates", "Toll-Gates"]),
    ("warranty", "Warranties and the warranty library.", ["Warranties", "warranty"]),
    ("known error", "Known errors are linked.", ["Known errors"]),
    ("CI", "The CI field and CIs, never ci, specific or the CI/CD pipeline.", ["CI", "CIs"]),
    ("beta", "Beta-stage data, never betamax.", ["Beta"]),
    ("OLA", "OLAs support SLAs; no OLAF.", ["OLAs"]),
])
def test_a_spelling_is_found_as_whole_words_in_running_text(spelling, text, found):
    assert [m.group(0) for m in spelling_pattern(spelling).finditer(text)] == found


def test_used_in_names_each_term_once_in_order_of_appearance():
    g = Glossary(terms=(term("underpinning contract (UC)", "underpinning contract", "UC"),
                        term("operational level agreement (OLA)", "operational level agreement", "OLA")))
    assert [t.term for t in g.used_in("Each OLA and UC is reviewed; every underpinning contract too.")] == [
        "operational level agreement (OLA)", "underpinning contract (UC)"]
    assert g.used_in("Nothing here.") == []


def test_jargon_is_what_the_watch_list_finds_and_the_glossary_does_not_define():
    g = Glossary(terms=(term("OLA"), term("toll-gate")),
                 watch=(ACRONYM, r"\bTG[1-9]\b", r"(?i)\btoll[- ]?gates?\b", r"(?i)\bswarm(?:s|ing)?\b"),
                 plain=("IT", "HR"))
    text = "IT and HR agree each OLA and XLA at TG3, a toll gate, and use swarming and SIAM; XLAs are reviewed."
    assert g.undefined(text) == ["XLA", "SIAM", "XLAs", "TG3", "swarming"]
    assert g.undefined("Each OLA is signed at the toll-gate by IT.") == []


def test_the_jargon_rule_names_the_field_and_the_words():
    g = Glossary(terms=(term("OLA"),), watch=(ACRONYM,))
    c = Criterion(id="PR.SLM.L3.01", statement="Each OLA and XLA has an owner.", guidance="An UC is on file.",
                  evidence=("A list",), improve="Write them.", dimension="DIM.VALUE")
    found = []
    lint._jargon(SimpleNamespace(glossary=g), c, lambda *a: found.append(a))
    assert found == [
        ("PR.SLM", "PR.SLM.L3.01", "jargon", "statement uses 'XLA', which the glossary does not define: say it in "
         "plain words, or define it in framework/glossary.yaml"),
        ("PR.SLM", "PR.SLM.L3.01", "jargon", "guidance uses 'UC', which the glossary does not define: say it in "
         "plain words, or define it in framework/glossary.yaml")]


def test_bank_lint_reports_jargon_where_a_statement_uses_it(questionnaires):
    path = questionnaires / "bank" / "subjects" / "PR.SLM.yaml"
    data = yaml.safe_load(path.read_text())
    c = data["criteria"][0]
    c["statement"] = "Each OLA is agreed with the SIAM provider."     # OLA is in the glossary, SIAM is not
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    msgs = [str(p) for p in lint_bank(questionnaires) if p.rule == "jargon"]
    assert [m.split(": ", 1)[1] for m in msgs] == [
        f"{c['id']}: statement uses 'SIAM', which the glossary does not define: say it in plain words, or define it "
        "in framework/glossary.yaml"], msgs
    assert msgs[0].split(":")[0].endswith("bank/subjects/PR.SLM.yaml")


def test_the_shipped_glossary_defines_every_term_of_its_watch_list_the_bank_uses(fw):
    assert {c.id: w for c in fw.criteria if (w := fw.glossary.undefined(c.statement + "\n" + c.guidance))} == {}
    assert fw.glossary.terms and all(len(t.definition) <= 220 for t in fw.glossary.terms)


def test_problems_in_glossary_yaml_are_located(questionnaires):
    path = questionnaires / "framework" / "glossary.yaml"
    path.write_text(
        "terms:\n"
        "  - {term: warranty, match: [warranty], definition: Fit for use.}\n"
        "  - {term: WARRANTY, match: [guarantee], definition: Again.}\n"
        f"  - {{term: long one, match: [longish], definition: {'x' * 230}}}\n"
        "  - {term: bad key, match: [badkey], definition: Fine., colour: red}\n"
        "  - {term: OLA, match: [OLA], definition: Fine.}\n"
        "  - {term: also OLA, match: [OLA], definition: Fine.}\n"
        "watch: ['\\bOLA(']\n"
        "extra: 1\n")
    fw, problems = read_framework(questionnaires)
    assert fw is None
    found = {p.where: p for p in problems}
    assert set(found) == {"terms[1].term", "terms[2].definition", "terms[3].colour", "terms[5].match[0]", "watch[0]",
                          "extra"}, found
    assert all(p.file.endswith("framework/glossary.yaml") and p.line for p in found.values())
    assert "already defined" in found["terms[1].term"].message
    assert "already names 'OLA'" in found["terms[5].match[0]"].message
    assert "not a regular expression" in found["watch[0]"].message


# ---- where the terms are shown ------------------------------------------------------------------

DEFINITION = "Something that stopped a service working as it should, for the tests."


@pytest.fixture
def fwg(fw):
    """The shipped framework with a glossary of one term, "incident", that every incident management
    statement uses (whatever the bank's wording), so what is shown can be predicted exactly."""
    return fw.model_copy(update={"glossary": Glossary(terms=(term("incident", definition=DEFINITION),))})


def test_the_workbook_has_a_glossary_sheet_and_each_guidance_names_its_terms(fwg, acme, root, tmp_path):
    book = openpyxl.load_workbook(export_book(fwg, acme, SAM, tmp_path, root))
    assert book.sheetnames[-2] == "Glossary"
    ws = book["Glossary"]
    assert [c.value for c in ws[3]] == ["Term", "What it means", "Used in"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=FIRST_ROW)]
    by_id = {c.id: c for c in fwg.criteria}
    asked = acme.criteria_for(fwg, acme.respondent(SAM))
    using = [c for c in asked if re.search(r"(?i)\bincidents?\b", by_id[c].statement + " " + by_id[c].guidance)]
    assert using and rows == [["incident", DEFINITION, ", ".join(using)]]
    assert ws.protection.sheet
    for sheet in ("PR.INC", "PR.SDK", "PR.SRM"):
        for r in range(FIRST_ROW, book[sheet].max_row + 1):
            cid, guidance = book[sheet].cell(r, COL["id"]).value, book[sheet].cell(r, COL["guidance"]).value
            named = guidance.endswith("\n\nTerms explained on the Glossary sheet: incident.")
            assert named == (cid in using), cid
    instructions = {r[0].value: r[1].value for r in book["Instructions"].iter_rows() if r[0].value}
    assert "Glossary sheet" in instructions["Terms you may not know"]


def test_a_workbook_whose_statements_use_no_term_has_no_glossary_sheet(fw, acme, root, tmp_path):
    none = fw.model_copy(update={"glossary": Glossary(terms=(term("zzzz-never-used"),))})
    assert "Glossary" not in openpyxl.load_workbook(export_book(none, acme, SAM, tmp_path, root)).sheetnames


def test_the_form_defines_a_statements_terms_under_it_in_the_page(fwg, acme, root):
    site = FormSite(fwg, "acme", root, consultant_token="consultant-secret-0123456789abcdef")
    client = TestClient(create_app(site), base_url="http://10.1.2.3:8866")
    token = issue_form_token("acme", SAM, root, fwg)
    asked = site.asked(SimpleNamespace(respondent=SAM, subjects={"PR.INC", "PR.SDK", "PR.SRM"}))
    by_id = {c.id: c for c in fwg.criteria}
    pages = {(s, n): by_id[cid] for s, ids in asked.items() for n, cid in enumerate(ids, 1)}
    with_term = next(k for k, c in pages.items() if re.search(r"(?i)\bincidents?\b", c.statement + c.guidance))
    without = next(k for k, c in pages.items() if not re.search(r"(?i)\bincidents?\b", c.statement + c.guidance))
    page = client.get(f"/?token={token}&s={with_term[0]}&n={with_term[1]}").text
    shown = page.split('id="terms"', 1)[1].split("</div>", 1)[0]
    assert "<dt>incident</dt><dd>" + DEFINITION + "</dd>" in shown
    # in the page's text, before the form and outside the collapsed guidance: keyboard and touch see it
    assert page.index('id="terms"') < page.index("<details>") and 'aria-describedby="statement terms"' in page
    other = client.get(f"/?token={token}&s={without[0]}&n={without[1]}").text
    assert 'id="terms"' not in other and 'aria-describedby="statement"' in other
