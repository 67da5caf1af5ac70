"""What a consent audit finds: one ``Check`` per signal and surface, grouped in ``AuditItem``s of an ``AuditReport``.

Also the audit's limits, so a caller (the CLI) can bound a crawl without knowing how it runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import orjson

from fediverse.errors import FediverseError, Invalid

PRESENT, OPTIONAL, MISSING, CONFLICT, INVALID = "present", "optional", "missing", "conflict", "invalid"
FAILING = (MISSING, CONFLICT, INVALID)


class AuditError(FediverseError):
    """The audit could not start: the target is not an actor we can find."""


@dataclass(frozen=True)
class AuditLimits:
    max_pages: int = 5  # outbox pages followed
    max_items: int = 40  # objects audited (each: its JSON, its page)
    max_media: int = 40  # media URLs audited (each: HEAD, GET, conditional GET)
    max_bytes: int = 1_048_576  # JSON, HTML and text bodies
    max_media_bytes: int = 16 * 1_048_576  # media bodies read for XMP (a longer file is read this far)
    timeout: float = 10.0  # per request
    deadline: float = 300.0  # the whole audit
    max_redirects: int = 3

    def __post_init__(self) -> None:
        for name in ("max_pages", "max_items", "max_media", "max_bytes", "max_media_bytes", "max_redirects"):
            if getattr(self, name) < 0:
                raise Invalid(f"{name} must not be negative")
        if self.timeout <= 0 or self.deadline <= 0:
            raise Invalid("timeout and deadline must be positive")


@dataclass(frozen=True)
class Check:
    """One signal on one surface: ``surface`` "json-ld" | "header" | "html" | "xmp" | "file"."""

    surface: str
    name: str
    status: str  # present | optional (absent, not required) | missing | conflict | invalid
    value: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILING

    def label(self) -> str:
        return f"{self.surface}:{self.name}" if self.surface not in ("file",) else self.name


@dataclass
class AuditItem:
    kind: str  # actor | collection | object | attachment | page | media | avatar | robots.txt | tdmrep.json …
    url: str
    ours: bool
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    record: str = ""  # the record the expectations came from, as its Content-Usage string

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    def failed(self, strict: bool = False) -> bool:
        return (self.ours or strict) and (self.error is not None or bool(self.problems))

    def add(self, surface: str, name: str, status: str, value: Any = "") -> Check:
        text = value if isinstance(value, str) else orjson.dumps(value).decode() if value is not None else ""
        check = Check(surface, name, status, " ".join(text.split())[:160])
        self.checks.append(check)
        return check

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "ours": self.ours, "record": self.record, "error": self.error,
                "checks": [dataclasses.asdict(c) for c in self.checks]}


@dataclass
class AuditReport:
    target: str
    actor: str | None = None
    items: list[AuditItem] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # limits that were reached

    def failed(self, strict: bool = False) -> bool:
        return self.actor is None or any(item.failed(strict) for item in self.items)

    def exit_code(self, strict: bool = False) -> int:
        """0: every signal of ours is there; 1: something of ours lacks one; 2: the actor could not be audited."""
        if self.actor is None:
            return 2
        return 1 if self.failed(strict) else 0

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "actor": self.actor, "incomplete": self.incomplete,
                "failed": self.failed(), "items": [item.to_json() for item in self.items]}
