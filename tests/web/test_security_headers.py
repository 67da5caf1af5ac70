"""Every public HTML page (portfolio, work page, home, 404) is as hard to frame or sniff as the panel."""

from __future__ import annotations

from tests.federation.helpers import make_user
from tests.support import Network
from tests.web import post_work


async def test_public_pages_send_csp_nosniff_and_referrer_policy(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", display_name="Alice Fox")
    work = await post_work(art, "alice", title="Fox", seed=1)
    paths = {"home": "/", "portfolio": "/@alice", "work page": art.rt.uris.work_page("alice", work.public_id),
             "missing artist": "/@nobody", "missing page": "/no/such/page"}
    async with art.client() as client:
        for what, path in paths.items():
            response = await client.get(path)
            expected = 404 if what.startswith("missing") else 200
            assert response.status_code == expected, (what, response.status_code)
            csp = response.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in csp, (what, dict(response.headers))
            # the work page runs its viewer: this site's own file, never inline code or another origin
            script = "script-src 'self';" if what == "work page" else "script-src 'none';"
            assert script in csp and "object-src 'none'" in csp, what
            assert response.headers.get("x-content-type-options") == "nosniff", what
            assert response.headers.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin"), what
            # a second, cached answer carries them too
            again = await client.get(path)
            assert "frame-ancestors 'none'" in again.headers.get("content-security-policy", ""), what
