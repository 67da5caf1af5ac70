"""RFC 9651 Structured Field Values, the one parser for the whole code base.

HTTP signatures (``Signature-Input``, ``Signature``, ``Content-Digest``) and the consent headers
(``Content-Usage``) are all Structured Field Dictionaries. Both read them through this module, which
delegates the grammar to ``http-sf`` (Mark Nottingham's implementation, tested against the RFC's test
suite) and adds what a server facing hostile peers needs: a size cap, one error type, several header
lines joined as RFC 9651 §4.2 says, and a choice about duplicate keys.

Members come back as http-sf shapes: an Item is ``(value, params)``, an Inner List is
``([item, ...], params)``. Tokens are ``Token`` (not ``str``), so ``train-ai=n`` (a Token) and
``train-ai="n"`` (a String) stay distinguishable; Dates are aware ``datetime``s; Display Strings are
``DisplayString``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal, NoReturn, TypeAlias

import http_sf
from http_sf import DisplayString, Token
from http_sf.innerlist import ser_innerlist

__all__ = ["DisplayString", "FieldError", "Token", "is_inner_list", "parse_dictionary", "serialize_inner_list"]

MAX_FIELD = 16 * 1024  # longer fields are refused rather than parsed

BareItem: TypeAlias = int | Decimal | str | Token | bytes | bool | datetime | DisplayString
Params: TypeAlias = dict[str, BareItem]
Item: TypeAlias = tuple[BareItem, Params]
InnerList: TypeAlias = tuple[list[Item], Params]
Member: TypeAlias = Item | InnerList


class FieldError(ValueError):
    """The field is not a valid Structured Field (or is refused by policy); the message says where and why."""


def parse_dictionary(field: str | bytes | Sequence[str | bytes], *, name: str,
                     duplicates: Literal["last", "refuse"] = "last") -> dict[str, Member]:
    """Parse a Dictionary field; ``name`` is the header's name, for the error message.

    ``duplicates="last"`` is the RFC's rule (the last value wins); ``"refuse"`` fails the field on a repeated
    key or parameter, for fields where two values under one label are an attack, not data (two competing
    signatures under one label).
    """
    data = _joined(field, name)
    if len(data) > MAX_FIELD:
        raise FieldError(f"{name} is longer than {MAX_FIELD} characters")
    on_duplicate = _refuse_duplicate(name) if duplicates == "refuse" else None
    try:
        parsed = http_sf.parse(data, tltype="dictionary", on_duplicate_key=on_duplicate)
    except http_sf.StructuredFieldError as exc:
        raise FieldError(f"malformed {name} header: {exc}") from None
    assert isinstance(parsed, dict)
    return parsed  # type: ignore[return-value]


def is_inner_list(member: Member) -> bool:
    """Whether a Dictionary member is an Inner List (rather than an Item)."""
    return isinstance(member[0], list)


def serialize_inner_list(items: list[Item], params: Params) -> str:
    """The canonical serialisation of an Inner List (RFC 9421's ``@signature-params`` line)."""
    return ser_innerlist((items, params))


def _joined(field: str | bytes | Sequence[str | bytes], name: str) -> bytes:
    """One field value as bytes; several header lines are combined with ", " first (RFC 9651 §4.2)."""
    lines = [field] if isinstance(field, (str, bytes)) else list(field)
    try:
        return b", ".join(line if isinstance(line, bytes) else line.encode("ascii") for line in lines)
    except UnicodeEncodeError:
        raise FieldError(f"{name} contains characters outside visible ASCII") from None


def _refuse_duplicate(name: str) -> Callable[[str, str], None]:
    def refuse(key: str, where: str) -> NoReturn:
        what = "key" if where == "dictionary" else where
        raise FieldError(f"duplicate {what} {key[:64]!r} in {name}")
    return refuse
