"""Hostile input: mutated real documents must only ever yield a typed object or a ParseError.

Every parser is fed thousands of variants of real payloads in which random nodes are replaced by
values of the wrong JSON type (lists where strings are expected, numbers, null, nested junk).
Any KeyError/TypeError/AttributeError/RecursionError escaping a parser fails the test.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any, Callable

import pytest

from fediverse.activitypub.parse import (
    object_id,
    parse_activity,
    parse_actor,
    parse_document,
    parse_key_document,
    parse_object,
    parse_webfinger,
)
from fediverse.activitypub.vocab import AS_CONTEXT, ParseError
from tests.conftest import FIXTURES


ID = "https://art.example/users/mira"
SEEDS: list[dict[str, Any]] = [
    {
        "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
        "id": ID, "type": ["Person"], "preferredUsername": "mira", "webfinger": "mira@art.example",
        "inbox": f"{ID}/inbox", "outbox": f"{ID}/outbox", "endpoints": {"sharedInbox": "https://art.example/inbox"},
        "followers": f"{ID}/followers", "following": f"{ID}/following", "featured": f"{ID}/featured",
        "name": "Mira", "summary": "<p>ink</p>", "url": [{"type": "Link", "mediaType": "text/html", "href": "https://art.example/@mira"}],
        "publicKey": [{"id": f"{ID}#main-key", "owner": ID, "publicKeyPem": "PEM"}],
        "icon": {"type": "Image", "url": {"href": "https://art.example/a.png"}}, "image": [{"type": "Image", "url": ["https://art.example/h.png"]}],
        "attachment": [{"type": "PropertyValue", "name": "Shop", "value": "x"}], "published": "2024-01-01T00:00:00Z",
        "movedTo": {"id": "https://new.example/u/m"}, "alsoKnownAs": ["https://old.example/u/m"],
        "manuallyApprovesFollowers": True, "discoverable": True, "indexable": True,
    },
    {
        "@context": AS_CONTEXT, "id": "https://social.example/a/1", "type": "Undo", "actor": {"id": "https://social.example/u/bob"},
        "object": {"id": "https://social.example/f/1", "type": "Follow", "actor": "https://social.example/u/bob", "object": ID},
        "to": ["as:Public", {"id": "https://social.example/u/bob/followers"}], "cc": "https://social.example/u/c", "target": ID,
        "published": "2024-01-01T00:00:00+0000",
    },
    {"@context": AS_CONTEXT, "id": "https://social.example/r/1", "type": "Flag", "actor": "https://social.example/actor",
     "object": [ID, {"id": "https://art.example/p/1"}]},
    {"@context": AS_CONTEXT, "id": f"{ID}#main-key", "owner": ID, "publicKeyPem": "PEM"},
    {"subject": "acct:mira@art.example", "aliases": [ID],
     "links": [{"rel": "self", "type": "application/activity+json", "href": ID},
               {"rel": "http://webfinger.net/rel/profile-page", "href": "https://art.example/@mira"}]},
]
SEEDS += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.rglob("*.json"))]

PARSERS: list[Callable[[Any], Any]] = [
    parse_actor, parse_activity, parse_object, parse_document, parse_key_document, parse_webfinger,
    lambda d: parse_actor(d, embedded=True),
    lambda d: parse_activity(d, embedded=True),
]


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value of any type, occasionally nested."""
    choices: list[Any] = [
        None, True, False, 0, -1, 2**70, 1.5, "", " ", "x", "\x00", "https://", "as:Public", "Public",
        "https://w\x00t.example/", "ftp://a.example/", "https://a.example/" + "x" * 5000, AS_CONTEXT,
        "https://art.example/users/mira", "Image", "Person", "PropertyValue", "self", "@", "acct:@",
        [], {}, [None], [[]], [{}], {"id": None}, {"id": []}, {"id": {"id": ID}}, {"href": 5}, {"type": "Image"},
        {"type": "Image", "url": [[ID]]}, {"type": ["Image"]}, {"mediaType": ["text/html"], "href": ID},
    ]
    if depth < 3 and rng.random() < 0.3:
        if rng.random() < 0.5:
            return [junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(KEYS): junk(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice(choices)


KEYS = [
    "id", "type", "actor", "object", "target", "to", "cc", "inbox", "outbox", "endpoints", "sharedInbox",
    "publicKey", "owner", "publicKeyPem", "icon", "image", "url", "href", "mediaType", "attachment",
    "name", "value", "summary", "preferredUsername", "webfinger", "published", "movedTo", "alsoKnownAs",
    "subject", "links", "rel", "aliases", "@context", "followers", "following", "featured", "attributedTo",
    "inReplyTo", "discoverable", "indexable", "manuallyApprovesFollowers",
]


def nodes(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) slot of a JSON value, found iteratively."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        slots = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in slots:
            found.append((node, key))
            stack.append(child)
    return found


def mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        slots = nodes(doc)
        if not slots or rng.random() < 0.15:
            if isinstance(doc, dict):
                doc[rng.choice(KEYS)] = junk(rng)
            continue
        container, key = rng.choice(slots)
        container[key] = junk(rng)
    return doc


def run_all(doc: Any) -> None:
    for parser in PARSERS:
        try:
            parser(doc)
        except ParseError:
            pass


@pytest.mark.parametrize("seed", range(8))
def test_mutated_documents_only_raise_parse_error(seed: int):
    rng = random.Random(seed)
    for _ in range(400):
        run_all(mutate(rng.choice(SEEDS), rng))


@pytest.mark.parametrize("seed", range(4))
def test_every_key_of_every_seed_replaced_by_every_junk_kind(seed: int):
    rng = random.Random(1000 + seed)
    for base in SEEDS[seed::4]:
        if not isinstance(base, dict):
            continue
        for key in list(base) + ["@context", "id", "type", "object"]:
            for _ in range(12):
                doc = copy.deepcopy(base)
                doc[key] = junk(rng)
                run_all(doc)


@pytest.mark.parametrize("value", [None, 5, "x", [], [[[]]], {"id": {"id": "x"}}, [{"id": 5}], {"a": [None]}])
def test_top_level_junk_only_raises_parse_error(value: Any):
    run_all(value)
    assert object_id(value) is None


def test_deeply_nested_values_do_not_recurse():
    deep: Any = ID
    for i in range(5000):
        deep = [deep] if i % 2 else {"id": deep}
    doc = {"@context": AS_CONTEXT, "id": "https://s.example/a", "type": "Like", "actor": deep, "object": deep, "to": deep}
    run_all(doc)
