"""The AS2 representation of a tag page: an OrderedCollection named ``#tag`` (Mastodon serves its tag URLs the
same way), whose pages list the ids of the public posts carrying it, newest first. Pure."""

from __future__ import annotations

from typing import Any

from fediverse.activitypub.render import AS_CONTEXT

TAG_CONTEXT: list[Any] = [AS_CONTEXT, {"Hashtag": "as:Hashtag"}]


def render_tag_collection(tag_url: str, name: str, first_page: dict[str, Any]) -> dict[str, Any]:
    """The collection itself, with its first page embedded (no count: a tag may carry millions of posts)."""
    page = {k: v for k, v in first_page.items() if k != "@context"}
    return {"@context": TAG_CONTEXT, "id": tag_url, "type": "OrderedCollection", "name": f"#{name}",
            "tag": {"type": "Hashtag", "name": f"#{name}", "href": tag_url}, "first": page}


def render_tag_page(page_id: str, tag_url: str, items: list[str], *, next_page: str | None) -> dict[str, Any]:
    """One page of post ids; ``next`` leads to older posts."""
    doc: dict[str, Any] = {"@context": TAG_CONTEXT, "id": page_id, "type": "OrderedCollectionPage",
                           "partOf": tag_url, "orderedItems": items}
    if next_page:
        doc["next"] = next_page
    return doc
