"""Text for the fediverse: the artist's plain text -> linked, safe HTML; remote HTML -> sanitised HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Iterable, Mapping
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

from fediverse.models.tags import normalize_tag

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


@dataclass(frozen=True)
class LocalMention:
    """A mention in a remote note whose account has a page here: the sender's link to it (the Mention tag's
    ``href``, the actor id), its handle ``user@domain`` and our page for it (absolute)."""

    href: str
    acct: str
    url: str


def localize_links(html: str, *, tag_url: str, hashtags: Mapping[str, str] = {},
                   mentions: Iterable[LocalMention] = ()) -> str:
    """Remote HTML -> sanitised HTML whose hashtag and mention links stay on this instance, as Mastodon's web UI
    opens its own tag page and its own view of a profile rather than the sender's.

    ``tag_url``: our tag page with ``{tag}`` for the normalised name; ``hashtags``: the note's Hashtag tags,
    href -> name as stated. A link is a hashtag when its href is a Hashtag tag's href (Misskey), or when its class
    says ``hashtag`` and its text is ``#name`` (Mastodon, Pixelfed and GoToSocial link a spelling of their own);
    it then leads to our page of the normalised name, and a name that is no valid tag leaves it alone. A link is a
    mention when its href is a known Mention's href (Pleroma, Akkoma), or when its class says ``mention``, its
    text is ``@user`` (or ``@user@domain``) of a known Mention and it points to that Mention's host (Mastodon
    links the profile page, not the actor id). Every other link stays as it is. The HTML is sanitised before the
    links are read and again after, so nothing here can let through what ``sanitize`` would not."""
    clean = sanitize(html)
    if "<a" not in clean:
        return clean
    relinker = _Relinker(tag_url, hashtags, list(mentions))
    relinker.feed(clean)
    relinker.close()
    return sanitize("".join(relinker.out))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class _Relinker(HTMLParser):
    """Re-emits sanitised HTML token by token, buffering each ``<a>`` until its end to read its text."""

    def __init__(self, tag_url: str, hashtags: Mapping[str, str], mentions: list[LocalMention]) -> None:
        super().__init__(convert_charrefs=True)
        self.tag_url, self.hashtags, self.mentions = tag_url, hashtags, mentions
        self.out: list[str] = []
        self._anchor: tuple[list[tuple[str, str | None]], list[str], list[str]] | None = None  # attrs, inner, text

    def _emit(self, piece: str) -> None:
        (self._anchor[1] if self._anchor is not None else self.out).append(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and self._anchor is None:
            self._anchor = (attrs, [], [])
        else:
            self._emit(_start_tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(_start_tag(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor is not None:
            self._flush_anchor()
        else:
            self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._emit(str(escape(data)))
        if self._anchor is not None:
            self._anchor[2].append(data)

    def close(self) -> None:
        super().close()
        if self._anchor is not None:  # an unclosed link (not after sanitize, but never lose text)
            self._flush_anchor()

    def _flush_anchor(self) -> None:
        assert self._anchor is not None
        attrs, inner, text = self._anchor
        self._anchor = None
        target = self._target(dict(attrs), "".join(text).strip())
        if target is not None:
            attrs = [(k, target if k == "href" else v) for k, v in attrs]
        self.out.append(_start_tag("a", attrs) + "".join(inner) + "</a>")

    def _target(self, attrs: dict[str, str | None], text: str) -> str | None:
        href = attrs.get("href") or ""
        if not href:
            return None
        classes = set((attrs.get("class") or "").split())
        name = self.hashtags.get(href)
        if name is None and "hashtag" in classes and text[:1] in ("#", "\uff03"):
            name = text
        if name is not None:
            tag = normalize_tag(name)
            return self.tag_url.format(tag=tag) if tag is not None else None
        for mention in self.mentions:
            if href == mention.href:
                return mention.url
        if "mention" in classes and text.startswith("@"):
            user, _, domain = text[1:].partition("@")
            for mention in self.mentions:
                known_user, _, known_domain = mention.acct.partition("@")
                if user.lower() == known_user.lower() and (not domain or domain.lower() == known_domain.lower()) \
                        and _host(href) and _host(href) == _host(mention.href):
                    return mention.url
        return None


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    rendered = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
    return f"<{tag}{rendered}>"
