"""Hashtags: one row per normalised name, and which statuses carry it (local works and stored remote posts).

Names are normalised as Mastodon does (``HashtagNormalizer`` + ``Tag::HASHTAG_NAME_RE``): NFKC (full-width
letters become ASCII), lower case (Unicode case folding), Latin accents folded (``Café`` is ``cafe``), characters
outside letters, digits and the separators ``_ · ・ ZWNJ`` removed; a name that is then empty, has no letter, or is
longer than ``MAX_TAG`` is no tag at all (None). Pure: the URL lookup and the indexer share it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow

MAX_TAG = 100  # characters of a normalised name; longer ones are refused, not cut
SEPARATORS = "_\u00b7\u30fb\u200c"  # Mastodon's HASHTAG_SEPARATORS


class Tag(Base):
    """A hashtag: ``name`` is the normalised key, ``display_name`` the first spelling seen (case kept)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_TAG * 4), unique=True)  # bytes-safe for any backend
    display_name: Mapped[str] = mapped_column(String(MAX_TAG * 4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusTag(Base):
    """A status carries a tag. The (tag, status) index serves tag pages newest first by status id."""

    __tablename__ = "status_tags"
    __table_args__ = (Index("ix_status_tags_tag_id_status_id", "tag_id", "status_id"),)

    status_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


def _is_word(char: str) -> bool:
    """Ruby's [[:word:]]: letters, marks, digits, connector punctuation."""
    return unicodedata.category(char)[0] in "LMN" or unicodedata.category(char) == "Pc"


def _is_alpha(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


# Latin letters without a decomposition that Mastodon's ASCIIFolding still folds (Wrocław is #wroclaw there)
_UNDECOMPOSED = dict(zip("ðđħıĸŀłŉŋøŧ", "ddhikllnnot"))


def _fold_latin(char: str) -> str:
    """ASCII folding of accented Latin letters (é -> e, ł -> l); every other character stays as it is."""
    if char.isascii():
        return char
    if char in _UNDECOMPOSED:
        return _UNDECOMPOSED[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = decomposed[0]
    if base.isascii() and base.isalpha() and all(unicodedata.combining(c) for c in decomposed[1:]):
        return base
    return char


def _allowed(char: str) -> bool:
    """Mastodon's allowed characters (the complement of HASHTAG_INVALID_CHARS_RE): alnum, Thai marks, separators."""
    return (unicodedata.category(char)[0] in "LN" or "\u0e47" <= char <= "\u0e4e"
            or unicodedata.category(char) in ("Mn", "Mc") or char in SEPARATORS)


def clean(text: str) -> str:
    """NFKC, case folding, Latin accent folding and the removal of disallowed characters (no validation)."""
    folded = "".join(_fold_latin(c) for c in unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in unicodedata.normalize("NFC", folded) if _allowed(c)).strip()


def valid_name(name: str) -> bool:
    """Mastodon's HASHTAG_NAME_RE on an already normalised name, and the length bound."""
    if not name or len(name) > MAX_TAG or not all(_is_word(c) or c in SEPARATORS for c in name):
        return False
    if all(_is_word(c) for c in name) and any(_is_alpha(c) for c in name):
        return True  # HASHTAG_LAST_SEQUENCE
    # HASHTAG_FIRST_SEQUENCE: word characters at both ends, a letter or a separator between them
    return (len(name) >= 3 and _is_word(name[0]) and _is_word(name[-1])
            and any(_is_alpha(c) or c in SEPARATORS for c in name[1:-1]))


def normalize_tag(text: str) -> str | None:
    """The key of a hashtag as written (``#`` prefix allowed), or None when it is no valid tag."""
    if not isinstance(text, str) or len(text) > MAX_TAG * 4:
        return None
    name = clean(text.strip().lstrip("#＃"))
    return name if valid_name(name) else None


def display_form(text: str) -> str:
    """The spelling shown: NFKC, disallowed characters removed, case kept (Mastodon's display_name)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text.strip().lstrip("#＃")) if _allowed(c))[:MAX_TAG]


def lookup_name(text: str) -> str | None:
    """A tag name from a URL: strict (a character that normalisation would remove makes it no tag, so hostile
    names never match a different tag); None when it is not a valid name."""
    if not isinstance(text, str) or not text or len(text) > MAX_TAG * 4:
        return None
    nfkc = unicodedata.normalize("NFKC", text)
    if any(not _allowed(c) for c in nfkc):
        return None
    name = clean(nfkc)
    return name if valid_name(name) else None
