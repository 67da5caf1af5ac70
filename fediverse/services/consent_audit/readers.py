"""Readers for what a crawled page or file holds: HTML <head> elements, an image's XMP packet, robots.txt rules.

Lenient by design: a hostile or broken file yields what could be read, never an exception that stops the audit.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser

from fediverse.consent.xmp import MAX_XMP_BYTES  # the audit reads what the live pipeline reads


class _Head(HTMLParser):
    """<meta name=…>, <link rel=…>, <img src>, <script type=application/ld+json> of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[tuple[set[str], str]] = []
        self.images: list[str] = []
        self.ld_json: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and "name" in a:
            self.meta.append((a["name"].strip().lower(), a.get("content", "")))
        elif tag == "link" and "rel" in a:
            self.links.append(({r.lower() for r in a["rel"].split()}, a.get("href", "")))
        elif tag == "img" and a.get("src"):
            self.images.append(a["src"])
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in_ld = True
            self.ld_json.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld_json[-1] += data

    def values(self, name: str) -> list[str]:
        return [content for meta_name, content in self.meta if meta_name == name]


def parse_html(body: bytes) -> _Head:
    head = _Head()
    try:
        head.feed(body.decode("utf-8", "replace"))
        head.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; a hostile page must not stop the audit
        pass
    return head


def xmp_from_bytes(data: bytes) -> bytes | None:
    """The XMP packet of an image: what Pillow exposes, else the first <x:xmpmeta> … </x:xmpmeta> in the bytes."""
    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                for key in ("xmp", "XML:com.adobe.xmp"):
                    value = im.info.get(key)
                    if value:
                        return value if isinstance(value, bytes) else str(value).encode("utf-8")
    except Exception:  # noqa: BLE001 - truncated, unknown or hostile file: fall back to the byte search
        pass
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start, start + MAX_XMP_BYTES)
    return data[start:end + len(b"</x:xmpmeta>")] if end > 0 else None


@dataclass(frozen=True)
class RobotsGroup:
    agents: tuple[str, ...]
    rules: tuple[tuple[bool, str], ...]  # (allow, pattern)
    extras: tuple[tuple[str, str], ...]  # other lines: (lower-cased key, value), e.g. content-usage


def parse_robots(text: str, *, max_lines: int = 10_000) -> list[RobotsGroup]:
    """RFC 9309 groups (user-agent lines, then rules); unknown lines stay with their group as extras."""
    groups: list[RobotsGroup] = []
    agents: list[str] = []
    rules: list[tuple[bool, str]] = []
    extras: list[tuple[str, str]] = []
    in_rules = False

    def close() -> None:
        if agents:
            groups.append(RobotsGroup(tuple(agents), tuple(rules), tuple(extras)))

    for raw in text.splitlines()[:max_lines]:
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                close()
                agents, rules, extras, in_rules = [], [], [], False
            agents.append(value.lower())
        elif key in ("allow", "disallow"):
            in_rules = True
            if value:
                rules.append((key == "allow", value))
        else:
            in_rules = in_rules or bool(agents)
            extras.append((key, value))
    close()
    return groups


def robots_group(groups: list[RobotsGroup], token: str) -> list[RobotsGroup]:
    named = [g for g in groups if token.lower() in g.agents]
    return named or [g for g in groups if "*" in g.agents]


def path_pattern(pattern: str) -> re.Pattern[str]:
    """A robots.txt path pattern (``*`` any run, ``$`` the end) as a regular expression, matched from the start."""
    anchored = pattern.endswith("$")
    body = re.escape(pattern.rstrip("$")).replace(r"\*", ".*")
    return re.compile(body + ("$" if anchored else ""))


def robots_allows(groups: list[RobotsGroup], path: str) -> bool:
    """Longest matching rule wins, Allow on a tie; no rule: allowed (RFC 9309 §2.2.2)."""
    best: tuple[int, bool] | None = None
    for group in groups:
        for allow, pattern in group.rules:
            if path_pattern(pattern).match(path):
                candidate = (len(pattern), allow)
                if best is None or candidate[0] > best[0] or (candidate[0] == best[0] and allow):
                    best = candidate
    return True if best is None else best[1]


def content_usage_for(groups: list[RobotsGroup], path: str) -> str | None:
    """The AIPREF ``Content-Usage`` rule of robots.txt that applies to ``path`` (most specific path first)."""
    general: str | None = None
    best: tuple[int, str] | None = None
    for group in groups:
        for key, value in group.extras:
            if key != "content-usage":
                continue
            if value.startswith("/"):
                prefix, _, prefs = value.partition(" ")
                if path_pattern(prefix).match(path) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), prefs.strip())
            elif general is None:
                general = value
    return best[1] if best else general
