"""Errors that reach township staff: bad input (file, line, field) and blocked rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from congress.messages import msg


@dataclass(frozen=True)
class Problem:
    file: str
    problem: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where += msg("input.line", line=self.line)
        if self.field:
            where += msg("input.field", field=self.field)
        return msg("input.error", file=self.file, where=where, problem=self.problem)


class InputError(Exception):
    """One or more problems in files a user gave; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def display_path(path: Path) -> str:
    """The path as the user typed it, relative to the working folder where possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class SessionHalted(Exception):
    """The session is cancelled or postponed: no step runs until it is reinstated or rescheduled."""


class SessionBusy(Exception):
    """Another run of the same session holds it; this run did nothing."""


class OutputWriteError(OSError):
    """A file could not be written (disk full, read-only or forbidden folder); the step is not done.

    An OSError still (tasks retry I/O errors), whose text is one line for staff naming the file, the cause
    and the fix. Files are written whole or not at all, so nothing half-written is left behind.
    """

    def __init__(self, path: Path, cause: OSError):
        import errno

        reason = {errno.ENOSPC: "runs.write.no_space", errno.EDQUOT: "runs.write.no_space",
                  errno.EROFS: "runs.write.read_only", errno.EACCES: "runs.write.forbidden",
                  errno.EPERM: "runs.write.forbidden"}.get(cause.errno or 0, "runs.write.other")
        self.message = msg("runs.write_failed", path=display_path(path),
                           cause=msg(reason, detail=cause.strerror or str(cause)))
        super().__init__(cause.errno, self.message, str(path))

    def __str__(self) -> str:
        return self.message
