"""Bundled JSON-LD contexts: pyld expands every recorded fixture without any network access."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld.jsonld import JsonLdError

from fediverse.activitypub import contexts
from fediverse.activitypub.contexts import (
    BUNDLED,
    bundled_file,
    document_loader,
    expand,
    is_bundled,
    load_context,
)
from fediverse.activitypub.vocab import AS_CONTEXT, ParseError
from tests.conftest import FIXTURES

ALL_FILES = sorted(FIXTURES.rglob("*.json"))
AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve or connect fails the test loudly: contexts must come from disk."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def context_urls(value: Any) -> list[str]:
    """Every @context URL a document references, at any depth."""
    urls: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ctx = node.get("@context")
            for item in ctx if isinstance(ctx, list) else [ctx]:
                if isinstance(item, str):
                    urls.append(item)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return urls


def test_every_bundled_file_exists_and_is_a_context_document():
    for url, name in BUNDLED.items():
        doc = load_context(url)
        assert isinstance(doc.get("@context"), (dict, list)), name
    assert "@context" in load_context("https://pleroma.example/schemas/litepub-0.1.jsonld")


def test_the_folder_holds_only_files_the_loader_serves():
    served = set(BUNDLED.values()) | {contexts.LITEPUB_FILE}
    on_disk = {p.name for p in Path(contexts.__file__).parent.glob("*.json")}
    assert on_disk == served


@pytest.mark.parametrize("url", [
    AS_CONTEXT, "http://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", "http://w3id.org/security/v1",
    "https://w3id.org/security/data-integrity/v1", "https://w3id.org/identity/v1", "https://purl.archive.org/socialweb/webfinger",
    "https://gotosocial.org/ns", "https://funkwhale.audio/ns", "https://greenish.red/schemas/litepub-0.1.jsonld",
    "https://w3id.org/security/multikey/v1", "https://w3id.org/security/v2", f"{AS_CONTEXT}#fragment",
])
def test_known_contexts_are_bundled(url):
    assert is_bundled(url)
    remote = document_loader(url)
    assert remote["documentUrl"] == url and remote["contextUrl"] is None
    assert "@context" in remote["document"]


@pytest.mark.parametrize("url", ["https://example.com/ns", "https://schema.org/", "https://evil.example/schemas/litepub-0.1.jsonld?x=1", "file:///etc/passwd", "", None, 5])
def test_everything_else_is_refused_with_a_json_ld_error(url):
    assert not is_bundled(url)
    assert bundled_file(url) is None
    with pytest.raises(JsonLdError) as info:
        document_loader(url, {})
    assert info.value.code == "loading document failed"
    with pytest.raises(ParseError, match="is not bundled"):
        load_context(url)


def test_documents_handed_out_are_copies():
    document_loader(AS_CONTEXT)["document"]["@context"]["id"] = "mutated"
    assert load_context(AS_CONTEXT)["@context"]["id"] == "@id"


def test_expand_resolves_mastodon_terms_offline():
    doc = {
        "@context": [AS_CONTEXT, "https://w3id.org/security/v1", {"toot": "http://joinmastodon.org/ns#", "discoverable": "toot:discoverable"}],
        "id": "https://art.example/users/mira",
        "type": "Person",
        "inbox": "https://art.example/users/mira/inbox",
        "discoverable": True,
        "publicKey": {"id": "https://art.example/users/mira#main-key", "owner": "https://art.example/users/mira", "publicKeyPem": "PEM"},
    }
    [node] = expand(doc)
    assert node["@type"] == [f"{AS}Person"]
    assert node["http://www.w3.org/ns/ldp#inbox"] == [{"@id": "https://art.example/users/mira/inbox"}]
    assert node["http://joinmastodon.org/ns#discoverable"] == [{"@value": True}]
    assert node[f"{SEC}publicKey"][0][f"{SEC}owner"] == [{"@id": "https://art.example/users/mira"}]


def test_expand_names_the_unbundled_context():
    doc = {"@context": [AS_CONTEXT, "https://unknown.example/ns/v1"], "id": "https://a.example/1", "type": "Note"}
    with pytest.raises(ParseError, match=r"https://unknown\.example/ns/v1.*not bundled"):
        expand(doc)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_with_bundled_contexts_expands_offline(path: Path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    missing = [url for url in context_urls(doc) if not is_bundled(url)]
    if missing:
        with pytest.raises(ParseError, match="not bundled"):
            expand(doc)
        return
    expanded = expand(doc)
    assert isinstance(expanded, list)
    if AS_CONTEXT in context_urls(doc) and "type" in doc:
        assert expanded and "@type" in expanded[0]


def test_fixture_terms_expand_to_their_vocabularies():
    gts = json.loads((FIXTURES / "gotosocial" / "note_with_image_emoji_hashtag.json").read_text(encoding="utf-8"))
    [note] = expand(gts)
    assert "https://gotosocial.org/ns#interactionPolicy" in note
    pleroma = json.loads((FIXTURES / "pleroma" / "create_note.json").read_text(encoding="utf-8"))
    [create] = expand(pleroma)
    assert "http://litepub.social/ns#directMessage" in create
    academy = json.loads((FIXTURES / "mastodon" / "actor_person_activitypub_academy.json").read_text(encoding="utf-8"))
    [actor] = expand(academy)
    assert actor[f"{SEC}publicKey"][0][f"{SEC}owner"] == [{"@id": "https://activitypub.academy/users/brauca_darradiul"}]
