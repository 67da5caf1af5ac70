"""`fediverse consent audit`: a crawl of an actor that reports, per surface, which consent signals are there.

Runs over in-process instances (the audit takes an httpx transport), over a remote peer, with hostile servers
(huge bodies, redirect loops, slow answers, entity-laden XMP, private addresses), and once end to end: the real
server as a subprocess on loopback and the `fediverse consent audit` command against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.cli_consent import print_report
from fediverse.consent import ConsentRecord
from fediverse.db import accounts as account_db
from fediverse.services.consent_audit import (
    AuditItem, AuditLimits, AuditReport, audit, parse_robots, robots_allows, robots_group, xmp_from_bytes,
)
from tests import imagecorpus
from tests.federation.peer import ACTOR, FixturePeer
from tests.support import Instance, Network, RoutingTransport

ROOT = Path(__file__).resolve().parents[1]
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
PLUS = "http://ns.useplus.org/ldf/vocab/"
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
OPT_IN = {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True, "licence_url": CC_BY}


async def artist(instance: Instance, username: str, consent: dict[str, Any] | None = None, works: int = 1) -> None:
    from tests.federation.helpers import make_user
    from tests.federation.test_works_federation import post_work

    await make_user(instance, username)
    if consent is not None:
        async with instance.rt.sessions() as session:
            account = await account_db.local_by_username(session, username)
            assert account is not None
            account.consent = consent
            await session.commit()
    for n in range(works):
        await post_work(instance, username, 2, title=f"Study {n}")


def run_audit(network: Network, target: str, transport: httpx.AsyncBaseTransport | None = None,
              **options: Any) -> Any:
    options.setdefault("our_hosts", ["art.test"])
    options.setdefault("allow_private", True)
    return audit(target, transport=transport or RoutingTransport(network), **options)


def checks(report: AuditReport, kind: str) -> list[dict[str, tuple[str, str]]]:
    """Per item of this kind: "surface:name" -> (status, value)."""
    return [{c.label(): (c.status, c.value) for c in item.checks} for item in report.items if item.kind == kind]


def one(report: AuditReport, kind: str) -> dict[str, tuple[str, str]]:
    found = checks(report, kind)
    assert found, f"no {kind} item in {[i.kind for i in report.items]}"
    return found[0]


# --- two artists with different choices ---------------------------------------------------------------------------


async def test_two_artists_with_different_choices_carry_them_on_every_surface(network: Network) -> None:
    a = await network.add("art.test")
    await artist(a, "alice")  # the instance default: no AI training, TDM reserved, no AI input
    await artist(a, "bob", OPT_IN)

    alice = await run_audit(network, "alice@art.test")
    bob = await run_audit(network, "https://art.test/users/bob")
    assert alice.actor == "https://art.test/users/alice" and bob.actor == "https://art.test/users/bob"
    kinds = [item.kind for item in alice.items]
    for kind in ("actor", "page", "outbox", "outbox page", "object", "attachment", "media", "featured",
                 "robots.txt", "tdmrep.json", "ai.txt", "tdm policy"):
        assert kind in kinds, kind
    assert kinds.count("object") == 1 and kinds.count("attachment") == 2 and kinds.count("page") == 2
    assert all(item.ours for item in alice.items)

    # JSON-LD on the actor, collections, objects and attachments (consent doc §15).
    actor = one(alice, "actor")
    assert actor["json-ld:contentUsage"] == ("present", "train-ai=n, search=y")
    assert actor["json-ld:xRobotsTag"][0] == "present" and "noai" in actor["json-ld:xRobotsTag"][1]
    assert actor["json-ld:aiTraining"] == ("present", "none")
    assert actor["json-ld:tdmReservation"] == ("present", "1")
    assert actor["json-ld:otherSetting noai"] == ("present", "true")
    assert actor["json-ld:@context"][0] == "present"
    assert actor["json-ld:tdmPolicy"] == ("present", "https://art.test/policies/tdm/alice")
    for kind in ("outbox", "outbox page", "featured", "object"):
        assert one(alice, kind)["json-ld:contentUsage"] == ("present", "train-ai=n, search=y"), kind
    for attachment in checks(alice, "attachment"):
        assert attachment["json-ld:dataMining"] == ("present", PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
        assert attachment["json-ld:digitalSourceType"][0] == "present"

    # The XMP read back from the served bytes of every rendition.
    media = checks(alice, "media")
    assert len(media) >= 2
    for found in media:
        assert found["xmp:plus:DataMining"] == ("present", PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
        for key in ("xmp:Iptc4xmpExt:DigitalSourceType", "xmp:xmpRights:UsageTerms", "xmp:plus:OtherConstraints",
                    "xmp:dc:creator"):
            assert found[key][0] == "present", key

    # The opted-in artist: the same surfaces say so, and no noai is expected of her.
    b_actor = one(bob, "actor")
    assert b_actor["json-ld:contentUsage"] == ("present", "train-ai=y, search=y")
    assert b_actor["json-ld:aiTraining"] == ("present", "allowed")
    assert b_actor["json-ld:xRobotsTag"][0] == "optional"  # not expected: nothing refused
    assert b_actor["json-ld:license"] == ("present", CC_BY)
    assert "json-ld:tdmPolicy" not in b_actor  # no reservation, no policy to point at
    for found in checks(bob, "media"):
        assert found["xmp:plus:DataMining"] == ("present", PLUS + "DMI-ALLOWED")
        assert found["xmp:cc:license"] == ("present", CC_BY)
    assert "tdm policy" not in [item.kind for item in bob.items]

    # Headers, HTML head and site files (web/consent.py) are there too: nothing of ours lacks a signal.
    for report in (alice, bob):
        problems = [(i.kind, i.url, i.error, [c for c in i.problems]) for i in report.items if i.failed()]
        assert problems == [] and report.exit_code() == 0
    media_headers = one(alice, "media")
    assert media_headers["header:X-Robots-Tag"][0] == "present"
    assert media_headers["header:on HEAD"] == ("present", "same consent headers")
    assert one(bob, "media")["header:Content-Usage"] == ("present", "train-ai=y, search=y")
    robots = one(alice, "robots.txt")
    assert robots["GPTBot /@alice/"] == ("present", "disallowed")
    assert one(bob, "robots.txt")["GPTBot /@bob/"] == ("present", "allowed")


async def test_the_default_config_with_no_licence_passes_with_the_rights_statement_on_every_surface(
        network: Network) -> None:
    """Out of the box (no licence chosen): every surface says "In Copyright", collections included."""
    a = await network.add("art.test")
    await artist(a, "alice")
    await artist(a, "bob", works=0)
    from tests.federation.helpers import act

    await act(a, "follow", "bob", "alice@art.test")  # so followers and following have a page each
    await network.drain()

    report = await run_audit(network, "alice@art.test")
    problems = [(i.kind, i.url, i.error, i.problems) for i in report.items if i.failed()]
    assert problems == [] and report.exit_code() == 0
    kinds = [item.kind for item in report.items]
    for kind in ("followers", "followers page", "following", "likes", "shares", "replies"):
        assert kind in kinds, kind
    for item in report.items:
        found = {c.label(): (c.status, c.value) for c in item.checks}
        for label in ("json-ld:license", "header:Link rel=license", "html:link rel=license", "xmp:cc:license",
                      "xmp:xmpRights:WebStatement"):
            if label in found:
                assert found[label] == ("present", IN_COPYRIGHT), (item.kind, item.url, label)
    for kind in ("actor", "followers", "followers page", "following", "likes", "object", "attachment"):
        assert one(report, kind)["json-ld:license"] == ("present", IN_COPYRIGHT), kind
    assert one(report, "page")["html:link rel=license"][0] == "present"
    assert one(report, "media")["header:Link rel=license"][0] == "present"
    assert one(report, "media")["xmp:cc:license"][0] == "present"


async def test_a_surface_without_the_rights_statement_is_missing(network: Network) -> None:
    a = await network.add("art.test")
    await artist(a, "alice")

    def rewrite(request: httpx.Request, response: httpx.Response, body: bytes) -> tuple[dict[str, str], bytes] | None:
        if request.url.path.endswith("/followers") and "activity+json" in request.headers.get("accept", ""):
            doc = json.loads(body)
            del doc["license"]  # what main served before: silence instead of "all rights reserved"
            return _without(response.headers, "link"), json.dumps(doc).encode()
        return None

    report = await run_audit(network, "alice@art.test", transport=Tamper(network, rewrite))
    followers = one(report, "followers")
    assert followers["json-ld:license"] == ("missing", "")
    assert followers["header:Link rel=license"] == ("missing", "")
    assert report.exit_code() == 1


# --- missing and contradicting signals fail the audit -------------------------------------------------------------


class Tamper(httpx.AsyncBaseTransport):
    """Passes requests into the network and rewrites some answers, to take signals away."""

    def __init__(self, network: Network, rewrite: Callable[[httpx.Request, httpx.Response, bytes], tuple[dict[str, str], bytes] | None]) -> None:
        self.inner = RoutingTransport(network)
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        changed = self.rewrite(request, response, body)
        if changed is None:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        headers, body = changed
        return httpx.Response(response.status_code, headers=headers, content=body)


def _without(headers: httpx.Headers, *names: str) -> dict[str, str]:
    drop = {n.lower() for n in names} | {"content-length"}
    return {k: v for k, v in headers.items() if k.lower() not in drop}


async def test_a_missing_or_contradicting_signal_is_reported_and_fails(network: Network) -> None:
    a = await network.add("art.test")
    await artist(a, "alice")

    def rewrite(request: httpx.Request, response: httpx.Response, body: bytes) -> tuple[dict[str, str], bytes] | None:
        path = request.url.path
        if path == "/users/alice" and request.headers.get("accept", "").startswith("application/activity+json"):
            doc = json.loads(body)
            del doc["contentUsage"]
            return _without(response.headers), json.dumps(doc).encode()
        if path.startswith("/media/") and request.method == "GET" and response.status_code == 200:
            headers = _without(response.headers, "x-robots-tag", "content-usage")
            headers["Content-Usage"] = "train-ai=y"  # more permissive than the artist's record
            stripped = Image.open(io.BytesIO(body))
            out = io.BytesIO()
            stripped.convert("RGB").save(out, "JPEG")  # re-encoded without XMP, as a careless proxy would
            return headers, out.getvalue()
        return None

    report = await run_audit(network, "alice@art.test", transport=Tamper(network, rewrite))
    assert report.exit_code() == 1 and report.failed()
    actor = one(report, "actor")
    assert actor["json-ld:contentUsage"] == ("missing", "")
    media = one(report, "media")
    assert media["header:X-Robots-Tag"][0] == "missing"
    assert media["header:Content-Usage"][0] == "conflict" and "train-ai=n" in media["header:Content-Usage"][1]
    assert media["xmp:packet"] == ("missing", "no XMP")
    assert media["header:on HEAD"][0] == "present"  # HEAD was left alone: it has what GET lost
    # The table names what is missing, per item.
    console_out = io.StringIO()
    with contextlib.redirect_stdout(console_out):
        print_report(report, problems_only=True)
    text = console_out.getvalue()
    assert "json-ld:contentUsage" in text and "header:X-Robots-Tag" in text and "conflict" in text
    assert "lack consent signals" in text


async def test_a_remote_actor_is_reported_but_fails_only_when_strict(network: Network) -> None:
    await network.add("art.test")
    peer = FixturePeer().install(network)  # a re-hosted Mastodon actor: no AI signals, no outbox served
    report = await run_audit(network, ACTOR)
    assert report.actor == ACTOR
    assert not any(item.ours for item in report.items)
    actor = one(report, "actor")
    assert actor["json-ld:contentUsage"][0] == "missing" and actor["header:tdm-reservation"][0] == "missing"
    assert actor["json-ld:indexable"][0] == "missing"  # Mastodon's actor fixture predates indexable
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1
    assert peer.received == []  # an audit never posts anything


# --- bounded, and hostile servers -----------------------------------------------------------------------------


async def test_limits_stop_the_crawl_and_are_reported(network: Network) -> None:
    a = await network.add("art.test", limits={"page_size": 2})
    await artist(a, "alice", works=3)
    report = await run_audit(network, "alice", limits=AuditLimits(max_pages=1, max_items=1, max_media=1))
    kinds = [item.kind for item in report.items]
    assert kinds.count("object") == 1 and kinds.count("outbox page") == 1 and kinds.count("media") == 1
    assert any("max_pages" in note for note in report.incomplete)
    assert any("max_items" in note for note in report.incomplete)
    assert any("max_media" in note for note in report.incomplete)


def hostile_app() -> Starlette:
    """A server that answers in every unhelpful way a scraper meets."""
    big = b'{"id": "x", "pad": "' + b"a" * 200_000 + b'"}'
    entity_xmp = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, "JPEG", xmp=entity_xmp)
    host = "evil.test"

    async def actor(request: Request) -> Response:
        doc = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"https://{host}/users/x", "type": "Person",
               "preferredUsername": "x", "inbox": f"https://{host}/inbox", "outbox": f"https://{host}/loop",
               "featured": f"https://{host}/slow", "url": f"https://{host}/big",
               "icon": {"type": "Image", "url": f"https://{host}/evil.jpg"},
               "xRobotsTag": 12, "contentUsage": "train-ai=maybe, Search=n", "tdmReservation": "yes",
               "dataMining": "http://example.com/not-plus", "aiTraining": "sometimes",
               "otherSetting": "noai", "license": "javascript:alert(1)", "creditText": "a\x00b\nc"}
        return Response(json.dumps(doc), media_type="application/activity+json")

    async def loop(request: Request) -> Response:
        return Response(status_code=302, headers={"Location": f"https://{host}/loop"})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(5)
        return Response("{}", media_type="application/activity+json")

    async def huge(request: Request) -> Response:
        return Response(big, media_type="text/html")

    async def evil_jpg(request: Request) -> Response:
        return Response(image.getvalue(), media_type="image/jpeg")

    return Starlette(routes=[Route("/users/x", actor), Route("/loop", loop), Route("/slow", slow),
                             Route("/big", huge), Route("/evil.jpg", evil_jpg)])


async def test_hostile_answers_are_reported_never_raised(network: Network) -> None:
    network.apps["evil.test"] = httpx.ASGITransport(app=hostile_app())
    limits = AuditLimits(max_bytes=65_536, timeout=0.5, max_redirects=2)
    report = await run_audit(network, "https://evil.test/users/x", limits=limits, our_hosts=["evil.test"])
    assert report.actor == "https://evil.test/users/x"
    actor = one(report, "actor")
    assert actor["json-ld:xRobotsTag"][0] == "missing"  # a number is no directive
    assert actor["json-ld:contentUsage"][0] == "invalid"  # upper-case key: not an RFC 9651 dictionary
    assert actor["json-ld:tdmReservation"] == ("invalid", "yes")
    assert actor["json-ld:dataMining"][0] == "invalid" and actor["json-ld:aiTraining"][0] == "invalid"
    assert actor["json-ld:otherSetting noai"][0] == "missing"
    errors = {item.kind: item.error for item in report.items if item.error}
    assert "more than 2 redirects" in errors["outbox"]
    assert "no answer within 0.5s" in errors["featured"]
    assert "over the 65536-byte cap" in errors["page"]
    avatar = one(report, "avatar")
    assert avatar["xmp:packet"][0] == "optional" and "DOCTYPE" in avatar["xmp:packet"][1]  # refused, not expanded
    assert report.exit_code() == 1


async def test_private_addresses_are_refused_unless_allowed(network: Network) -> None:
    report = await audit("http://127.0.0.1:9/users/alice", allow_private=False, our_hosts=["127.0.0.1:9"])
    assert report.exit_code() == 2
    assert "non-public address" in (report.items[0].error or "")
    report = await audit("alice@10.0.0.1", allow_private=False)
    assert report.exit_code() == 2 and "non-public" in (report.items[0].error or "")


def test_robots_reading_follows_rfc9309() -> None:
    text = ("User-agent: GPTBot\nUser-agent: CCBot\nAllow: /@bob/\nAllow: /media/bob/\nDisallow: /\n"
            "Content-Usage: train-ai=n\n\n# comment\nUser-agent: *\nDisallow: /studio\nAllow: /\n"
            "Content-Usage: train-ai=n\nContent-Usage: /@bob/ train-ai=y\n")
    groups = parse_robots(text)
    gpt = robots_group(groups, "gptbot")
    assert not robots_allows(gpt, "/@alice/") and robots_allows(gpt, "/@bob/1") and robots_allows(gpt, "/media/bob/x")
    other = robots_group(groups, "SomeBot")
    assert robots_allows(other, "/@alice/") and not robots_allows(other, "/studio/x")
    spawning = robots_group(parse_robots("User-Agent: *\nAllow: /media/bob/\nDisallow: *.jpg\nDisallow: /\n"), "*")
    assert robots_allows(spawning, "/media/bob/a.jpg") and not robots_allows(spawning, "/media/alice/a.jpg")


def test_xmp_is_read_back_from_jpeg_png_and_webp() -> None:
    from fediverse.consent import read_xmp, xmp_packet

    packet = xmp_packet(ConsentRecord(), creator="Ana")
    for fmt, kwargs in (("JPEG", {"xmp": packet}), ("WEBP", {"xmp": packet})):
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, fmt, **kwargs)
        assert read_xmp(xmp_from_bytes(out.getvalue())).first("dc:creator") == "Ana", fmt
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode(), zip=False)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    assert read_xmp(xmp_from_bytes(out.getvalue())).first("plus:DataMining")
    assert xmp_from_bytes(imagecorpus.plain_jpeg()[:200]) is None  # cut short, no packet: nothing, no error
    assert xmp_from_bytes(b"\x00" * 100) is None


def test_an_item_of_ours_with_an_error_fails_a_remote_one_does_not() -> None:
    report = AuditReport("x", actor="https://art.test/users/a")
    report.items.append(AuditItem("media", "https://cdn.test/a.jpg", ours=False, error="HTTP 500"))
    assert report.exit_code() == 0
    report.items.append(AuditItem("media", "https://art.test/media/a.jpg", ours=True, error="HTTP 500"))
    assert report.exit_code() == 1


# --- the command, against the real server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_")} | {"COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "fediverse", "--config", str(home / "instance.toml"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=home, env=env)


@pytest.mark.slow
def test_the_audit_command_against_a_running_server(tmp_path: Path) -> None:
    port = _free_port()
    config = (ROOT / "instance.toml").read_text()
    config = config.replace('domain = "localhost:8000"', f'domain = "127.0.0.1:{port}"')
    config = config.replace("allow_private_addresses = false", "allow_private_addresses = true")
    (tmp_path / "instance.toml").write_text(config)
    assert _cli(tmp_path, "user", "create", "alice").returncode == 0
    (tmp_path / "a.jpg").write_bytes(imagecorpus.plain_jpeg())
    posted = _cli(tmp_path, "post", "alice", "--image", "a.jpg", "--alt", "A heron")
    assert posted.returncode == 0, posted.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_")}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "fediverse", "--config", str(tmp_path / "instance.toml"),
                               "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        result = _cli(tmp_path, "consent", "audit", "alice", "--json")
        report = json.loads(result.stdout)
        assert report["actor"] == f"http://127.0.0.1:{port}/users/alice"
        by_kind: dict[str, dict[str, str]] = {}
        for item in report["items"]:
            by_kind.setdefault(item["kind"], {c["surface"] + ":" + c["name"]: c["status"] for c in item["checks"]})
        assert by_kind["actor"]["json-ld:contentUsage"] == "present"
        assert by_kind["attachment"]["json-ld:dataMining"] == "present"
        assert by_kind["media"]["xmp:plus:DataMining"] == "present"
        assert result.returncode == (1 if report["failed"] else 0) == 0, result.stdout[-3000:]
        table = _cli(tmp_path, "consent", "audit", f"alice@127.0.0.1:{port}")
        assert table.returncode == 0 and "every consent signal present" in table.stdout
        assert "json-ld:contentUsage" in table.stdout
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


async def test_an_ai_crawler_user_agent_sees_the_refusal(network: Network) -> None:
    a = await network.add("art.test")
    await artist(a, "alice")
    await artist(a, "bob", OPT_IN)
    crawler = "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)"
    alice = await run_audit(network, "alice@art.test", user_agent=crawler)
    assert one(alice, "actor") == {"http:refused": ("present", "HTTP 403 to this user agent")}
    assert alice.actor == "https://art.test/users/alice" and alice.exit_code() == 0
    bob = await run_audit(network, "bob@art.test", user_agent=crawler)
    assert one(bob, "actor")["json-ld:aiTraining"] == ("present", "allowed") and bob.exit_code() == 0


def test_federation_md_documents_every_consent_term() -> None:
    from fediverse.consent import CONSENT_NS, JSONLD_TERMS

    text = (ROOT / "FEDERATION.md").read_text()

    def expand(iri: str) -> str:
        prefix, _, local = iri.partition(":")
        base = JSONLD_TERMS.get(prefix)
        return base + local if isinstance(base, str) and local and not iri.startswith("http") else iri

    assert CONSENT_NS in text
    for term, definition in JSONLD_TERMS.items():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        assert f"| `{term}` | `{expand(iri)}`" in text, term
    for fep in ("67ff", "5feb", "5e53", "268d", "f1d5"):
        assert f"FEP-{fep}" in text
