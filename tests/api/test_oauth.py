"""OAuth 2 for Mastodon apps, in process: register, sign in and consent in the studio, trade the code, use and
revoke the token; and every bad input answered with a clear JSON (or page) error that changes nothing."""

from __future__ import annotations

import base64
import json

import httpx
from sqlalchemy import func, select, text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api.auth import api_view
from fediverse.jobs.sweeper import housekeeping
from fediverse.models import OAuthApp, OAuthCode, OAuthToken
from tests.api.oauth_client import (
    REDIRECT, App, api, authorize_url, bearer, code_for, consent_page, decide, pkce_pair, query_of, register, trade,
)
from tests.federation.helpers import make_user
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD, browser, login, post_form


async def artist_instance(network: Network, **sections: dict[str, object]) -> Instance:
    art = await network.add("art.test", **sections)
    await make_user(art, "alice", password=PASSWORD)
    return art


async def count(instance: Instance, model: type) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def user_token(art: Instance, client: httpx.AsyncClient, app: App, **extra: str) -> str:
    async with browser(art) as person:
        code = await code_for(person, app, **extra)
    answer = await trade(client, app, code)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_an_app_registers_by_form_or_json_and_gets_its_credentials_once(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client:
        app = await register(client, redirect_uris=f"{REDIRECT}\nurn:ietf:wg:oauth:2.0:oob")
        assert app.entity["name"] == "Ice Cubes" and app.entity["website"] == "https://icecubes.example"
        assert app.entity["redirect_uris"] == [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]
        assert app.entity["scopes"] == ["read", "write", "follow", "push"]
        assert app.entity["client_secret_expires_at"] == 0 and len(app.client_secret) >= 40
        as_json = await client.post("/api/v1/apps", json={
            "client_name": "Tusky", "redirect_uris": ["oauth2redirect://com.keylesspalace.tusky/"]})
        assert as_json.status_code == 200, as_json.text
        assert as_json.json()["scopes"] == ["read"]  # Mastodon's default
        assert as_json.json()["redirect_uri"] == "oauth2redirect://com.keylesspalace.tusky/"

        token = await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": app.client_id,
                                                        "client_secret": app.client_secret, "scope": "read"})
        assert token.status_code == 200, token.text
        assert token.json()["token_type"] == "Bearer" and token.json()["scope"] == "read"
        me = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token.json()["access_token"]))
        assert me.status_code == 200 and me.json()["name"] == "Ice Cubes"
        assert "client_secret" not in me.json()


async def test_bad_registrations_answer_422_json_and_store_nothing(network: Network) -> None:
    art = await artist_instance(network)
    bad = [
        {"redirect_uris": REDIRECT},  # no name
        {"client_name": "  ", "redirect_uris": REDIRECT},
        {"client_name": "x" * 201, "redirect_uris": REDIRECT},
        {"client_name": "Evil", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "Evil", "redirect_uris": "/relative/path"},
        {"client_name": "Evil", "redirect_uris": "https://app.example/cb#fragment"},
        {"client_name": "Evil", "redirect_uris": "https:///no-host"},
        {"client_name": "Evil"},  # no redirect URI at all
        {"client_name": "Evil", "redirect_uris": REDIRECT, "scopes": "read admin:everything"},
        {"client_name": "Evil", "redirect_uris": REDIRECT, "website": "javascript:alert(1)"},
    ]
    async with api(art) as client:
        for data in bad:
            answer = await client.post("/api/v1/apps", data=data)
            assert answer.status_code == 422, (data, answer.text)
            assert answer.headers["content-type"] == "application/json"
            assert answer.json()["error"].startswith("Validation failed"), answer.json()
        broken = await client.post("/api/v1/apps", content=b"{not json", headers={"content-type": "application/json"})
        assert broken.status_code == 400 and "JSON" in broken.json()["error"]
        array = await client.post("/api/v1/apps", json=["client_name"])
        assert array.status_code == 400
    assert await count(art, OAuthApp) == 0


async def test_an_artist_signs_in_consents_and_the_app_trades_the_code_for_a_token(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        page = await consent_page(person, authorize_url(app, state="xyz 123"))
        assert "Authorise Ice Cubes?" in page.text and "https://icecubes.example" in page.text and "@alice" in page.text
        assert "Change everything in your account" in page.text and "See and change whom you follow" in page.text
        assert "icecubesapp:" in page.headers["content-security-policy"]  # the form may lead back to the app
        answer = await decide(person, page)
        assert answer.status_code == 302
        back = query_of(answer.headers["location"])
        assert answer.headers["location"].startswith(REDIRECT + "?") and back["state"] == "xyz 123"
        token = await trade(client, app, back["code"])
        assert token.status_code == 200, token.text
        body = token.json()
        assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"  # follow echoed
        assert isinstance(body["created_at"], int) and "expires_in" not in body and "refresh_token" not in body
        me = await client.get("/api/v1/apps/verify_credentials", headers=bearer(body["access_token"]))
        assert me.status_code == 200 and me.json()["name"] == "Ice Cubes"


async def test_a_narrower_scope_is_granted_and_a_wider_one_refused(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client, scopes="read write:statuses")
        narrow = await consent_page(person, authorize_url(app, scope="read:accounts write:statuses"))
        assert "Read: accounts" in narrow.text
        wider = await person.get(authorize_url(app, scope="read write"))
        assert wider.status_code == 302 and query_of(wider.headers["location"])["error"] == "invalid_scope"
        unknown = await person.get(authorize_url(app, scope="read sudo"))
        assert query_of(unknown.headers["location"])["error"] == "invalid_scope"
    assert await count(art, OAuthCode) == 0


async def test_the_consent_page_shows_a_hostile_app_name_as_text(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        made = await client.post("/api/v1/apps", json={"client_name": '<script>alert("x")</script>',
                                                       "redirect_uris": REDIRECT})
        app = App(made.json()["client_id"], made.json()["client_secret"], made.json())
        page = await consent_page(person, authorize_url(app, scope="read", state='"><script>'))
        assert "<script>" not in page.text and "&lt;script&gt;alert" in page.text


async def test_deny_sends_the_person_back_with_access_denied_and_no_code(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        page = await consent_page(person, authorize_url(app, state="s1"))
        answer = await decide(person, page, "deny")
        assert answer.status_code == 302
        assert query_of(answer.headers["location"]) == {
            "error": "access_denied", "error_description": "The person denied the app access.", "state": "s1"}
    assert await count(art, OAuthCode) == 0


async def test_the_consent_form_needs_the_session_csrf_token_and_the_same_origin(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        page = await consent_page(person, authorize_url(app))
        fields = {"client_id": app.client_id, "redirect_uri": REDIRECT, "response_type": "code",
                  "scope": "read", "decision": "authorise"}
        forged = await person.post("/oauth/authorize", data=fields)
        assert forged.status_code == 403 and "location" not in forged.headers
        assert "csrf_token" in page.text
        cross_site = await person.post(
            "/oauth/authorize", data={**fields, "csrf_token": "x" * 43}, headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403 and "location" not in cross_site.headers
    assert await count(art, OAuthCode) == 0


async def test_signed_out_consent_post_is_refused(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        page = await consent_page(person, authorize_url(app))
        await post_form(person, "/studio", "/logout")
        answer = await decide(person, page)
        assert answer.status_code == 403 and "location" not in answer.headers


async def test_pkce_s256_verifier_must_match_the_challenge(network: Network) -> None:
    art = await artist_instance(network)
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        good = await code_for(person, app, **pkce)
        assert (await trade(client, app, good, code_verifier=verifier)).status_code == 200
        for wrong in ({"code_verifier": pkce_pair()[0]}, {}):
            code = await code_for(person, app, **pkce)
            answer = await trade(client, app, code, **wrong)
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
            assert "PKCE" in answer.json()["error_description"]
        plain = await person.get(authorize_url(app, code_challenge=verifier, code_challenge_method="plain"))
        assert plain.status_code == 302 and query_of(plain.headers["location"])["error"] == "invalid_request"
    assert await count(art, OAuthToken) == 1


async def test_a_code_works_once_and_only_for_ten_minutes(network: Network) -> None:
    clock = StepClock()
    art = await network.add("art.test", clock=clock)
    await make_user(art, "alice", password=PASSWORD)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        code = await code_for(person, app)
        assert (await trade(client, app, code)).status_code == 200
        replay = await trade(client, app, code)
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        late = await code_for(person, app)
        clock.advance(11 * 60)
        expired = await trade(client, app, late)
        assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
        other = await register(client)
        stolen = await code_for(person, app)
        cross = await trade(client, other, stolen)  # another app's credentials with this app's code
        assert cross.status_code == 400 and cross.json()["error"] == "invalid_grant"
        assert (await trade(client, app, stolen)).status_code == 400  # and the code is burnt
        garbage = await trade(client, app, "not-a-code")
        assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_grant"
        await code_for(person, app)
        clock.advance(11 * 60)
    assert await count(art, OAuthCode) == 1
    await housekeeping(art.rt)  # a code never traded is pruned once past its lifetime
    assert await count(art, OAuthCode) == 0
    assert await count(art, OAuthToken) == 1


async def test_redirect_uri_must_match_exactly(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        for uri in ("icecubesapp://oauth-callback/evil", "https://evil.example/cb", "ICECUBESAPP://oauth-callback"):
            refused = await person.get(authorize_url(app, redirect_uri=uri))
            assert refused.status_code == 400 and "location" not in refused.headers
            assert "did not register" in refused.text
        unknown_app = await person.get(authorize_url(App("nope", "", {})))
        assert unknown_app.status_code == 400 and "not registered" in unknown_app.text
        code = await code_for(person, app)
        mismatch = await trade(client, app, code, redirect_uri="icecubesapp://other")
        assert mismatch.status_code == 400 and mismatch.json()["error"] == "invalid_grant"
    assert await count(art, OAuthToken) == 0


async def test_the_client_authenticates_by_body_or_basic_and_a_wrong_secret_is_401(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        code = await code_for(person, app)
        wrong = await trade(client, app, code, client_secret="wrong")
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        basic_wrong = await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                              "redirect_uri": REDIRECT},
                                        headers={"Authorization": "Basic " + base64.b64encode(
                                            f"{app.client_id}:wrong".encode()).decode()})
        assert basic_wrong.status_code == 401 and basic_wrong.json()["error"] == "invalid_client"
        assert basic_wrong.headers["www-authenticate"].startswith("Basic")
        garbled = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                    headers={"Authorization": "Basic !!!"})
        assert garbled.status_code == 401
        as_json = await client.post("/oauth/token", json={
            "grant_type": "client_credentials", "scope": "read", "client_id": app.client_id,
            "client_secret": app.client_secret})
        assert as_json.status_code == 200 and as_json.json()["scope"] == "read"  # a JSON body, as some apps send
        basic = await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                        "redirect_uri": REDIRECT},
                                  auth=(app.client_id, app.client_secret))
        assert basic.status_code == 200, basic.text  # the wrong attempts did not burn the code
        unsupported = await client.post("/oauth/token", data={"grant_type": "password", "client_id": app.client_id,
                                                              "client_secret": app.client_secret})
        assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
        scope = await client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "admin:write",
                                                        "client_id": app.client_id, "client_secret": app.client_secret})
        assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    assert await count(art, OAuthToken) == 2


async def test_revoke_answers_200_every_time_and_the_token_stops_working(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client:
        app = await register(client)
        token = await user_token(art, client, app)
        assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).status_code == 200
        creds = {"client_id": app.client_id, "client_secret": app.client_secret}
        for attempt in (token, token, "never-issued"):
            answer = await client.post("/oauth/revoke", data={**creds, "token": attempt})
            assert answer.status_code == 200 and answer.json() == {}
        refused = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
        assert refused.status_code == 401 and refused.json() == {"error": "The access token is invalid"}
        wrong = await client.post("/oauth/revoke", data={**creds, "client_secret": "nope", "token": token})
        assert wrong.status_code == 401


async def test_a_missing_or_unknown_token_is_401_json(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client:
        for headers in ({}, bearer("made-up"), {"Authorization": "Bearer " + "x" * 5000},
                        {"Authorization": "Basic abc"}):
            answer = await client.get("/api/v1/apps/verify_credentials", headers=headers)
            assert answer.status_code == 401, headers
            assert answer.json() == {"error": "The access token is invalid"}


async def test_an_endpoint_refuses_a_token_without_its_scope_with_403(network: Network) -> None:
    art = await artist_instance(network)

    @api_view("write:statuses")
    async def post_status(request: Request, session: object, grant: object) -> Response:
        return Response("posted")

    @api_view("read:statuses", public=True, user=False)
    async def public_timeline(request: Request, session: object, grant: object) -> Response:
        return Response("anyone" if grant is None else "app or person")

    art.app.router.routes.insert(0, Route("/api/v1/test-only/statuses", post_status, methods=["POST"]))
    art.app.router.routes.insert(0, Route("/api/v1/test-only/public", public_timeline))
    async with api(art) as client:
        app = await register(client, scopes="read write follow")
        reader = await user_token(art, client, app, scope="read follow")
        writer = await user_token(art, client, app, scope="write:statuses")
        refused = await client.post("/api/v1/test-only/statuses", headers=bearer(reader))
        assert refused.status_code == 403
        assert refused.json() == {"error": "This action is outside the authorized scopes"}
        assert (await client.post("/api/v1/test-only/statuses", headers=bearer(writer))).text == "posted"
        app_only = await client.post("/oauth/token", data={
            "grant_type": "client_credentials", "scope": "write", "client_id": app.client_id,
            "client_secret": app.client_secret})
        no_user = await client.post("/api/v1/test-only/statuses", headers=bearer(app_only.json()["access_token"]))
        assert no_user.status_code == 422 and "authenticated user" in no_user.json()["error"]
        assert (await client.get("/api/v1/test-only/public")).text == "anyone"
        assert (await client.get("/api/v1/test-only/public", headers=bearer(reader))).text == "app or person"
        assert (await client.get("/api/v1/test-only/public", headers=bearer("forged"))).status_code == 401
        assert (await client.get("/api/v1/test-only/public", headers=bearer(writer))).status_code == 403


async def test_a_suspended_artist_s_tokens_stop_working_and_are_deleted(network: Network) -> None:
    art = await artist_instance(network)
    alice_id = (await _user_id(art, "alice"))
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    async with api(art) as client, browser(art) as staff:
        app = await register(client)
        token = await user_token(art, client, app)
        await login(staff, "mod")
        page = f"/admin/accounts/{alice_id}"
        done = await post_form(staff, page, f"{page}/action", {"action": "suspend", "reason": "spam"})
        assert done.status_code == 303, done.text
        refused = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
        assert refused.status_code == 401 and refused.json() == {"error": "The access token is invalid"}
        done = await post_form(staff, page, f"{page}/action", {"action": "unsuspend", "reason": "appeal"})
        assert done.status_code == 303
        assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).status_code == 401
    assert await count(art, OAuthToken) == 0


async def _user_id(instance: Instance, username: str) -> int:
    from tests.federation.helpers import user

    return (await user(instance, username)).account_id


async def test_secrets_codes_and_tokens_are_stored_only_as_hashes(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        code = await code_for(person, app)
        pending = await code_for(person, app)
        token = (await trade(client, app, code)).json()["access_token"]
        app_token = (await client.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": app.client_id,
            "client_secret": app.client_secret})).json()["access_token"]
    dump = []
    async with art.rt.sessions() as session:
        for table in ("oauth_apps", "oauth_codes", "oauth_tokens"):
            found = await session.execute(text(f"SELECT * FROM {table}"))
            dump += [json.dumps([str(v) for v in row]) for row in found]
    everything = "\n".join(dump)
    assert app.client_id in everything  # public, kept as is
    for secret in (app.client_secret, code, pending, token, app_token):
        assert secret not in everything


async def test_cors_on_the_api_oauth_and_well_known_paths_only(network: Network) -> None:
    art = await artist_instance(network)
    preflight = {"Origin": "https://phanpy.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    async with api(art) as client:
        for path in ("/api/v1/apps", "/oauth/token", "/oauth/revoke", "/api/v1/apps/verify_credentials"):
            answer = await client.options(path, headers=preflight)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["access-control-allow-origin"] == "*"
            assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        simple = await client.get("/.well-known/oauth-authorization-server", headers={"Origin": "https://elk.example"})
        assert simple.headers["access-control-allow-origin"] == "*"
        refused = await client.get("/api/v1/apps/verify_credentials", headers={"Origin": "https://elk.example"})
        assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
        assert "Link" in refused.headers["access-control-expose-headers"]
        for path in ("/oauth/authorize", "/studio", "/login"):
            answer = await client.options(path, headers=preflight)
            assert "access-control-allow-origin" not in answer.headers, path
            page = await client.get(path, headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in page.headers, path


async def test_api_paths_take_a_trailing_slash_and_answer_json_errors(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client:
        made = await client.post("/api/v1/apps/", data={"client_name": "Slash", "redirect_uris": REDIRECT})
        assert made.status_code == 200, made.text
        token = await client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                        "client_id": made.json()["client_id"],
                                                        "client_secret": made.json()["client_secret"]})
        verified = await client.get("/api/v1/apps/verify_credentials/", headers=bearer(token.json()["access_token"]))
        assert verified.status_code == 200 and verified.json()["name"] == "Slash"
        for accept in ("text/html", "application/json"):
            missing = await client.get("/api/v1/no-such-endpoint", headers={"Accept": accept})
            assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
        wrong_method = await client.get("/oauth/token", headers={"Accept": "text/html"})
        assert wrong_method.status_code == 405 and "error" in wrong_method.json()


async def test_the_token_endpoint_is_rate_limited_per_address_with_a_json_429(network: Network) -> None:
    art = await artist_instance(network, spam={"requests_per_minute_per_ip": 5})
    async with api(art) as client:
        answers = [await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x",
                                                           "client_secret": f"guess{n}"},
                                       headers={"Origin": "https://phanpy.example"}) for n in range(8)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert answers[-1].status_code == 429 and "Too many requests" in answers[-1].json()["error"]
    assert answers[-1].headers["access-control-allow-origin"] == "*"


async def test_server_metadata_names_the_endpoints_and_pkce(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client:
        meta = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert meta["authorization_endpoint"] == "https://art.test/oauth/authorize"
    assert meta["token_endpoint"] == "https://art.test/oauth/token"
    assert meta["revocation_endpoint"] == "https://art.test/oauth/revoke"
    assert meta["app_registration_endpoint"] == "https://art.test/api/v1/apps"
    assert meta["code_challenge_methods_supported"] == ["S256"] and meta["response_types_supported"] == ["code"]
    assert {"read", "write", "follow", "push", "read:statuses", "admin:write:accounts"} <= set(
        meta["scopes_supported"])
    assert meta["grant_types_supported"] == ["authorization_code", "client_credentials"]


async def test_the_out_of_band_redirect_shows_the_code_on_a_page(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client, redirect_uris="urn:ietf:wg:oauth:2.0:oob")
        page = await consent_page(person, authorize_url(app, redirect_uri="urn:ietf:wg:oauth:2.0:oob"))
        shown = await decide(person, page)
        assert shown.status_code == 200 and "Copy this code" in shown.text
        code = shown.text.split('id="code" readonly value="')[1].split('"')[0]
        answer = await client.post("/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
        assert answer.status_code == 200, answer.text


async def test_force_login_signs_the_browser_out_and_asks_again(network: Network) -> None:
    art = await artist_instance(network)
    await make_user(art, "bob", password=PASSWORD)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        await consent_page(person, authorize_url(app))  # alice is signed in now
        again = await person.get(authorize_url(app, force_login="true"))
        assert again.status_code == 303 and again.headers["location"].startswith("/login?next=")
        assert "force_login" not in again.headers["location"]
        assert (await person.get("/studio")).status_code == 303  # the old session is over
        page = await consent_page(person, authorize_url(app), username="bob")
        assert "@bob" in page.text
        kept = await person.get(authorize_url(app, force_login="False"))  # Mastodon.py sends False
        assert kept.status_code == 200


async def test_the_studio_lists_authorised_apps_and_revokes_one(network: Network) -> None:
    art = await artist_instance(network)
    await make_user(art, "bob", password=PASSWORD)
    async with api(art) as client, browser(art) as person, browser(art) as other:
        app = await register(client)
        token = await user_token(art, client, app)
        assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).status_code == 200
        await login(person, "alice")
        listed = await person.get("/studio/apps")
        assert listed.status_code == 200 and "Ice Cubes" in listed.text and "Authorised apps" in listed.text
        assert "Change everything in your account" in listed.text and "Never" not in listed.text
        app_id = app.entity["id"]
        await login(other, "bob")
        foreign = await post_form(other, "/studio/apps", f"/studio/apps/{app_id}/revoke")
        assert foreign.status_code == 404  # bob cannot end alice's access
        assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).status_code == 200
        no_csrf = await person.post(f"/studio/apps/{app_id}/revoke")
        assert no_csrf.status_code == 403
        revoked = await post_form(person, "/studio/apps", f"/studio/apps/{app_id}/revoke")
        assert revoked.status_code == 303
        assert "No app has access" in (await person.get("/studio/apps")).text
        assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).status_code == 401


async def test_malformed_oauth_requests_get_4xx_answers_never_a_500(network: Network) -> None:
    art = await artist_instance(network)
    async with api(art) as client, browser(art) as person:
        app = await register(client)
        token_posts = [
            {"content": b"\xff\xfe garbage", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            {"content": b"x" * 70_000, "headers": {"content-type": "application/x-www-form-urlencoded"}},
            {"content": b"--b\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=b"}},
            {"json": {"grant_type": ["authorization_code"], "code": {"a": 1}, "client_id": 5}},
            {"data": {"grant_type": "authorization_code", "client_id": app.client_id,
                      "client_secret": app.client_secret}},  # no code
            {"content": b"grant_type=client_credentials", "headers": {"content-type": "text/plain"}},
        ]
        for request in token_posts:
            for path in ("/oauth/token", "/oauth/revoke", "/api/v1/apps"):
                answer = await client.post(path, **request)  # type: ignore[arg-type]
                assert 400 <= answer.status_code < 500, (path, request, answer.status_code, answer.text[:200])
                assert "error" in answer.json()
        await consent_page(person, authorize_url(app))
        # no app or an unregistered redirect: a page (400), never a redirect to an address nobody vouched for;
        # a known app and its own redirect: back to the app with the OAuth error
        for query, error in (("", None), ("?client_id=", None),
                             (f"?client_id={app.client_id}&redirect_uri=" + "x" * 5000, None),
                             (f"?client_id={'x' * 5000}", None),
                             (f"?client_id={app.client_id}&redirect_uri={REDIRECT}&response_type=code&scope="
                              + "r" * 3000, "invalid_scope"),
                             (f"?client_id={app.client_id}&redirect_uri={REDIRECT}&response_type=token",
                              "unsupported_response_type")):
            answer = await person.get("/oauth/authorize" + query)
            if error is None:
                assert answer.status_code == 400, (query[:80], answer.status_code)
            else:
                assert answer.status_code == 302, (query[:80], answer.status_code)
                assert answer.headers["location"].startswith(f"{REDIRECT}?error={error}&"), answer.headers["location"]
    assert await count(art, OAuthToken) == 0
