"""Consent signals in a remote server's HTTP response headers."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from fediverse.consent import vocab
from fediverse.consent.inbound.readers import (
    licence_links, read_content_usage, read_tdm_reservation, read_url, read_x_robots,
)
from fediverse.consent.inbound.signals import MAX_HEADER, OUR_TOKENS, Collector, InboundSignals


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if hasattr(headers, "multi_items"):
        items = list(headers.multi_items())
    elif isinstance(headers, Mapping):
        items = list(headers.items())
    else:
        items = list(headers)
    out = []
    for pair in items[:1000]:
        try:
            name, value = pair
        except (TypeError, ValueError):
            continue
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(name, str) and isinstance(value, str):
            out.append((name.strip().lower(), value))
    return out


_READ_HEADERS = frozenset({"x-robots-tag", "tdm-reservation", "tdm-policy", "content-usage", "link"})


def signals_from_headers(headers: Any, *, user_agent_tokens: Iterable[str] = OUR_TOKENS) -> InboundSignals:
    """Read a remote response's headers: X-Robots-Tag (every line), tdm-reservation/-policy, Content-Usage, Link.

    ``headers``: httpx/Starlette headers (``multi_items()``), a mapping, or ``[(name, value), …]`` (str or
    bytes). Header names are case-insensitive; pass every line of repeated headers (a plain dict keeps one).
    """
    c = Collector("http")
    by_name: dict[str, list[str]] = {}
    for name, value in _header_items(headers):
        if name not in _READ_HEADERS:
            continue
        if len(value) > MAX_HEADER:
            c.note(name, value, f"refused: longer than {MAX_HEADER} characters; not read")
            continue
        by_name.setdefault(name, []).append(value)
    if "x-robots-tag" in by_name:
        read_x_robots(c, by_name["x-robots-tag"], vocab.X_ROBOTS_TAG, user_agent_tokens)
    if "tdm-reservation" in by_name:
        read_tdm_reservation(c, by_name["tdm-reservation"], vocab.TDM_RESERVATION)
    for value in by_name.get("tdm-policy", [])[:1]:
        read_url(c, value.strip(), vocab.TDM_POLICY, "tdm_policy")
    if "content-usage" in by_name:
        read_content_usage(c, by_name["content-usage"], vocab.CONTENT_USAGE)
    for url in licence_links(by_name.get("link", []))[:1]:
        read_url(c, url, vocab.LINK, "licence_url")
    return c.result()
