"""Structured fields as the signature code reads them: the one shared parser (``fediverse.wire``), with
repeated keys refused and every failure a ``SignatureError`` (the 401 that names the problem)."""

from fediverse.wire.structured_fields import (
    FieldError,
    InnerList,
    Item,
    Member,
    Params,
    Token,
    serialize_inner_list,
)
from fediverse.wire.structured_fields import parse_dictionary as _parse_dictionary

from .errors import SignatureError

__all__ = ["InnerList", "Item", "Member", "Params", "Token", "parse_dictionary", "serialize_inner_list"]


def parse_dictionary(text: str, field: str) -> dict[str, Member]:
    """Parse a Dictionary; duplicate keys are refused, not overwritten, because two competing signatures
    under one label are an attack, not data."""
    try:
        return _parse_dictionary(text, name=field, duplicates="refuse")
    except FieldError as exc:
        raise SignatureError(str(exc)) from None
