"""The one answer model: text rules shared by every channel, typed ratings, the row reader."""

from __future__ import annotations

import pytest

from dsm_assess.core.errors import BadValue
from dsm_assess.store.answers import (
    EXTRA_WORDS,
    MAX_TEXT,
    Answer,
    check_answer,
    clean_text,
    parse_rating,
    rating_lookup,
    rating_words,
    xml_safe_problem,
)


@pytest.mark.parametrize("text, problem", [
    ("ab\x0bc", "contains U+000B (vertical tab) at character 3"),
    ("\x00", "contains U+0000 (null) at character 1"),
    ("x\x0c", "contains U+000C (form feed) at character 2"),
    ("rs \x1e", "contains U+001E (record separator) at character 4"),
    ("\x1c", "contains U+001C (file separator) at character 1"),
    ("a\x01", "contains U+0001 (a control character) at character 2"),
    ("lone \udc80", "contains U+DC80 (a lone surrogate) at character 6"),
    ("\uffff", "contains U+FFFF (a non-character) at character 1"),
])
def test_characters_xml_cannot_hold_are_named_with_their_place(text, problem):
    assert xml_safe_problem(text) == f"{problem}, which a workbook cannot hold"


@pytest.mark.parametrize("text", ["tab\there", "new\nline", "cr\rlf", "\x85\u2028\u2029", "🙂", "\ufeffbom", ""])
def test_characters_xml_holds_pass(text):
    assert xml_safe_problem(text) is None


def test_text_is_kept_exactly_as_typed_and_blank_is_no_text():
    assert clean_text("  two  spaces \n", "comment") == "  two  spaces \n"
    assert clean_text(" \t\n", "comment") is None and clean_text(None, "comment") is None
    assert clean_text("x" * MAX_TEXT, "comment") == "x" * MAX_TEXT
    with pytest.raises(BadValue, match="comment is 10,001 characters; at most 10,000"):
        clean_text("x" * (MAX_TEXT + 1), "comment")
    with pytest.raises(BadValue, match=r"evidence contains U\+000B \(vertical tab\) at character 2, which a "
                                         "workbook cannot hold; remove it"):
        clean_text("a\x0b", "evidence")


def test_an_answer_from_outside_a_file_is_checked_field_by_field():
    bad = Answer("sam@x.com", "PR.INC.L2.01", "NA", na_reason="a\x07", comment="ok")
    assert check_answer(bad) == ["sam@x.com, PR.INC.L2.01: N/A reason contains U+0007 (bell) at character 2, which "
                                 "a workbook cannot hold; remove it"]
    assert check_answer(Answer("sam@x.com", "PR.INC.L2.01", "F", evidence="fine")) == []


@pytest.mark.parametrize("typed, code", [
    ("largely", "L"), ("Fully", "F"), ("mostly", "L"), ("partially", "P"), ("not achieved", "N"), ("n/a", "NA"),
    ("dont know", "DK"), ("Don’t know", "DK"), ("  NOT   Achieved ", "N"), ("Yes, always", "F"), ("Sometimes", "P"),
    ("No, or hardly ever", "N"), ("Does not apply to us", "NA"), ("I don't know", "DK"), ("L - Largely achieved", "L"),
])
def test_typed_ratings_are_read_and_reported_as_normalised(fw, typed, code):
    assert parse_rating(typed, rating_lookup(fw), {"L - Largely achieved"}) == (code, typed != "L - Largely achieved")


def test_every_extra_word_belongs_to_one_rating_and_is_offered(fw):
    words = rating_words(fw)
    lookup = rating_lookup(fw)  # raises if one spelling meant two ratings
    for code, extra in EXTRA_WORDS.items():
        shown = {w.casefold().replace("\u2019", "'") for w in words[code]}
        assert {e.casefold() for e in extra} <= shown
        assert all(lookup[e.casefold()] == code for e in extra)
    with pytest.raises(BadValue, match="is not one of"):
        parse_rating("maybe", lookup, set())


def test_a_parsed_file_crosses_to_another_process_unchanged():
    import pickle

    from dsm_assess.core.errors import Problem
    from dsm_assess.store.answers import Parsed

    parsed = Parsed(answers=[Answer("a@x.com", "PR.INC.L2.01", "NA", "no desk", 3, "doc", None)], notes=["n"],
                    problems=[Problem("f.xlsx", "sheet PR.INC, cell E4", "bad")], respondent="a@x.com",
                    warnings=["w"], blank=["PR.INC.L3.01"], token="t", subjects=["PR.INC"], omitted=2)
    assert pickle.loads(pickle.dumps(parsed)) == parsed
