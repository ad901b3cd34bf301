"""What a job runs, as the JSON arguments it travels with on the queue.

A job stores into a session fixed when it was submitted, so a retry (after a
failure or a killed worker) produces the same event ids and the store keeps
each event once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FILE_TASK = "lt.transcribe_file"
SESSION_TASK = "lt.rerun_session"
TASKS = (FILE_TASK, SESSION_TASK)

# Tried in order after the job's own model when that one cannot load (missing, out of memory).
DEFAULT_FALLBACK = ("small", "base", "tiny.en")


@dataclass(frozen=True)
class JobSpec:
    kind: str  # "file": a recording; "session": a stored session re-run
    input: str  # the file's absolute path or URL, or the stored session's id
    session: str  # the session the job stores into
    model: str | None = "base"  # Whisper model; None: a session re-run that only translates
    fallback: tuple[str, ...] = DEFAULT_FALLBACK
    targets: tuple[str, ...] = ()
    translate_models: tuple[str, ...] = ()  # PAIR=PATH or PATH, as `lt translate --model` takes them
    language: str | None = None
    retries: int = 2
    beam_size: int = 5

    @property
    def task(self) -> str:
        return FILE_TASK if self.kind == "file" else SESSION_TASK

    @property
    def transcribes(self) -> bool:
        return self.model is not None

    def models(self) -> list[str]:
        """The job's model, then the fallback chain below it (a model already tried is not tried again)."""
        chain = list(self.fallback)
        if self.model in chain:
            chain = chain[chain.index(self.model) + 1:]
        return list(dict.fromkeys([self.model, *chain])) if self.model else []

    def args(self) -> dict[str, Any]:
        data = asdict(self)
        data["fallback"] = list(self.fallback)
        data["targets"] = list(self.targets)
        data["translate_models"] = list(self.translate_models)
        return data

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> JobSpec:
        known = {k: v for k, v in args.items() if k in cls.__dataclass_fields__}
        known["fallback"] = tuple(known.get("fallback") or ())
        known["targets"] = tuple(known.get("targets") or ())
        known["translate_models"] = tuple(known.get("translate_models") or ())
        return cls(**known)
