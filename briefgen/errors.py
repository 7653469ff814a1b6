"""The one error vocabulary of briefgen: every error a user can cause, with its exit code."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the fact base, located as `file:line: fact-id: message`."""

    file: str
    line: int | None
    subject: str | None
    message: str
    severity: str = "error"  # error | warning (fails --strict) | note (reported, already told in the briefs)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = f" {self.subject}:" if self.subject else ""
        tag = f"{self.severity}: " if self.severity != "error" else ""  # warning, or note (told, not a fault)
        return f"{where}:{subject} {tag}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "id": self.subject,
            "severity": self.severity,
            "message": self.message,
        }


class BriefgenError(Exception):
    """Raised for any error the user can fix; carries the exit code to leave with."""

    exit_code = EXIT_CONTENT


class UsageError(BriefgenError):
    """Raised when options or configuration are wrong (unknown audience, bad config file)."""

    exit_code = EXIT_USAGE


class FactBaseError(BriefgenError):
    """Raised when the fact base has errors; carries every problem found in one run."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"the fact base has {len(errors)} error(s)")


class TemplateError(BriefgenError):
    """Raised when a template fails to load or render; names the template and line."""


class BuildError(BriefgenError):
    """Raised when a brief fails its own checks or cannot be written; nothing is written."""


class PartlyPublished(BuildError):
    """Raised when a failed publish could not put every previous file back; names the new ones."""

    def __init__(self, message: str, new: list[str]):
        super().__init__(message)
        self.new = new


class SourceError(BriefgenError):
    """Raised when a document cannot be registered as a source (no text, encrypted, a duplicate); nothing is written."""
