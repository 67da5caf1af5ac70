"""Mastodon.py's admin calls against a real `fediverse serve` on loopback: a moderator's and an admin's apps
(authorised through the real sign-in and consent forms) list accounts, act on one, read and take a report and
block a domain, and the library decodes every answer into its Admin entity classes."""

from __future__ import annotations

from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.api.oauth_client import HIDDEN_RE, REDIRECT, authorize_url, query_of
from tests.browser.test_studio_browser import PASSWORD, running_server
from tests.web.panel_client import csrf_of

pytestmark = [pytest.mark.slow]
SCOPES = ["read", "admin:read", "admin:write"]
USERS = (("alice", "artist"), ("dave", "artist"), ("mod", "moderator"), ("boss", "admin"))


@contextmanager
def sign_in(base: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get("/login")
        signed_in = browser.post("/login", data={"csrf_token": csrf_of(page.text), "username": username,
                                                 "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        yield browser


def authorised(base: str, username: str, client_id: str, client_secret: str):  # type: ignore[no-untyped-def]
    """A Mastodon.py client logged in as `username` through the consent form (no browser needed for that here;
    test_mastodon_py_oauth.py drives the same form in Chromium)."""
    from mastodon import Mastodon

    from tests.api.oauth_client import App

    with sign_in(base, username) as browser:
        page = browser.get(authorize_url(App(client_id, client_secret, {}), scope=" ".join(SCOPES)))
        assert page.status_code == 200, page.text
        fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(page.text)}
        answer = browser.post("/oauth/authorize", data={**fields, "decision": "authorise"})
        assert answer.status_code == 302, answer.text
        code = query_of(answer.headers["location"])["code"]
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, request_timeout=30)
    api.log_in(code=code, redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    return api


def test_mastodon_py_moderates_accounts_reports_and_domains(tmp_path: Path) -> None:
    from mastodon import Mastodon, MastodonAPIError
    from mastodon.return_types import AdminAccount, AdminDomainBlock, AdminReport

    with running_server(tmp_path, users=USERS) as base:
        with sign_in(base, "alice") as alice:  # alice reports dave from the studio's report form
            form = alice.get("/studio/report?account=dave")
            sent = alice.post("/studio/report", data={"csrf_token": csrf_of(form.text), "account": "dave",
                                                      "category": "spam", "comment": "Spam links everywhere"})
            assert sent.status_code == 303, sent.text
        client_id, client_secret = Mastodon.create_app("Moderation app", api_base_url=base, scopes=SCOPES,
                                                       redirect_uris=REDIRECT)
        mod = authorised(base, "mod", client_id, client_secret)
        boss = authorised(base, "boss", client_id, client_secret)

        staff = mod.admin_accounts_v2(origin="local", permissions="staff")
        assert all(isinstance(a, AdminAccount) for a in staff)
        assert sorted(a.username for a in staff) == ["boss", "mod"]
        assert {a.role.name for a in staff} == {"Admin", "Moderator"}
        dave = mod.admin_accounts_v2(username="dave")[0]
        assert dave.account.acct == "dave" and dave.silenced is False

        open_reports = mod.admin_reports()
        assert [isinstance(r, AdminReport) for r in open_reports] == [True]
        report = open_reports[0]
        assert report.target_account.id == dave.id and report.comment == "Spam links everywhere"
        assert mod.admin_report_assign(report).assigned_account.username == "mod"

        mod.admin_account_moderate(dave, action="silence", report_id=report, text="Spam, silenced")
        assert mod.admin_account(dave).silenced is True
        assert mod.admin_reports() == [] and mod.admin_reports(resolved=True)[0].action_taken is True

        with pytest.raises(MastodonAPIError):  # domain blocks are changed by admins only, as in the panel
            mod.admin_create_domain_block("spam.example", severity="suspend")
        block = boss.admin_create_domain_block("spam.example", severity="suspend", reject_media=True,
                                               private_comment="a spam farm")
        assert isinstance(block, AdminDomainBlock) and block.domain == "spam.example" and block.severity == "suspend"
        assert [b.domain for b in mod.admin_domain_blocks()] == ["spam.example"]

        with sign_in(base, "boss") as panel:  # the panel's audit log shows what the apps did
            log = panel.get("/admin/audit-log")
            detail = panel.get(f"/admin/accounts/{dave.id}").text
        assert "account.silence" in detail and "Spam, silenced" in detail
        assert log.status_code == 200 and "domain_block.create" in log.text and "report.assign" in log.text
