"""Mastodon.py's entity definitions, read from the installed package, and a validator for our JSON answers.

Mastodon.py (pinned in the test extras) generates ``mastodon/return_types.py`` from its ``srcgen/return_types.json``:
one class per entity, each field annotated with its type (``Optional[...]`` when nullable) and documented with
``(optional)`` and a version history. We read that file with ``ast`` (never importing anything fetched at test time)
and check every answer against it: a field that is not optional and was added by the Mastodon version we claim
must be present, of the declared JSON type, and null only when declared nullable.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

CLAIMED = (4, 2, 0)  # the Mastodon API version our `version` names
_ADDED = re.compile(r"\*\s*(\d+)\.(\d+)\.(\d+):\s*added")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GENERIC = re.compile(r"^(\w+)\[(.*)\]$")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # without Optional[...]
    nullable: bool
    optional: bool
    added: tuple[int, int, int]

    @property
    def required(self) -> bool:
        return not self.optional and self.added <= CLAIMED


@cache
def entities() -> dict[str, dict[str, Field]]:
    """Entity name -> field name -> Field, from the installed Mastodon.py's return_types.py."""
    spec = find_spec("mastodon.return_types")
    assert spec is not None and spec.origin, "Mastodon.py is not installed (pip install -e '.[test]')"
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: dict[str, dict[str, Field]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, Field] = {}
        body = node.body
        for index, item in enumerate(body):
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                    and isinstance(item.annotation, ast.Constant)):
                continue
            doc = ""
            if index + 1 < len(body) and isinstance(body[index + 1], ast.Expr):
                value = body[index + 1].value  # type: ignore[attr-defined]
                doc = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""
            annotation = str(item.annotation.value)
            nullable = annotation.startswith("Optional[")
            kind = annotation[len("Optional["):-1] if nullable else annotation
            added = _ADDED.search(doc)
            fields[item.target.id] = Field(
                item.target.id, kind, nullable, "(optional" in doc,
                tuple(int(n) for n in added.groups()) if added else (0, 0, 0))  # type: ignore[arg-type]
        if fields:
            found[node.name] = fields
    return found


def problems(entity: str, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` differs from the entity ``entity`` as Mastodon.py declares it (empty: it conforms)."""
    where = path or entity
    if not isinstance(value, dict):
        return [f"{where}: expected an object ({entity}), got {type(value).__name__}"]
    found: list[str] = []
    for field in entities()[entity].values():
        if field.name not in value:
            if field.required:
                found.append(f"{where}.{field.name}: missing")
            continue
        item = value[field.name]
        if item is None:
            if not field.nullable:
                found.append(f"{where}.{field.name}: null but not nullable")
            continue
        found += _check_type(field.type, item, f"{where}.{field.name}")
    return found


def _check_type(kind: str, item: Any, where: str) -> list[str]:
    generic = _GENERIC.match(kind)
    if generic and generic.group(1) in ("NonPaginatableList", "PaginatableList", "EntityList", "List"):
        if not isinstance(item, list):
            return [f"{where}: expected a list, got {type(item).__name__}"]
        return [p for n, element in enumerate(item) for p in _check_type(generic.group(2), element, f"{where}[{n}]")]
    if generic and generic.group(1) == "Union":
        options = [o.strip() for o in generic.group(2).split(",")]
        attempts = [_check_type(option, item, where) for option in options]
        return [] if any(not a for a in attempts) else attempts[0]
    if kind in ("NonPaginatableList", "PaginatableList"):
        return [] if isinstance(item, list) else [f"{where}: expected a list"]
    simple = {"str": str, "float": (int, float), "dict": dict}
    if kind == "bool":
        return [] if isinstance(item, bool) else [f"{where}: expected a boolean, got {item!r}"]
    if kind == "int":
        return [] if isinstance(item, int) and not isinstance(item, bool) else [f"{where}: expected an integer, got {item!r}"]
    if kind in simple:
        return [] if isinstance(item, simple[kind]) and not isinstance(item, bool) else [f"{where}: expected {kind}, got {item!r}"]
    if kind in ("IdType", "MaybeSnowflakeIdType", "PrimitiveIdType"):
        return [] if isinstance(item, str) and item.isdigit() else [f"{where}: expected a decimal string id, got {item!r}"]
    if kind == "datetime":
        ok = isinstance(item, str) and (_TIME.match(item) or _DATE.match(item))
        return [] if ok else [f"{where}: expected YYYY-MM-DDTHH:MM:SS.mmmZ, got {item!r}"]
    if kind in entities():
        return problems(kind, item, where)
    return []  # a type we do not model (AttribAccessDict and the like): any JSON value


def assert_entity(entity: str, value: Any) -> None:
    found = problems(entity, value)
    assert not found, f"{entity} does not decode as Mastodon.py declares it:\n" + "\n".join(found)


def assert_entities(entity: str, values: Any) -> None:
    assert isinstance(values, list), f"expected a list of {entity}, got {type(values).__name__}"
    for value in values:
        assert_entity(entity, value)
