"""What the inbound readers produce: tri-state signals with their provenance, and ``combine``
(any disallow wins, then any allow, else unknown)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fediverse.consent import vocab
from fediverse.consent.record import ConsentRecord, stricter_training


OUR_TOKENS: tuple[str, ...] = ("fediverse",)  # the product token in our fetcher's User-Agent
MAX_RAW = 200  # raw values are kept in provenance up to this length
MAX_HEADER = 16 * 1024
MAX_LIST = 64
ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Organization", "Application"})


@dataclass(frozen=True)
class Provenance:
    """One signal seen: where (``source``), which (``signal``), the raw value, and what we took it to mean.

    ``meaning`` is ``"field=value"`` pairs, or starts with ``"unparseable:"``, ``"refused:"`` or ``"ignored:"``.
    """

    source: str  # "activitypub" | "http" | "xmp"
    signal: str
    value: str
    meaning: str

    @property
    def is_problem(self) -> bool:
        return self.meaning.startswith(("unparseable:", "refused:"))


@dataclass(frozen=True)
class InboundSignals:
    ai_training: str | None = None
    tdm_reserved: bool | None = None
    ai_input: bool | None = None
    search: bool | None = None
    licence_url: str | None = None
    licence_text: str | None = None
    attribution: str | None = None
    creator: str | None = None
    tdm_policy: str | None = None
    digital_source_type: str | None = None
    provenance: tuple[Provenance, ...] = ()

    @property
    def problems(self) -> tuple[Provenance, ...]:
        """Signals that were present but could not be read (malformed, refused, too large)."""
        return tuple(p for p in self.provenance if p.is_problem)

    @property
    def unparseable(self) -> bool:
        return bool(self.problems)

    @property
    def known(self) -> bool:
        """Did any source state a consent preference at all?"""
        return any(v is not None for v in (self.ai_training, self.tdm_reserved, self.ai_input, self.search))

    def combine(self, *others: InboundSignals) -> InboundSignals:
        return combine(self, *others)

    def to_record(self, default: ConsentRecord) -> ConsentRecord:
        """A full record: what the sources said, the default for everything they did not say."""
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("ai_training", "tdm_reserved", "ai_input", "search", "digital_source_type")
            if getattr(self, name) is not None
        }
        if self.licence_url:
            changes["licence_url"] = self.licence_url
        attribution = self.attribution or self.creator
        if attribution:
            changes["attribution"] = " ".join(attribution.split())[:500]
        return dataclasses.replace(default, **changes)


def combine(*signals: InboundSignals) -> InboundSignals:
    """Merge readings: any disallow wins, then any allow, else unknown; other fields: first one given."""
    out = InboundSignals()
    for s in signals:
        dst = out.digital_source_type
        if s.digital_source_type and (dst is None or (vocab.is_ai_source_type(s.digital_source_type)
                                                      and not vocab.is_ai_source_type(dst))):
            dst = s.digital_source_type
        out = InboundSignals(
            ai_training=stricter_training(out.ai_training, s.ai_training),
            tdm_reserved=_any_true(out.tdm_reserved, s.tdm_reserved),
            ai_input=_any_false(out.ai_input, s.ai_input),
            search=_any_false(out.search, s.search),
            licence_url=out.licence_url or s.licence_url,
            licence_text=out.licence_text or s.licence_text,
            attribution=out.attribution or s.attribution,
            creator=out.creator or s.creator,
            tdm_policy=out.tdm_policy or s.tdm_policy,
            digital_source_type=dst,
            provenance=out.provenance + s.provenance,
        )
    return out


def _any_true(a: bool | None, b: bool | None) -> bool | None:
    return True if True in (a, b) else (False if False in (a, b) else None)


def _any_false(a: bool | None, b: bool | None) -> bool | None:
    return False if False in (a, b) else (True if True in (a, b) else None)


class Collector:
    """Accumulates findings from one source, most restrictive first-come."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[str, Any] = {}
        self.provenance: list[Provenance] = []

    def note(self, signal: str, raw: Any, meaning: str) -> None:
        text = raw if isinstance(raw, str) else repr(raw)
        self.provenance.append(Provenance(self.source, signal, text[:MAX_RAW], meaning))

    def set(self, signal: str, raw: Any, **fields: Any) -> None:
        for name, value in fields.items():
            old = self.values.get(name)
            if name == "ai_training":
                value = stricter_training(old, value)
            elif name == "tdm_reserved":
                value = _any_true(old, value)
            elif name in ("ai_input", "search"):
                value = _any_false(old, value)
            elif old is not None:
                value = old
            self.values[name] = value
        self.note(signal, raw, ", ".join(f"{k}={v}" for k, v in fields.items()))

    def result(self) -> InboundSignals:
        return InboundSignals(**self.values, provenance=tuple(self.provenance))
