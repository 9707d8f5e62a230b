"""Long-format CSV: export, import, located problems."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dsm_assess.capture.csvio import read_csv
from dsm_assess.capture.intake import import_file
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .conftest import SAM


def test_csv_round_trip_with_formula_like_text(cli, fw, acme, root, tmp_path):
    assert cli("questionnaire", "export-csv", "acme", "--root", root, "--out-dir", tmp_path).exit_code == 0
    path = tmp_path / "acme-answers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(acme.criteria_for(fw, acme.respondent(SAM))) + len(acme.criteria_for(fw))
    rows[0].update(rating="F", evidence="=1+1", confidence="4")
    rows[1].update(rating="Not applicable", na_reason="-handled by parent company")
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    result = cli("questionnaire", "import-csv", "acme", path, "--root", root)
    assert result.exit_code == 0, result.output
    assert "stored 2 answers" in result.stdout and "'Not applicable' read as NA" in result.stdout
    with open_store(engagement_dir("acme", root)) as store:
        got = store.current_answers().set_index("criterion_id")
    assert got.loc[rows[0]["criterion_id"], "evidence"] == "=1+1"
    assert got.loc[rows[1]["criterion_id"], "na_reason"] == "-handled by parent company"
    assert cli("questionnaire", "export-csv", "acme", "--root", root, "--out-dir", tmp_path / "2").exit_code == 0
    text = (tmp_path / "2" / "acme-answers.csv").read_text(encoding="utf-8")
    assert ",'=1+1," in text and "'-handled by parent company" in text


def test_bad_csv_rows_are_named_by_line_and_column(fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("respondent,criterion_id,rating,na_reason\n"
                    f"{SAM},PR.INC.L2.01,F,\n"
                    f"nobody@acme.example.com,PR.INC.L2.01,F,\n"
                    f"{SAM},PR.ARC.L2.03,F,\n"
                    f"{SAM},PR.INC.L3.01,maybe,\n"
                    f"{SAM},PR.INC.L4.06,NA,\n"
                    f"{SAM},PR.INC.L2.01,P,\n", encoding="utf-8")
    with open_store(engagement_dir("acme", root)) as store:
        outcome = import_file(path, fw, acme, store, "csv", root)
        assert store.count("answers") == 0
    assert outcome.outcome == "rejected"
    assert [p.where for p in outcome.problems] == [
        "line 3, column respondent", "line 4, column criterion_id", "line 5, column rating", "line 6, column na_reason",
        "line 7, column criterion_id"]


def test_csv_missing_columns(fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("who,what\nx,y\n", encoding="utf-8")
    [problem] = read_csv(path, fw, acme).problems
    assert problem.where == "line 1" and "respondent, criterion_id, rating" in problem.message


# Characters XML 1.0 cannot hold are refused on the way in (tests/hostile.py); every other text
# round-trips, including the line and record separators a `splitlines()` reader used to split on.
LEGAL = st.characters(blacklist_categories=("Cs",), blacklist_characters=[
    *map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20)), "\ufffe", "\uffff"])
TEXT = st.text(st.one_of(st.sampled_from(list("=+-@'\t\r\n\",; \x85\u2028\u2029")), LEGAL), max_size=30)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.tuples(st.sampled_from(["F", "L", "P", "N", "NA", "DK"]),
                                st.one_of(st.none(), st.integers(1, 5)), TEXT, TEXT, TEXT), min_size=1, max_size=4))
def test_export_import_export_is_byte_identical_for_any_text(texts):
    from dsm_assess.capture.csvio import export_csv
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.framework.model import load_framework
    from dsm_assess.store.answers import Answer, is_blank

    from .conftest import KIT_QUESTIONNAIRES
    from .hostile import make_engagement

    fw = load_framework(KIT_QUESTIONNAIRES)  # cached; not the fixture, which hypothesis would print whole

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        eng = make_engagement(fw, root)
        ids = eng.criteria_for(fw, eng.respondent(SAM))
        answers = [Answer(SAM, cid, rating, (reason if not is_blank(reason) else "why") if rating == "NA" else reason,
                          conf, evidence, comment)
                   for cid, (rating, conf, reason, evidence, comment) in zip(ids, texts, strict=False)]
        with open_store(root / "acme") as store:
            store_answers(store, fw, answers, source="test")
            first = export_csv(fw, eng, store.current_answers(), root / "first.csv")
            outcome = import_file(first, fw, eng, store, "csv", root)
            assert outcome.outcome == "stored", [str(p) for p in outcome.problems]
            again = export_csv(fw, eng, store.current_answers(), root / "again.csv")
            got = store.current_answers().set_index("criterion_id")
        assert again.read_bytes() == first.read_bytes()
        for a in answers:
            for key in ("na_reason", "evidence", "comment"):
                typed, stored = getattr(a, key), got.loc[a.criterion_id, key]
                assert (None if stored is None or stored != stored else stored) == (None if is_blank(typed) else typed)


def test_a_line_break_inside_a_field_stays_and_later_lines_are_named_right(cli, fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("respondent,criterion_id,rating,evidence\n"
                    f'{SAM},PR.INC.L2.01,F,"Policy doc v193\nsee SharePoint"\n'
                    f'{SAM},PR.INC.L3.01,L,"one\r\ntwo\u2028three\x85four"\n'
                    f"{SAM},PR.INC.L4.06,maybe,\n", encoding="utf-8", newline="")
    outcome = read_csv(path, fw, acme)
    # Records start on lines 2, 4 and 6: CR LF is one line break, U+2028 and NEL are none for CSV.
    assert [(p.where, p.message[:14]) for p in outcome.problems] == [("line 6, column rating", "rating 'maybe'")]
    path.write_bytes(path.read_bytes().replace(b"maybe", b"P"))
    assert cli("questionnaire", "import-csv", "acme", path, "--root", root).exit_code == 0
    got = current_evidence(root)
    assert got == {"PR.INC.L2.01": "Policy doc v193\nsee SharePoint", "PR.INC.L3.01": "one\r\ntwo\u2028three\x85four",
                   "PR.INC.L4.06": None}


def test_the_kits_own_export_reimports_with_a_line_separator_and_no_confidence(cli, fw, acme, root, tmp_path):
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.store.answers import Answer

    with open_store(engagement_dir("acme", root)) as store:
        store_answers(store, fw, [Answer(SAM, "PR.INC.L2.01", "F", evidence="a\u2028b")], source="form")
    assert cli("questionnaire", "export-csv", "acme", "--root", root, "--out-dir", tmp_path).exit_code == 0
    result = cli("questionnaire", "import-csv", "acme", tmp_path / "acme-answers.csv", "--root", root)
    assert result.exit_code == 0, result.output
    assert current_evidence(root) == {"PR.INC.L2.01": "a\u2028b"}


def current_evidence(root) -> dict:
    with open_store(engagement_dir("acme", root)) as store:
        got = store.current_answers().set_index("criterion_id")["evidence"]
    return {k: None if v is None or v != v else v for k, v in got.items()}


def test_ten_rejected_attempts_of_a_million_row_file_keep_the_store_small(fw, acme, root, tmp_path):
    from .hostile import CASES, Corpus

    path = CASES["csv a million bad rows"].build(Corpus(fw, root, tmp_path))

    def size(store) -> int:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return store.db.execute("PRAGMA page_count").fetchone()[0] * store.db.execute("PRAGMA page_size").fetchone()[0]

    with open_store(engagement_dir("acme", root)) as store:
        before = size(store)
        for _ in range(10):
            outcome = import_file(path, fw, acme, store, "csv", root)
            assert outcome.outcome == "rejected"
        grown = size(store) - before
        rejected = store.imports().iloc[-1]
    assert grown / 10 < 6 * 1024, grown
    # 176 rows of an unknown respondent and the row after the last one the engagement can have
    assert rejected["problem_count"] == 177 and rejected["detail"].count("\n") == 19
    assert "more rows than engagement 'acme' has answers to give (176)" in outcome.problems[-2].message
    assert outcome.problems[-1].message == "and 76 more problem(s) not listed"


def test_text_a_spreadsheet_would_evaluate_is_written_marked_and_read_back_unmarked(fw, acme, root, tmp_path):
    from dsm_assess.capture.csvio import export_csv
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.store.answers import Answer

    texts = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=cmd", "\r=cmd", "'=already marked", "'plain quote", "plain"]
    ids = acme.criteria_for(fw, acme.respondent(SAM))
    with open_store(engagement_dir("acme", root)) as store:
        store_answers(store, fw, [Answer(SAM, cid, "F", evidence=t) for cid, t in zip(ids, texts, strict=False)],
                      source="form")
        path = export_csv(fw, acme, store.current_answers(), tmp_path / "out.csv")
    with path.open(newline="", encoding="utf-8") as f:
        written = [row["evidence"] for row in csv.DictReader(f)][:len(texts)]
    assert written == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=cmd", "'\r=cmd", "''=already marked", "'plain quote",
                       "plain"]
    assert [a.evidence for a in read_csv(path, fw, acme).answers] == texts
