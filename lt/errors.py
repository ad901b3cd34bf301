"""The one error type and the one table that turns outcomes into exit codes.

Exit codes (documented in the README):

| code | meaning |
|------|---------|
| 0    | success |
| 1    | error: the command could not do its job (message and hint on stderr) |
| 2    | usage: a bad option or argument |
| 3    | some input was rejected: skipped, emitted as `error` events or dead-lettered, or `--on-bad fail` stopped at it |
| 4    | a service stayed unavailable or hung (database, device); unsaved data was spilled to files named on stderr |
| 5    | a check failed: `lt score` found an error rate above `--max-wer` / `--max-cer` |
| 130  | interrupted (Ctrl-C / SIGINT), after passing on what was read (lt.shutdown) |
| 141  | the reader of stdout went away (broken pipe, e.g. `| head`) |
| 143  | terminated (SIGTERM) |
"""

from __future__ import annotations

import enum
import re


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    REJECTED_INPUT = 3
    UNAVAILABLE = 4
    CHECK_FAILED = 5
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


class LtError(Exception):
    """An expected failure: a one-line message, a hint on how to fix it, an exit code."""

    def __init__(self, message: str, hint: str | None = None, code: ExitCode = ExitCode.ERROR):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return self.message


class Terminated(Exception):
    """Raised in the main thread when SIGTERM arrives, so stages unwind and flush like on Ctrl-C."""


def missing_extra(module: str, extra: str) -> LtError:
    return LtError(
        f"the optional package {module!r} is not installed",
        hint=f"install it with: pip install 'lt[{extra}]'",
    )


# The secret may hold spaces (a malformed URL still carries a real password), not a slash.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@/\n]+)(?P<tail>@)", re.I)
_KEY_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'[^']*'|\S+)", re.I)


def redact(text: str) -> str:
    """Mask passwords in connection strings so they never reach logs or error messages."""
    text = _URL_PASSWORD.sub(r"\g<head>***\g<tail>", text)
    return _KEY_PASSWORD.sub(r"\g<head>***", text)
