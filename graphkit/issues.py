"""Problems found in input data, each naming the file, the row (line) and the column."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported where used: light enough for 'graphkit … --help'
    import pandas as pd

ISSUE_COLUMNS = ("level", "file", "line", "column", "message")


@dataclass(frozen=True)
class Issue:
    """One problem in one place. ``line`` is the physical line in the file (header = 1)."""

    level: str  # "error": data not loaded; "warning": loaded with a change
    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{self.level}: {where}: {self.message}"


class InputError(Exception):
    """Input that cannot be used at all (unreadable file, bad loader spec)."""


@dataclass
class IssueLog:
    """Collects issues; echoes the first few of each kind to a stream, keeps them all."""

    echo: TextIO | None = None
    per_kind_limit: int = 5
    issues: list[Issue] = field(default_factory=list)
    _shown: Counter = field(default_factory=Counter)

    def add(self, level: str, file: str | Path, line: int | None, column: str | None,
            message: str) -> None:
        """Record an issue (``file`` is shown by its name only)."""
        issue = Issue(level, Path(file).name, line, column, message)
        self.issues.append(issue)
        kind = (issue.file, issue.column, message.split(":")[0])
        self._shown[kind] += 1
        if self.echo is not None and self._shown[kind] <= self.per_kind_limit:
            print(issue, file=self.echo)
            if self._shown[kind] == self.per_kind_limit:
                print(f"  (further issues like this in {issue.file} are only counted)",
                      file=self.echo)

    def warn(self, file: str | Path, line: int | None, column: str | None, message: str) -> None:
        """Record a warning: the data was loaded, with the change the message says."""
        self.add("warning", file, line, column, message)

    def error(self, file: str | Path, line: int | None, column: str | None, message: str) -> None:
        """Record an error: the named data was not loaded."""
        self.add("error", file, line, column, message)

    @property
    def counts(self) -> Counter:
        """Number of issues by level."""
        return Counter(i.level for i in self.issues)

    def to_frame(self) -> pd.DataFrame:
        """All issues as a frame with ``ISSUE_COLUMNS``."""
        import pandas as pd

        return pd.DataFrame([asdict(i) for i in self.issues], columns=list(ISSUE_COLUMNS))


def stderr_log() -> IssueLog:
    """An issue log that echoes to standard error."""
    return IssueLog(echo=sys.stderr)
