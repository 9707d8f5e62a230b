"""Exceptions the kit raises for user mistakes.

Every user mistake (a broken YAML file, a bad workbook, an unknown id) is a `DsmError`; the CLI
prints its message and exits with its `exit_code` instead of a traceback. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong."""

    file: str
    where: str
    message: str
    line: int | None = None
    rule: str | None = None  # which check found it, for linters

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "where": self.where, "message": self.message,
                "rule": self.rule}


class DsmError(Exception):
    """A user mistake the CLI reports in plain words."""

    exit_code = 1


class BadValue(DsmError, ValueError):
    """One value (a rating, a text field) that cannot be stored; readers turn it into a located
    problem, and a caller outside a reader sees the kit's own error."""


class InvalidInput(DsmError):
    """One or more problems found in files a user edits; all are reported together."""

    def __init__(self, problems: list[Problem], summary: str = "invalid input"):
        self.problems = list(problems)
        self.summary = summary
        super().__init__(f"{summary}:\n" + "\n".join(str(p) for p in self.problems))


class FrameworkInvalid(InvalidInput):
    """The framework or question bank under questionnaires/ does not validate."""


class NotFound(DsmError):
    """An id, engagement or file that was asked for does not exist."""
