"""A strict RFC 9651 (Structured Field Values) Dictionary parser, enough for ``Content-Usage``.

Standard library only. Follows the RFC's parsing algorithms: any deviation fails the whole field (``SFVError``),
duplicate keys keep the last value, keys must be lower case. Tokens are returned as ``Token`` (a ``str``
subclass) so that ``train-ai=n`` (Token) and ``train-ai="n"`` (String) stay distinguishable: AIPREF accepts only
the tokens ``y``/``n``.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

MAX_FIELD = 16 * 1024  # longer fields are refused rather than parsed


class SFVError(ValueError):
    """The field is not a valid Structured Field; the message says where and why."""


class Token(str):
    """An sf-token (as opposed to an sf-string)."""


@dataclass(frozen=True)
class DisplayString:
    value: str


@dataclass(frozen=True)
class Date:
    seconds: int


BareItem = Union[int, Decimal, str, Token, bytes, bool, DisplayString, Date]
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params


_LCALPHA = set(string.ascii_lowercase)
_ALPHA = set(string.ascii_letters)
_KEY_CHARS = _LCALPHA | set(string.digits) | set("_-.*")
_TCHAR = set("!#$%&'*+-.^_`|~") | set(string.ascii_letters) | set(string.digits)
_TOKEN_CHARS = _TCHAR | set(":/")
_B64 = set(string.ascii_letters) | set(string.digits) | set("+/=")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, why: str) -> SFVError:
        return SFVError(f"{why} at position {self.i}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    # RFC 9651 §4.2.2
    def dictionary(self) -> dict[str, Item | InnerList]:
        out: dict[str, Item | InnerList] = {}
        while self.i < len(self.s):
            key = self.key()
            if self.peek() == "=":
                self.i += 1
                member: Item | InnerList = self.item_or_inner_list()
            else:
                member = Item(True, self.parameters())
            out.pop(key, None)
            out[key] = member
            self.skip_ows()
            if self.i >= len(self.s):
                return out
            if self.peek() != ",":
                raise self.fail("expected ',' between dictionary members")
            self.i += 1
            self.skip_ows()
            if self.i >= len(self.s):
                raise self.fail("trailing comma")
        return out

    def item_or_inner_list(self) -> Item | InnerList:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    # §4.2.1.2
    def inner_list(self) -> InnerList:
        self.i += 1
        items: list[Item] = []
        while self.i < len(self.s):
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ')' in inner list")
        raise self.fail("unterminated inner list")

    # §4.2.3
    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.parameters())

    def bare_item(self) -> BareItem:
        c = self.peek()
        if not c:
            raise self.fail("missing item")
        if c == "-" or (c.isascii() and c.isdigit()):
            return self.number()
        if c == '"':
            return self.string()
        if c == "*" or c in _ALPHA:
            return self.token()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if c == "@":
            self.i += 1
            n = self.number()
            if not isinstance(n, int):
                raise self.fail("date must be an integer")
            return Date(n)
        if c == "%":
            return self.display_string()
        raise self.fail(f"unexpected {c!r} where an item was expected")

    # §4.2.3.2
    def parameters(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params.pop(key, None)
            params[key] = value
        return params

    # §4.2.3.3
    def key(self) -> str:
        c = self.peek()
        if not (c in _LCALPHA or c == "*"):
            raise self.fail(f"key must start with a lower-case letter or '*', got {c!r}")
        start = self.i
        while self.peek() and self.peek() in _KEY_CHARS:
            self.i += 1
        return self.s[start:self.i]

    # §4.2.4
    def number(self) -> int | Decimal:
        sign = 1
        if self.peek() == "-":
            sign = -1
            self.i += 1
        if not (self.peek().isascii() and self.peek().isdigit()):
            raise self.fail("expected a digit")
        start = self.i
        is_decimal = False
        while self.i < len(self.s):
            c = self.s[self.i]
            if c.isascii() and c.isdigit():
                self.i += 1
            elif c == "." and not is_decimal:
                if self.i - start > 12:
                    raise self.fail("decimal has too many integer digits")
                is_decimal = True
                self.i += 1
            else:
                break
            if not is_decimal and self.i - start > 15:
                raise self.fail("integer has too many digits")
            if is_decimal and self.i - start > 16:
                raise self.fail("decimal too long")
        text = self.s[start:self.i]
        if not is_decimal:
            return sign * int(text)
        if text.endswith("."):
            raise self.fail("decimal ends with '.'")
        if len(text.split(".")[1]) > 3:
            raise self.fail("decimal has more than 3 fractional digits")
        return sign * Decimal(text)

    # §4.2.5
    def string(self) -> str:
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                if self.i >= len(self.s):
                    raise self.fail("string ends after a backslash")
                nxt = self.s[self.i]
                if nxt not in ('"', "\\"):
                    raise self.fail("only \\\" and \\\\ escapes are allowed in strings")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not (0x20 <= ord(c) <= 0x7E):
                raise self.fail("non-printable character in string")
            else:
                out.append(c)
        raise self.fail("unterminated string")

    # §4.2.6
    def token(self) -> Token:
        start = self.i
        self.i += 1
        while self.peek() and self.peek() in _TOKEN_CHARS:
            self.i += 1
        return Token(self.s[start:self.i])

    # §4.2.7
    def byte_sequence(self) -> bytes:
        self.i += 1
        end = self.s.find(":", self.i)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        chunk = self.s[self.i:end]
        if any(c not in _B64 for c in chunk):
            raise self.fail("invalid base64 in byte sequence")
        self.i = end + 1
        try:
            return base64.b64decode(chunk + "=" * (-len(chunk) % 4))
        except binascii.Error as exc:
            raise self.fail(f"invalid base64: {exc}") from None

    # §4.2.8
    def boolean(self) -> bool:
        self.i += 1
        c = self.peek()
        if c in ("0", "1"):
            self.i += 1
            return c == "1"
        raise self.fail("boolean must be ?0 or ?1")

    # §4.2.10
    def display_string(self) -> DisplayString:
        self.i += 1
        if self.peek() != '"':
            raise self.fail("display string must start with %\"")
        self.i += 1
        raw = bytearray()
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "%":
                hexpair = self.s[self.i:self.i + 2]
                if len(hexpair) != 2 or any(h not in "0123456789abcdef" for h in hexpair):
                    raise self.fail("display string needs lower-case %xx escapes")
                raw.append(int(hexpair, 16))
                self.i += 2
            elif c == '"':
                try:
                    return DisplayString(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    raise self.fail("display string is not UTF-8") from None
            elif not (0x20 <= ord(c) <= 0x7E):
                raise self.fail("non-printable character in display string")
            else:
                raw.append(ord(c))
        raise self.fail("unterminated display string")


def parse_dictionary(field: str | bytes | list[str] | tuple[str, ...]) -> dict[str, Item | InnerList]:
    """Parse a Dictionary field. Several header lines are combined with ", " first, as RFC 9651 §4.2 says."""
    if isinstance(field, (list, tuple)):
        field = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else v for v in field)
    if isinstance(field, bytes):
        field = field.decode("latin-1")
    if len(field) > MAX_FIELD:
        raise SFVError(f"field longer than {MAX_FIELD} characters")
    if any(not (0x20 <= ord(c) <= 0x7E or c == "\t") for c in field):
        raise SFVError("field contains characters outside visible ASCII")
    parser = _Parser(field)
    parser.skip_sp()
    result = parser.dictionary()
    parser.skip_sp()
    if parser.i != len(parser.s):
        raise parser.fail("unexpected trailing characters")
    return result


def bare(value: Any) -> Any:
    """The bare value of an Item (None for an inner list)."""
    return value.value if isinstance(value, Item) else None
