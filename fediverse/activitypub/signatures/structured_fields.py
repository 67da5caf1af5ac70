"""Just enough RFC 8941 Structured Fields for Signature-Input, Signature and
Content-Digest: parse a Dictionary, serialise an Inner List.

Written here rather than imported because ``activitypub/`` may only depend on
``cryptography``, and because the parser must turn every malformed input into
a SignatureError instead of an arbitrary exception.
"""

import base64
import binascii
import string
from decimal import Decimal

from .errors import SignatureError, shown


class Token(str):
    """An sf-token, kept distinct from sf-string so it re-serialises unquoted."""


BareItem = int | Decimal | str | Token | bytes | bool
Params = dict[str, BareItem]
Item = tuple[BareItem, Params]
InnerList = tuple[list[Item], Params]
Member = Item | InnerList

_LCALPHA = string.ascii_lowercase
_KEY_CHARS = frozenset(_LCALPHA + string.digits + "_-.*")
_TCHAR = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits + ":/")
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "+/=")


class _Parser:
    """Cursor over one field value; every error names the field."""

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.pos = 0
        self.field = field

    def fail(self, what: str) -> SignatureError:
        return SignatureError(f"malformed {self.field} header: {what}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def key(self) -> str:
        start = self.pos
        first = self.peek()
        if not first or (first not in _LCALPHA and first != "*"):
            raise self.fail("expected a key")
        self.pos += 1
        while self.peek() and self.peek() in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or (char.isdigit() and char.isascii()):
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char == "*" or (char.isascii() and char.isalpha()):
            return self.token()
        raise self.fail("unexpected character")

    def number(self) -> int | Decimal:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        digits_start = self.pos
        while self.peek() and self.peek() in string.digits:
            self.pos += 1
        int_len = self.pos - digits_start
        if int_len == 0:
            raise self.fail("expected a digit")
        if self.peek() != ".":
            if int_len > 15:
                raise self.fail("integer too long")
            return int(self.text[start : self.pos])
        if int_len > 12:
            raise self.fail("decimal too long")
        self.pos += 1
        frac_start = self.pos
        while self.peek() and self.peek() in string.digits:
            self.pos += 1
        if not 1 <= self.pos - frac_start <= 3:
            raise self.fail("bad decimal fraction")
        return Decimal(self.text[start : self.pos])

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\") or not escaped:
                    raise self.fail("bad escape in string")
                out.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(out)
            elif not " " <= char <= "~":
                raise self.fail("invalid character in string")
            else:
                out.append(char)
        raise self.fail("unterminated string")

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while self.peek() and self.peek() in _TCHAR:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.pos + 1)
        if end == -1:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.pos + 1 : end]
        self.pos = end + 1
        if not set(encoded) <= _B64_CHARS:
            raise self.fail("invalid base64 in byte sequence")
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self.fail("invalid base64 in byte sequence") from exc

    def boolean(self) -> bool:
        value = self.text[self.pos + 1 : self.pos + 2]
        if value not in ("0", "1"):
            raise self.fail("bad boolean")
        self.pos += 2
        return value == "1"

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            if name in params:
                raise self.fail(f"duplicate parameter {shown(name)}")
            params[name] = value
        return params

    def item_or_inner_list(self) -> Member:
        if self.peek() != "(":
            return self.bare_item(), self.params()
        self.pos += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.params()
            if not self.peek():
                raise self.fail("unterminated inner list")
            items.append((self.bare_item(), self.params()))
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ) in inner list")


def parse_dictionary(text: str, field: str) -> dict[str, Member]:
    """Parse an sf-dictionary; duplicate keys are refused, not overwritten,
    because two competing signatures under one label are an attack, not data."""
    parser = _Parser(text, field)
    members: dict[str, Member] = {}
    parser.skip(" ")
    while parser.peek():
        name = parser.key()
        if parser.peek() == "=":
            parser.pos += 1
            member = parser.item_or_inner_list()
        else:
            member = (True, parser.params())
        if name in members:
            raise parser.fail(f"duplicate key {shown(name)}")
        members[name] = member
        parser.skip(" \t")
        if not parser.peek():
            break
        if parser.peek() != ",":
            raise parser.fail("expected a comma")
        parser.pos += 1
        parser.skip(" \t")
        if not parser.peek():
            raise parser.fail("trailing comma")
    return members


def serialize_bare_item(value: BareItem) -> str:
    """Canonical serialisation (RFC 8941 §4.1) of one bare item."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.quantize(Decimal("0.001")).normalize(), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def serialize_params(params: Params) -> str:
    """``;key`` for true booleans, ``;key=value`` otherwise."""
    return "".join(
        f";{name}" if value is True else f";{name}={serialize_bare_item(value)}"
        for name, value in params.items()
    )


def serialize_inner_list(items: list[Item], params: Params) -> str:
    """The form RFC 9421 uses for the ``@signature-params`` line."""
    inner = " ".join(serialize_bare_item(v) + serialize_params(p) for v, p in items)
    return f"({inner}){serialize_params(params)}"
