"""Domain blocks in the panel: admins only for changes, Mastodon's CSV both ways, bad files import nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse.models import AuditLog, DomainBlock
from fediverse.services.blocklist_csv import MAX_CSV_BYTES
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login, post_form

# What Mastodon 4.x writes from Moderation → Federation → Export (Admin::ExportDomainBlocksController), as a
# spreadsheet re-saves it: with a UTF-8 BOM, CRLF line ends, a quoted comment holding a comma and a non-ASCII one.
MASTODON_EXPORT = (
    "\ufeff#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n"
    "bad.domain,silence,false,false,bad server,false\r\n"
    "worse.domain,suspend,true,true,\"worse server, harassment\",true\r\n"
    "reject.media,noop,true,false,reject media and test unicode characters ♥,false\r\n"
).encode()


@pytest.fixture
async def art(network: Network) -> Instance:
    instance = await network.add("art.test")
    await make_user(instance, "mod", password=PASSWORD, role="moderator")
    await make_user(instance, "boss", password=PASSWORD, role="admin")
    return instance


async def _blocks(instance: Instance) -> dict[str, DomainBlock]:
    async with instance.rt.sessions() as session:
        return {b.domain: b for b in await session.scalars(select(DomainBlock))}


async def _import(client, data: bytes, name: str = "domain_blocks.csv"):  # type: ignore[no-untyped-def]
    sent = await post_form(client, "/admin/domain-blocks", "/admin/domain-blocks/import", {"reason": "shared list"},
                           files={"file": (name, data, "text/csv")})
    page = await client.get("/admin/domain-blocks")
    return sent, page


async def test_a_moderator_sees_and_exports_blocks_but_cannot_change_them(art: Instance) -> None:
    async with browser(art) as client:
        await login(client, "mod")
        listing = await client.get("/admin/domain-blocks")
        assert listing.status_code == 200 and "Only admins can add" in listing.text
        create = await post_form(client, "/admin/domain-blocks", "/admin/domain-blocks",
                                 {"domain": "spam.example", "severity": "suspend"})
        assert create.status_code == 403
        imported, _page = await _import(client, MASTODON_EXPORT)
        assert imported.status_code == 403
        assert (await client.get("/admin/domain-blocks/export.csv")).status_code == 200
    assert await _blocks(art) == {}


async def test_an_admin_blocks_a_domain_with_an_audit_entry_and_bad_input_is_refused(art: Instance) -> None:
    async with browser(art) as client:
        await login(client, "boss")
        done = await post_form(client, "/admin/domain-blocks", "/admin/domain-blocks",
                               {"domain": " Spam.Example. ", "severity": "silence", "reject_media": "1",
                                "private_comment": "bots everywhere", "public_comment": "spam"})
        assert done.status_code == 303
        for domain, severity, expected in (("https://x.example/path", "suspend", "without https://"),
                                           ("not a domain", "suspend", "not a domain"),
                                           ("ok.example", "nuke", "severity must be one of"),
                                           ("spam.example", "suspend", "already blocked")):
            refused = await post_form(client, "/admin/domain-blocks", "/admin/domain-blocks",
                                      {"domain": domain, "severity": severity})
            assert refused.status_code == 400 and expected in refused.text, domain
        forged = await client.post("/admin/domain-blocks", data={"domain": "csrf.example", "severity": "suspend"})
        assert forged.status_code == 403
    blocks = await _blocks(art)
    assert list(blocks) == ["spam.example"]
    block = blocks["spam.example"]
    assert block.severity == "silence" and block.reject_media and block.private_comment == "bots everywhere"
    async with art.rt.sessions() as session:
        [entry] = list(await session.scalars(select(AuditLog)))
    assert entry.action == "domain_block.create" and entry.target == "spam.example" and entry.reason == "bots everywhere"

    async with browser(art) as client:  # edit, then lift it
        await login(client, "boss")
        page = f"/admin/domain-blocks/{block.id}"
        assert (await post_form(client, page, page, {"severity": "suspend"})).status_code == 303
        assert (await _blocks(art))["spam.example"].severity == "suspend"
        assert (await post_form(client, page, f"{page}/delete", {"reason": "they cleaned up"})).status_code == 303
    assert await _blocks(art) == {}
    async with art.rt.sessions() as session:
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["domain_block.create", "domain_block.update", "domain_block.delete"]


async def test_a_mastodon_export_imports_and_exports_back_the_same(art: Instance) -> None:
    async with browser(art) as client:
        await login(client, "boss")
        sent, page = await _import(client, MASTODON_EXPORT)
        assert sent.status_code == 303 and "Imported 3 domain blocks" in page.text
        exported = await client.get("/admin/domain-blocks/export.csv")
        again, page = await _import(client, exported.content)
        assert again.status_code == 303 and "Imported 0 domain blocks; 3 already blocked were skipped" in page.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    original = MASTODON_EXPORT.decode("utf-8-sig").replace("\r\n", "\n").splitlines()
    assert sorted(exported.text.splitlines()[1:]) == sorted(original[1:])
    assert exported.text.splitlines()[0] == original[0]
    blocks = await _blocks(art)
    worse = blocks["worse.domain"]
    assert worse.severity == "suspend" and worse.reject_media and worse.reject_reports and worse.obfuscate
    assert worse.public_comment == "worse server, harassment" and worse.private_comment == "shared list"
    assert blocks["reject.media"].public_comment.endswith("♥") and blocks["bad.domain"].severity == "silence"


@pytest.mark.parametrize(("data", "message"), [
    (b"domain,severity\nbad.domain,suspend\n", "line 1 must be Mastodon's header"),
    (b"#domain,#severity\ngood.domain,suspend\nbad.domain,obliterate\n", "line 3: severity must be one of"),
    (b"#domain,#severity\ngood.domain,suspend\nhttps://bad.domain/,suspend\n", "line 3:"),
    (b"#domain,#severity,#reject_media\ngood.domain,suspend,maybe\n", "line 2: #reject_media must be true or false"),
    (b"#domain,#severity\ngood.domain,suspend\ngood.domain,silence\n", "line 3: good.domain is listed twice"),
    (b"#domain,#severity\n\xff\xfe", "not UTF-8"),
    (b"#domain,#severity\ngood.domain,suspend,extra,cells\n", "line 2: 4 fields"),
    (b"#domain,#severity\n" + b"a.example,suspend\n" * (MAX_CSV_BYTES // 18 + 10), "larger than 2 MB"),
])
async def test_a_bad_file_imports_nothing_and_says_what_is_wrong(art: Instance, data: bytes, message: str) -> None:
    async with browser(art) as client:
        await login(client, "boss")
        sent, page = await _import(client, data)
    assert sent.status_code == 303
    assert "Nothing was imported" in page.text and message in page.text.replace("&#39;", "'"), page.text[-2000:]
    assert await _blocks(art) == {}


async def test_an_oversized_upload_is_refused_before_it_is_read(art: Instance) -> None:
    async with browser(art) as client:
        await login(client, "boss")
        sent = await post_form(client, "/admin/domain-blocks", "/admin/domain-blocks/import", {},
                               files={"file": ("big.csv", b"#domain\n" + b"x" * (MAX_CSV_BYTES + 2 * 1024 * 1024),
                                               "text/csv")})
    assert sent.status_code == 413
    assert await _blocks(art) == {}
