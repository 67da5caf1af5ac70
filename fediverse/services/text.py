"""Text for the fediverse: the artist's plain text -> linked, safe HTML; remote HTML -> sanitised HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3
from markupsafe import Markup, escape

# Mastodon's strict sanitiser (interop doc §6.6): what survives on every server anyway.
ALLOWED_TAGS = {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
                "ul", "ol", "li", "ruby", "rt", "rp"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "translate"}, "span": {"class", "translate"}, "ol": {"start", "reversed"},
                      "li": {"value"}, "p": {"class"}, "*": {"lang"}}
URL_SCHEMES = {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
_CLASS_RE = re.compile(r"^(h|p|u|dt|e)-|^(mention|hashtag|ellipsis|invisible|quote-inline)$")

URL_PATTERN = r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"  # a trailing full stop or bracket is not part of it
URL_RE = re.compile(URL_PATTERN, re.IGNORECASE)
TOKEN_RE = re.compile(
    rf"(?P<url>{URL_PATTERN})"
    r"|(?<![\w@/])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@(?P<domain>[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?|localhost(?::\d+)?)"
    r"|(?<![\w&/#])#(?P<tag>\w*[^\W\d_]\w*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MentionTarget:
    acct: str  # user@domain, lower-case
    uri: str  # actor id
    url: str  # profile page (what the link shows)


@dataclass
class Formatted:
    html: str
    tags: list[str] = field(default_factory=list)
    mentions: list[MentionTarget] = field(default_factory=list)


def plain_to_html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{Markup('<br>').join(escape(line) for line in p.strip().split(chr(10)))}</p>" for p in paragraphs)


def mentioned_accts(text: str) -> list[str]:
    """user@domain handles written as @user@domain, in order, without repeats."""
    found = (f"{m['user']}@{m['domain']}".lower() for m in TOKEN_RE.finditer(text) if m["user"])
    return list(dict.fromkeys(found))


def format_post(text: str, *, tag_url: str, mentions: dict[str, MentionTarget]) -> Formatted:
    """Paragraphs, links, #hashtags (Mastodon's markup) and resolved @mentions; unresolved ones stay text."""
    result = Formatted(html="")
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [_format_line(line, tag_url, mentions, result) for line in paragraph.split("\n")]
        rendered.append("<p>" + "<br>".join(lines) + "</p>")
    result.html = sanitize("".join(rendered))
    return result


def _format_line(line: str, tag_url: str, mentions: dict[str, MentionTarget], result: Formatted) -> str:
    out: list[str] = []
    position = 0
    for match in TOKEN_RE.finditer(line):
        out.append(str(escape(line[position:match.start()])))
        position = match.end()
        if match["url"]:
            url = match["url"]
            out.append(f'<a href="{escape(url)}" rel="nofollow noopener" target="_blank">{escape(url)}</a>')
        elif match["user"]:
            target = mentions.get(f"{match['user']}@{match['domain']}".lower())
            if target is None:
                out.append(str(escape(match.group(0))))
                continue
            if target not in result.mentions:
                result.mentions.append(target)
            out.append(f'<span class="h-card"><a href="{escape(target.url)}" class="u-url mention">'
                       f'@<span>{escape(match["user"])}</span></a></span>')
        else:
            tag = match["tag"]
            if tag.lower() not in result.tags:
                result.tags.append(tag.lower())
            out.append(f'<a href="{escape(tag_url.format(tag=tag.lower()))}" class="mention hashtag" rel="tag">'
                       f'#<span>{escape(tag)}</span></a>')
    out.append(str(escape(line[position:])))
    return "".join(out)


def link_urls(text: str) -> str:
    """Escaped text with its http(s) URLs as links (rel=me, so Mastodon can verify profile links)."""
    out, position = [], 0
    for match in URL_RE.finditer(text):
        url = match.group(0)
        out += [str(escape(text[position:match.start()])),
                f'<a href="{escape(url)}" rel="me nofollow noopener" target="_blank">{escape(url)}</a>']
        position = match.end()
    out.append(str(escape(text[position:])))
    return "".join(out)


def sanitize(html: str) -> str:
    """Keep only what Mastodon's strict sanitiser keeps; every link gets rel=nofollow noopener."""
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer", attribute_filter=_keep_attribute,
        clean_content_tags={"script", "style"},
    )


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = " ".join(c for c in value.split() if _CLASS_RE.match(c))
    return kept or None
