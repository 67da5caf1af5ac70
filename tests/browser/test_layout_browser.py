"""Every HTML page, public and studio, in a real headless Chromium at a phone (360x800) and a desktop (1280x900)
size, against one real `fediverse serve` with seeded data (issue 17): no sideways scrolling (down to 320 px),
axe-core finds 0 accessibility violations (in the dark colour scheme too), the navigation above the heading
takes under a third of the phone's screen, touch targets (buttons, form fields, navigation links) are at least
44x44 px on the phone, and a full-page screenshot of each is left in the test's temporary directory.

The page list is checked against the app's route table: a new GET route must be listed in PAGES or in EXEMPT
(with the reason it is not an HTML page of its own), so no page is forgotten. Also: the portfolio's first load
(HTML + CSS + JS, gzip-compressed) stays under 60 KB and downloads no web font.

axe-core comes from npm (tests/browser/axe, pinned by its package-lock.json; `npm ci --prefix tests/browser/axe`).
It is evaluated through the DevTools protocol, so the pages keep their real Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from fediverse.config import Settings, load_settings
from fediverse.db import accounts as account_db
from fediverse.db import statuses as status_db
from fediverse.models import (
    Account, CollectionItem, DomainBlock, Notification, RemoteNote, Status, WorkCollection, utcnow,
)
from fediverse.runtime import create_runtime
from fediverse.services import domain_blocks, invites, oauth, reports
from fediverse.services import works as work_service
from fediverse.services.works import ImageUpload, WorkInput
from tests import imagecorpus
from tests.admin.test_domain_blocks import MASTODON_EXPORT
from tests.browser.test_admin_ops_browser import _seed as seed_spam_wave
from tests.browser.test_moderation_browser import _log_in
from tests.browser.test_studio_browser import CHROMIUM, CHROMIUM_ARGS, _playwright, running_server
from tests.components import AXE_SCRIPT

VIEWPORTS = {"phone": (360, 800), "desktop": (1280, 900)}
NARROWEST = 320  # CSS px: the phone pages are checked for sideways scrolling at this width too
TOUCH_MIN = 44  # CSS px, both sides (WCAG 2.5.5, Apple's HIG): what the issue asks of touch targets
NAVIGATION_SHARE = 0.3  # of the phone screen's height, at most, for the navigation above the heading
PORTFOLIO_BUDGET = 60 * 1024  # bytes, gzip-compressed HTML + CSS + JS before images
REMOTE_USER = "marguerite_de_la_tour_illustrations_and_prints"
REMOTE_DOMAIN = "studio.a-rather-long-domain-name-for-an-art-collective.example"
REMOTE_URI = f"https://{REMOTE_DOMAIN}/users/{REMOTE_USER}"
LONG_URL = "https://" + REMOTE_DOMAIN + "/" + "portfolio-and-sketchbook-archive-" * 3


@dataclass(frozen=True)
class Page:
    """One page to check: its route (as in the app's route table), who looks, and the URL (filled from Seed)."""

    name: str
    route: str
    who: str  # "visitor" (signed out), "alice" (artist) or "boss" (admin)
    url: str


APP_REDIRECT = "icecubesapp://oauth-callback"
PAGES = [
    # Public pages, as a visitor sees them.
    Page("front", "/", "visitor", "/"),
    Page("portfolio", "/@{username}", "visitor", "/@alice"),
    Page("portfolio-as-actor-url", "/users/{username}", "visitor", "/users/alice"),
    Page("work", "/@{username}/{public_id}", "visitor", "/@alice/{work}"),
    Page("work-single-image", "/@{username}/{public_id}", "visitor", "/@alice/{single}"),
    Page("collection", "/@{username}/collections/{slug}", "visitor", "/@alice/collections/{collection}"),
    Page("tag", "/tags/{tag}", "visitor", "/tags/ink"),
    Page("search-results", "/search", "visitor", "/search?q=heron"),
    Page("search-accounts", "/search", "alice", "/search?q=" + REMOTE_USER[:12]),
    Page("thread", "/statuses/{status_id}", "visitor", "/statuses/{status}"),
    Page("thread-signed-in", "/statuses/{status_id}", "alice", "/statuses/{status}"),
    Page("remote-post-thread", "/statuses/{status_id}", "visitor", "/statuses/{remote_status}"),
    Page("remote-profile", "/@{username}@{domain}", "visitor", f"/@{REMOTE_USER}@{REMOTE_DOMAIN}"),
    Page("visitor-follow", "/@{username}/follow", "visitor", "/@alice/follow"),
    Page("authorize-interaction", "/authorize_interaction", "alice", "/authorize_interaction?uri=" + REMOTE_URI),
    Page("not-found", "(error page)", "visitor", "/@nobody-here"),
    # Signing in and up.
    Page("login", "/login", "visitor", "/login"),
    Page("signup", "/signup", "visitor", "/signup"),
    Page("invite", "/invite/{code}", "visitor", "/invite/{invite}"),
    # The studio.
    Page("studio", "/studio", "alice", "/studio"),
    Page("new-work", "/studio/new", "alice", "/studio/new"),
    Page("edit-work", "/studio/works/{public_id}/edit", "alice", "/studio/works/{work}/edit"),
    Page("delete-work", "/studio/works/{public_id}/delete", "alice", "/studio/works/{work}/delete"),
    Page("profile", "/studio/profile", "alice", "/studio/profile"),
    Page("notifications", "/studio/notifications", "alice", "/studio/notifications"),
    Page("home", "/home", "alice", "/home"),
    Page("bookmarks", "/bookmarks", "alice", "/bookmarks"),
    Page("report", "/studio/report", "alice", "/studio/report?account=" + REMOTE_URI),
    Page("security", "/studio/security", "alice", "/studio/security"),
    Page("apps", "/studio/apps", "alice", "/studio/apps"),
    Page("oauth-consent", "/oauth/authorize", "alice", "/oauth/authorize?response_type=code&client_id={client_id}"
         "&redirect_uri=icecubesapp%3A%2F%2Foauth-callback&scope=read+write+follow+push"),
    # Administration.
    Page("admin", "/admin", "boss", "/admin"),
    Page("admin-audit-log", "/admin/audit-log", "boss", "/admin/audit-log"),
    Page("admin-signups", "/admin/signups", "boss", "/admin/signups"),
    Page("admin-invites", "/admin/invites", "boss", "/admin/invites"),
    Page("admin-email-blocks", "/admin/email-blocks", "boss", "/admin/email-blocks"),
    Page("admin-storage", "/admin/storage", "boss", "/admin/storage"),
    Page("admin-reports", "/admin/reports", "boss", "/admin/reports"),
    Page("admin-report", "/admin/reports/{report_id:int}", "boss", "/admin/reports/{report}"),
    Page("admin-accounts", "/admin/accounts", "boss", "/admin/accounts"),
    Page("admin-account", "/admin/accounts/{account_id:int}", "boss", "/admin/accounts/{remote_account}"),
    Page("admin-domain-blocks", "/admin/domain-blocks", "boss", "/admin/domain-blocks"),
    Page("admin-domain-block", "/admin/domain-blocks/{block_id:int}", "boss", "/admin/domain-blocks/{block}"),
    Page("admin-quarantine", "/admin/quarantine", "boss", "/admin/quarantine"),
    Page("admin-federation", "/admin/federation", "boss", "/admin/federation"),
    Page("admin-settings", "/admin/settings", "boss", "/admin/settings"),
]

# GET routes that are not HTML pages of their own (a browser never shows them as a page).
EXEMPT = {
    "/.well-known/webfinger": "JSON", "/.well-known/host-meta": "XML", "/.well-known/host-meta.json": "JSON",
    "/.well-known/nodeinfo": "JSON", "/nodeinfo/{version}": "JSON",
    "/robots.txt": "text", "/.well-known/tdmrep.json": "JSON", "/ai.txt": "text",
    "/policies/tdm": "JSON-LD", "/policies/tdm/{username}": "JSON-LD", "/actor": "ActivityStreams JSON",
    "/users/{username}/works/{public_id}": "ActivityStreams (a browser is sent to the work page)",
    "/users/{username}/works/{public_id}/activity": "ActivityStreams",
    "/users/{username}/works/{public_id}/{collection}": "ActivityStreams (a work's likes, shares, replies)",
    "/users/{username}/quote_authorizations/{public_id}": "ActivityStreams (FEP-044f QuoteAuthorization)",
    "/users/{username}/boosts/{boost_id}": "ActivityStreams",
    "/users/{username}/notes/{public_id}": "ActivityStreams (a browser is sent to the thread page)",
    "/users/{username}/notes/{public_id}/activity": "ActivityStreams",
    "/users/{username}/{collection:str}": "ActivityStreams collections",
    "/users/{username}/collections/{collection:str}": "ActivityStreams collections",
    "/@{username}/feed.atom": "Atom", "/@{username}/feed.rss": "RSS", "/tags/{tag}.atom": "Atom",
    "/media/remote/{token:media_token}/{name}": "image files", "/media/{key:path}": "image files",
    "/.well-known/oauth-authorization-server": "JSON",
    "/metrics": "Prometheus text", "/admin/domain-blocks/export.csv": "CSV", "/static": "CSS and JS files",
}

API_PREFIX = "/api/"  # the Mastodon client API (fediverse/api): JSON for apps, every route of it


def get_routes() -> set[str]:
    """The paths of every route of the app that answers GET (mounts by their prefix)."""
    from starlette.routing import Mount, Route

    from fediverse.app import create_app

    paths = set()
    for route in create_app(Settings()).routes:
        if isinstance(route, Mount):
            paths.add(route.path)
        elif isinstance(route, Route) and "GET" in (route.methods or ()):
            paths.add(route.path)
    return paths


def unchecked(routes: set[str]) -> tuple[list[str], list[str]]:
    """(GET routes neither in PAGES nor EXEMPT, routes PAGES or EXEMPT name that the app no longer has)."""
    listed = {page.route for page in PAGES}
    routes = {route for route in routes if not route.startswith(API_PREFIX)}
    return sorted(routes - listed - set(EXEMPT)), sorted((listed | set(EXEMPT)) - routes - {"(error page)"})


def test_every_html_page_of_the_app_is_in_the_layout_check() -> None:
    unlisted, stale = unchecked(get_routes())
    assert not unlisted, f"GET routes neither checked in PAGES nor EXEMPT (add them to {__name__}): {unlisted}"
    assert not stale, f"PAGES/EXEMPT name routes the app no longer has: {stale}"


def test_a_new_page_route_that_is_not_listed_is_caught() -> None:
    routes = get_routes()
    assert unchecked(routes | {"/studio/galleries"}) == (["/studio/galleries"], [])
    assert unchecked(routes - {"/studio/profile"}) == ([], ["/studio/profile"])


# --- the server, its data and the signed-in browsers, once for the module -------------------------------------------

async def _seed(config: Path) -> dict[str, str]:
    """Works (one of three images, tagged, in a collection), a remote account with a long handle and a post,
    a like, a report, a domain block, an invite, and the spam-wave leftovers of the admin test; the ids the
    page URLs need."""
    await seed_spam_wave(config)
    rt = create_runtime(load_settings(config, env={}))
    try:
        async with rt.sessions() as session:
            alice = await account_db.local_user(session, "alice")
            boss = await account_db.local_user(session, "boss")
            assert alice is not None and boss is not None
            images = [ImageUpload(imagecorpus.jpeg(imagecorpus.photo(w, h, seed=n)), alt, filename=f"{n}.jpg")
                      for n, (w, h, alt) in enumerate([(480, 360, "Ink heron standing in reeds at dawn"),
                                                       (300, 480, "The heron's head in detail, brush pen"),
                                                       (640, 240, "Panorama of the marsh with three herons")])]
            work = await work_service.create_work(rt, session, alice, WorkInput(
                title="Heron studies over a long week at the marsh with a very long title to wrap",
                description=f"Brush pen on paper. #ink #heron\n\nMore at {LONG_URL}"), images)
            single = await work_service.create_work(rt, session, alice, WorkInput(title="Reeds", description="#ink"),
                                                    [ImageUpload(imagecorpus.jpeg(imagecorpus.photo(seed=9)),
                                                                 "Reeds bending in the wind", filename="r.jpg")])
            collection = WorkCollection(account_id=alice.account_id, slug="marsh", title="The marsh",
                                        description="A week of drawings at the marsh.")
            session.add(collection)
            await session.flush()
            for position, item in enumerate((work, single)):
                session.add(CollectionItem(collection_id=collection.id, work_id=item.id, position=position))
            remote = Account(uri=REMOTE_URI, handle=f"{REMOTE_USER}@{REMOTE_DOMAIN}", username=REMOTE_USER,
                             domain=REMOTE_DOMAIN, inbox_url=f"{REMOTE_URI}/inbox", url=LONG_URL,
                             display_name="Marguerite de la Tour, illustrations and prints",
                             summary=f"<p>Printmaker. Archive: <a href=\"{LONG_URL}\">{LONG_URL}</a></p>")
            session.add(remote)
            await session.flush()
            note = RemoteNote(uri=f"{REMOTE_URI}/statuses/1", url=f"{LONG_URL}1", account_id=remote.id,
                              content_html=f"<p>New etching up: <a href=\"{LONG_URL}\">{LONG_URL}</a></p>", raw={},
                              visibility="public")
            session.add(note)
            await session.flush()
            remote_status = await status_db.add_for_note(session, note, [])
            session.add(Notification(account_id=alice.account_id, kind="like", actor_id=remote.id, work_id=work.id))
            await session.commit()
            status = await session.scalar(select(Status.id).where(Status.work_id == work.id))
            report = await reports.file_report(rt, session, alice, remote, [note.uri], "spam",
                                               "Posts the same link under every work", forward=False)
            await domain_blocks.import_csv(session, boss, MASTODON_EXPORT, "Imported for the layout test")
            await session.commit()
            block = (await session.execute(select(DomainBlock.id))).scalars().first()
            invite = await invites.create(session, boss, max_uses=None, days=None)
            await session.commit()
            app = (await oauth.register_app(session, "Ice Cubes", "https://icecubes.example",
                                            [APP_REDIRECT], ["read", "write", "follow", "push"], utcnow())).app
            code = await oauth.issue_code(session, app, alice.account_id, APP_REDIRECT, ["read", "write", "follow"],
                                          None, utcnow())
            await oauth.trade_code(session, app, code, APP_REDIRECT, None, utcnow())  # listed in /studio/apps
            return {"work": work.public_id, "single": single.public_id, "collection": collection.slug,
                    "status": str(status), "remote_status": str(remote_status.id), "report": str(report.id),
                    "remote_account": str(remote.id), "block": str(block), "invite": invite.code,
                    "client_id": app.client_id}
    finally:
        await rt.close()


@dataclass
class Site:
    base: str
    seed: dict[str, str]
    contexts: dict[str, Any]  # who -> a browser context, signed in as them (or not)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("layout-server")
    limits = "[spam]\nrequests_per_minute_per_ip = 100000\nrequests_per_minute_per_account = 100000\n"
    with running_server(folder, limits, users=(("alice", "artist"), ("boss", "admin"))) as base:
        seed = asyncio.run(_seed(folder / "instance.toml"))
        with _playwright()() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                contexts = {"visitor": browser.new_context()}
                for who in ("alice", "boss"):
                    contexts[who] = browser.new_context()
                    _log_in(contexts[who].new_page(), base, who)
                yield Site(base, seed, contexts)
            finally:
                browser.close()


# --- what is checked on each page ----------------------------------------------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' '))}));
}"""

# Buttons, form fields and navigation links; links inside running text are exempt (as in WCAG 2.5.8).
SMALL_TARGETS = """(min) => {
  const chosen = 'button, input:not([type=hidden]), select, textarea, summary, [role=button], nav a, body > header a';
  const small = [];
  for (const el of document.querySelectorAll(chosen)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {  // its label is the target too
      target = el.closest('label') || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el;
    }
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === 'hidden') continue;  // not shown (or clipped)
    if (box.right <= 0 || box.bottom <= 0) continue;  // off-screen until focused (the skip link, honeypots)
    if (box.width < min || box.height < min) {
      const label = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 40);
      small.push(`<${el.tagName.toLowerCase()}> "${label}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


# The navigation collapses: the header and the navigations above the page's h1 (a menu in a <details> counts
# with its summary only while closed), in CSS px.
NAVIGATION_HEIGHT = """() => {
  const h1 = document.querySelector('h1');
  const above = el => !h1 || (el.compareDocumentPosition(h1) & Node.DOCUMENT_POSITION_FOLLOWING);
  let total = 0;
  for (const el of document.querySelectorAll('body > header, nav, details:has(nav)')) {
    if (!above(el) || el.parentElement.closest('nav, details:has(nav), body > header')) continue;
    total += el.getBoundingClientRect().height;
  }
  return total;
}"""


def _wide_elements(page: Any) -> list[str]:
    """What sticks out past the right edge of the viewport (to name the culprit when the page scrolls sideways)."""
    return page.evaluate("""() => {
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect(), name = `<${el.tagName.toLowerCase()} class="${el.className}">`;
        if (box.right > window.innerWidth + 1 && box.width > 0)
          out.push(`${name} right edge at ${Math.round(box.right)}`);
        else if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible')
          out.push(`${name} content overflows by ${el.scrollWidth - el.clientWidth}px`);
      }
      return out.slice(0, 10);
    }""")


@pytest.mark.slow
@pytest.mark.requires("chromium")
@pytest.mark.requires("axe")
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page_spec", PAGES, ids=[p.name for p in PAGES])
def test_page_fits_the_screen_is_accessible_and_has_big_enough_targets(
        site: Site, page_spec: Page, viewport: str, tmp_path: Path) -> None:
    width, height = VIEWPORTS[viewport]
    page = site.contexts[page_spec.who].new_page()
    page.set_viewport_size({"width": width, "height": height})
    try:
        response = page.goto(site.base + page_spec.url.format(**site.seed))
        assert response is not None
        expected = 404 if page_spec.name == "not-found" else 200
        assert response.status == expected, f"{page_spec.url} answered {response.status}"
        assert response.headers["content-type"].startswith("text/html")
        page.screenshot(path=str(tmp_path / f"{page_spec.name}-{viewport}.png"), full_page=True)

        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, (
            f"{page_spec.name} at {width}px scrolls sideways ({scroll_width}px wide): {_wide_elements(page)}")

        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))  # through DevTools: the page's CSP stays as served
        violations = page.evaluate(AXE_RUN)
        assert not violations, f"axe-core on {page_spec.name} at {width}px:\n" + json.dumps(violations, indent=1)
        if viewport == "desktop":  # the dark scheme's colours too (they do not depend on the width)
            page.emulate_media(color_scheme="dark")
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
            violations = page.evaluate(AXE_RUN)
            assert not violations, f"axe-core on {page_spec.name}, dark:\n" + json.dumps(violations, indent=1)

        if viewport == "phone":
            small = page.evaluate(SMALL_TARGETS, TOUCH_MIN)
            assert not small, f"touch targets under {TOUCH_MIN}x{TOUCH_MIN}px on {page_spec.name}: {small}"
            # The issue's floor: no page wider than the screen from 320 px up.
            page.set_viewport_size({"width": NARROWEST, "height": height})
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= NARROWEST, (
                f"{page_spec.name} at {NARROWEST}px scrolls sideways ({scroll_width}px wide): {_wide_elements(page)}")
            page.set_viewport_size({"width": width, "height": height})
            navigation = page.evaluate(NAVIGATION_HEIGHT)
            assert navigation <= height * NAVIGATION_SHARE, (
                f"{page_spec.name}: the navigation takes {navigation:.0f}px of the {height}px phone screen")
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.requires("chromium")
def test_portfolio_first_load_is_small_and_downloads_no_web_font(site: Site) -> None:
    """HTML + CSS + JS of /@alice, gzip-compressed as a server would send them, under the budget; images are
    not counted (they load lazily and in the size the screen needs); fonts are the system's."""
    page = site.contexts["visitor"].new_page()
    page.set_viewport_size({"width": 360, "height": 800})
    loaded: list[tuple[str, str, int]] = []

    def record(response: Any) -> None:
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script", "font"):
            loaded.append((kind, response.url, len(gzip.compress(response.body(), 9))))

    page.on("response", record)
    try:
        page.goto(site.base + "/@alice", wait_until="load")
        page.wait_for_load_state("networkidle")
        declared = page.evaluate("[...document.fonts].map(f => f.family)")  # @font-face rules, used or not
    finally:
        page.close()
    assert [url for kind, url, _ in loaded if kind == "document"] == [site.base + "/@alice"]
    assert not [url for kind, url, _ in loaded if kind == "font"], "web fonts were downloaded"
    assert not declared, f"the page declares web fonts: {declared}"
    total = sum(size for kind, _, size in loaded if kind != "font")
    print(f"portfolio first load, gzip-compressed: {total} bytes in {len(loaded)} files")
    assert total < PORTFOLIO_BUDGET, f"first load {total} bytes gzip-compressed: {loaded}"
