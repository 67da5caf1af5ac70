"""Tests of the public web pages, feeds and media route, through HTTP on in-process instances.

Shared helpers: post works with the real service (real image pipeline and media store), add remote
reactions and replies as the inbox would store them, and read HTML with the standard library parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from fediverse.db import accounts as account_db
from fediverse.models import Account, Reaction, RemoteNote, Work
from fediverse.services import works as work_service
from fediverse.services.works import ImageUpload, WorkInput
from tests import imagecorpus as corpus
from tests.support import Instance

AP_ACCEPT = {"Accept": "application/activity+json"}
CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"


async def post_work(
    instance: Instance, username: str, *, alts: tuple[str, ...] = ("A red fox asleep in snow",), seed: int = 1,
    size: tuple[int, int] = (320, 240), **fields: Any,
) -> Work:
    """A work through services.works.create_work: images probed, derived and stored for real."""
    images = [ImageUpload(corpus.jpeg(corpus.photo(size[0], size[1], seed=seed * 10 + n)), alt, filename=f"{n}.jpg")
              for n, alt in enumerate(alts)]
    async with instance.rt.sessions() as session:
        user = await account_db.local_user(session, username)
        assert user is not None
        work = await work_service.create_work(instance.rt, session, user, WorkInput(**fields), images)
    await instance.network.drain()  # the Create's fan-out job finishes before the test goes on (or ends)
    return work


async def as_user(instance: Instance, username: str, action: str, *args: Any) -> Any:
    """Run services.works.<action>(rt, session, user, *args) (arrange takes no runtime)."""
    async with instance.rt.sessions() as session:
        user = await account_db.local_user(session, username)
        assert user is not None
        function = getattr(work_service, action)
        if action == "arrange":
            result = await function(session, user, *args)
        else:
            result = await function(instance.rt, session, user, *args)
    await instance.network.drain()
    return result


async def remote_account(instance: Instance, username: str, domain: str = "remote.test", **fields: Any) -> Account:
    async with instance.rt.sessions() as session:
        account = Account(uri=f"https://{domain}/users/{username}", handle=f"{username}@{domain}", username=username,
                          domain=domain, inbox_url=f"https://{domain}/users/{username}/inbox",
                          url=f"https://{domain}/@{username}", **fields)
        session.add(account)
        await session.commit()
    return account


async def react(instance: Instance, work: Work, account: Account, kind: str) -> None:
    async with instance.rt.sessions() as session:
        session.add(Reaction(kind=kind, uri=f"{account.uri}/{kind}/{work.public_id}", work_id=work.id,
                             account_id=account.id))
        await session.commit()


async def reply(instance: Instance, work: Work, account: Account, html: str, **fields: Any) -> RemoteNote:
    async with instance.rt.sessions() as session:
        note = RemoteNote(uri=f"{account.uri}/statuses/{len(html)}{work.public_id}",
                          url=f"{account.url}/{len(html)}", account_id=account.id, work_id=work.id,
                          content_html=html, raw={}, **({"visibility": "public"} | fields))
        session.add(note)
        await session.commit()
    return note


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page(HTMLParser):
    """Every element with its attributes (and the text of <script>, <title>, <figcaption>, <h1>)."""

    elements: list[Element] = field(default_factory=list)
    _open: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in ("script", "title", "figcaption", "h1", "summary", "dd", "time"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def meta(self, prop: str) -> str | None:
        for e in self.elements:
            if e.tag == "meta" and (e.attrs.get("property") == prop or e.attrs.get("name") == prop):
                return e.attrs.get("content")
        return None


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def grid_links(page: Page) -> list[str]:
    """Hrefs of the work tiles, in page order."""
    inside = False
    links = []
    for e in page.elements:
        if e.tag == "ul" and e.attrs.get("class") == "grid":
            inside = True
            continue
        if inside and e.tag == "a":
            links.append(e.attrs["href"])
        if inside and e.tag == "nav":
            break
    return links
