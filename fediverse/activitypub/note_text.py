"""What a remote note's HTML says once the markup is gone: its words, its links, and a fingerprint of the text.

Spam checks (fediverse.inbox.quarantine) need three facts about a note, independent of how each server marks
it up: the visible words without mentions, hashtags and links (a "link-only" post has none left), the links
it points to, and a normalised form of the text so the same message sent to many people is recognised even
when each copy mentions someone else. Pure: a small html.parser pass, no network.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_BARE_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_MENTION_OR_TAG = re.compile(r"(?<![\w])[@#][\w.@-]+", re.UNICODE)


@dataclass(frozen=True)
class NoteText:
    words: str                # visible text outside links, mentions and hashtags, lower-cased, spaces collapsed
    links: tuple[str, ...]    # hrefs of links that are not mentions or hashtags (and bare URLs in the text)

    @property
    def link_only(self) -> bool:
        """Nothing but links (and mentions): the classic drive-by spam post."""
        return bool(self.links) and not self.words

    @property
    def fingerprint(self) -> str:
        """The same message to different people: words and links, mentions left out."""
        basis = self.words + "\n" + "\n".join(sorted(set(self.links)))
        return hashlib.sha256(basis.encode()).hexdigest()[:32]


class _Reader(HTMLParser):
    def __init__(self, mention_hrefs: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.mention_hrefs = mention_hrefs
        self.text: list[str] = []
        self.links: list[str] = []
        self._anchors: list[bool] = []  # for each open <a>: is it a link (True) or a mention/hashtag (False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            href = (found.get("href") or "").strip()
            classes = (found.get("class") or "").split()
            is_link = bool(href) and href not in self.mention_hrefs and not {"mention", "hashtag"} & set(classes) \
                and found.get("rel") != "tag"
            if is_link:
                self.links.append(href)
            self._anchors.append(is_link)
        elif tag in ("br", "p"):
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchors:
            self._anchors.pop()

    def handle_data(self, data: str) -> None:
        if not self._anchors:  # text inside any anchor is its label, not words of the message
            self.text.append(data)


def read_note_text(content_html: str, mention_hrefs: tuple[str, ...] = ()) -> NoteText:
    reader = _Reader(set(mention_hrefs))
    reader.feed(content_html[:100_000])
    reader.close()
    text = " ".join(reader.text)
    bare = _BARE_URL.findall(text)
    text = _MENTION_OR_TAG.sub(" ", _BARE_URL.sub(" ", text))
    normal = unicodedata.normalize("NFKC", text).casefold()
    words = " ".join(_WORDS.findall(normal))
    return NoteText(words=words, links=tuple(reader.links + bare))
