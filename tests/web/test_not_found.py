"""An address that matches no route: a browser gets the instance's error page, a program gets JSON."""

from __future__ import annotations

from tests.support import Network

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_unknown_address_is_a_page_for_browsers_and_json_for_programs(network: Network) -> None:
    art = await network.add("art.test")
    async with art.client() as client:
        page = await client.get("/no/such/page", headers={"Accept": BROWSER})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Not Found</h1>" in page.text and "nothing at this address" in page.text
        assert 'href="/search"' in page.text  # the site's own header: a way back in

        for accept in ("application/json", "application/activity+json", "*/*"):
            answer = await client.get("/no/such/page", headers={"Accept": accept})
            assert answer.status_code == 404 and answer.json() == {"error": "Not Found"}, accept
        posted = await client.post("/no/such/page", headers={"Accept": BROWSER}, content=b"x")
        assert posted.status_code == 404 and posted.json() == {"error": "Not Found"}
