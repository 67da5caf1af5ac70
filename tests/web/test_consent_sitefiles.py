"""/robots.txt, /.well-known/tdmrep.json, /ai.txt and the TDM policy documents, for a mix of artists."""

from __future__ import annotations

from fediverse.consent import ai_crawler_tokens
from tests.federation.helpers import make_user
from tests.support import Network
from tests.web.test_consent_headers import ALICE, BOB, CC_BY, set_consent, three_artists


def group(text: str, first_line: str) -> list[str]:
    """The lines of the robots.txt group that starts with ``first_line`` (up to the next blank line)."""
    lines = text.splitlines()
    start = lines.index(first_line)
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


async def test_robots_txt_refuses_ai_crawlers_except_under_opted_in_artists(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        response = await client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"
    tokens = ai_crawler_tokens()
    ai = group(response.text, f"User-agent: {tokens[0]}")
    assert [line for line in ai if line.startswith("User-agent:")] == [f"User-agent: {t}" for t in tokens]
    assert "User-agent: GPTBot" in ai and "User-agent: CCBot" in ai
    rules = [line for line in ai if line.startswith(("Allow:", "Disallow:"))]
    assert rules == ["Allow: /media/bob/", "Allow: /users/bob/", "Allow: /@bob/", "Disallow: /"]
    assert "Content-Usage: train-ai=n, search=y" in ai
    assert "Content-Usage: /@bob/ train-ai=y, search=y" in ai
    assert "Content-Usage: /media/alice/ train-ai=n, search=n" in ai
    assert "Content-Usage: /@alice train-ai=n, search=n" in ai  # stricter than the instance: the bare path too
    assert not any("carol" in line for line in response.text.splitlines())  # the instance default covers carol
    everyone = group(response.text, "User-agent: *")
    assert {"Disallow: /studio", "Disallow: /login", "Disallow: /inbox", "Allow: /"} <= set(everyone)
    assert "Content-Usage: /@bob/ train-ai=y, search=y" in everyone
    assert "Content-Signal: search=yes, ai-input=no, ai-train=no" in everyone


async def test_robots_txt_of_a_permissive_instance_disallows_refusing_artists(network: Network) -> None:
    art = await three_artists(network, ai_training="allowed", tdm_reserved=False, ai_input=True)
    async with art.client() as client:
        text = (await client.get("/robots.txt")).text
    ai = group(text, f"User-agent: {ai_crawler_tokens()[0]}")
    rules = [line for line in ai if line.startswith(("Allow:", "Disallow:"))]
    assert rules == ["Disallow: /media/alice/", "Disallow: /users/alice/", "Disallow: /users/alice",
                     "Disallow: /@alice/", "Disallow: /@alice", "Allow: /"]
    assert "Content-Signal: search=yes, ai-input=yes, ai-train=yes" in text


async def test_tdmrep_json_lists_the_most_specific_rules_first(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        response = await client.get("/.well-known/tdmrep.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    rules = response.json()
    assert rules[-1] == {"location": "/", "tdm-reservation": 1, "tdm-policy": "https://art.test/policies/tdm"}
    by_location = {rule["location"]: rule for rule in rules}
    for prefix in ("/@bob/", "/users/bob/", "/media/bob/"):
        assert by_location[prefix] == {"location": prefix, "tdm-reservation": 0}
    # alice reserves like the instance, but points to her own policy
    assert by_location["/media/alice/"] == {"location": "/media/alice/", "tdm-reservation": 1,
                                           "tdm-policy": "https://art.test/policies/tdm/alice"}
    assert not any("carol" in rule["location"] for rule in rules)
    lengths = [len(rule["location"]) for rule in rules]
    assert lengths == sorted(lengths, reverse=True)


async def test_ai_txt_lets_datasets_in_only_where_artists_opted_in(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        response = await client.get("/ai.txt")
    lines = response.text.splitlines()
    assert response.status_code == 200 and "User-Agent: *" in lines
    assert lines.index("Allow: /@bob/") < lines.index("Disallow: *.jpg") < lines.index("Disallow: /")
    assert "Allow: /media/bob/" in lines
    assert not any("alice" in line or "carol" in line for line in lines)


async def test_policy_documents_are_odrl_json_ld(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        site = await client.get("/policies/tdm")
        alice = await client.get("/policies/tdm/alice")
        bob = await client.get("/policies/tdm/bob")
        nobody = await client.get("/policies/tdm/nobody")
    for response in (site, alice, bob):
        assert response.status_code == 200 and response.headers["content-type"] == "application/ld+json"
        assert response.json()["@type"] == "Offer"
        assert response.json()["profile"] == "http://www.w3.org/ns/tdmrep"
    assert site.json()["uid"] == "https://art.test/policies/tdm"
    assert site.json()["assigner"]["uid"] == "https://art.test"
    assert site.json()["permission"] == [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}]
    assert alice.json()["uid"] == "https://art.test/policies/tdm/alice"
    assert alice.json()["assigner"]["uid"] == "https://art.test/users/alice"
    assert alice.json()["permission"] == [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}]
    assert bob.json()["permission"] == [{"action": "tdm:mine"}]
    assert bob.json()["assigner"]["vcard:hasURL"] == CC_BY
    assert nobody.status_code == 404
    # the policy URL the headers and actor documents name is the document served here
    assert alice.headers["tdm-policy"] == "https://art.test/policies/tdm/alice"


async def test_site_files_follow_a_change_at_once(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        before = (await client.get("/robots.txt")).text
        await set_consent(art, "carol", BOB)
        await make_user(art, "dora")
        await set_consent(art, "dora", ALICE)
        await set_consent(art, "bob", None)
        after = (await client.get("/robots.txt")).text
        tdmrep = (await client.get("/.well-known/tdmrep.json")).json()
    assert "Allow: /@carol/" not in before and "Allow: /@bob/" in before
    assert "Allow: /@carol/" in after and "Allow: /@bob/" not in after
    assert "Content-Usage: /@dora/ train-ai=n, search=n" in after
    assert {"location": "/@carol/", "tdm-reservation": 0} in tdmrep
