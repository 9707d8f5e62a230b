"""Who a form link belongs to: respondents' tokens (issued in the store like a workbook's) and the
consultant's token (made per run of `form serve`), matched in constant time.

A token is the only thing that grants access: no request header, address or page field is ever
consulted. Anything that is not exactly an issued token (missing, empty, malformed, unknown, in
another case, with spaces) matches nobody.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.store.backend import open_store
from dsm_assess.store.base import Store

CHANNEL = "form"
REFUSAL = "This link is not valid for this assessment. Please use the link your consultant sent you."
# What `secrets.token_urlsafe` makes; anything else is refused before any comparison.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True)
class Holder:
    """Whom a token opens the form for: a respondent (their e-mail and subjects) or the consultant."""

    token: str
    respondent: str | None = None
    subjects: tuple[str, ...] = ()

    @property
    def consultant(self) -> bool:
        return self.respondent is None


def new_consultant_token() -> str:
    return secrets.token_urlsafe(24)


def check_consultant_token(token: str) -> str:
    """A consultant token given on the command line, if it is safe to use in a link."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise DsmError("--consultant-token: use 20 to 128 letters, digits, '-' or '_' (or leave it out and "
                       "`form serve` makes one)")
    return token


def issue_form_token(slug: str, respondent: str, root: str | Path | None = None, fw: Framework | None = None) -> str:
    """A respondent's own link token for the form (recorded in the store, channel "form")."""
    fw = fw or load_framework()
    eng = load_engagement(slug, root, fw)
    person = eng.respondent(respondent)
    with open_store(engagement_dir(slug, root), slug) as store:
        return store.issue_token(person.email, eng.subjects_of(person), fw.bank_version, channel=CHANNEL)


def _same(given: bytes, issued: str) -> bool:
    return hmac.compare_digest(given, issued.encode("ascii"))


def match_token(given: str | None, store: Store, consultant_token: str) -> Holder | None:
    """The holder of `given`, or None. Every issued token is compared (no early exit), each with
    `hmac.compare_digest`, so the time taken does not tell how close a guess came."""
    if not given or not TOKEN_SHAPE.fullmatch(given):
        return None
    raw = given.encode("ascii")
    found: Holder | None = None
    if _same(raw, consultant_token):
        found = Holder(given)
    for row in store.issued_tokens(CHANNEL):
        if _same(raw, row["token"]) and found is None:
            found = Holder(given, row["respondent"], tuple(row["subjects"]))
    return found
