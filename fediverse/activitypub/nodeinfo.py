"""NodeInfo 2.0 / 2.1 documents (software name lower-case, as the schema requires)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fediverse import __version__

SOFTWARE = "fediverse"
MASTODON_VERSION = "4.2.0"  # the client API we serve (fediverse/api); megalodon needs metadata.upstream
SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"


@dataclass(frozen=True)
class Usage:
    users_total: int
    active_month: int
    active_halfyear: int
    local_posts: int


def render_discovery(base_url: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": SCHEMA.format(version=v), "href": f"{base_url}/nodeinfo/{v}"} for v in ("2.0", "2.1")
        ]
    }


def render_nodeinfo(version: str, usage: Usage, *, name: str, description: str, open_registrations: bool) -> dict[str, Any]:
    software: dict[str, str] = {"name": SOFTWARE, "version": __version__}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": ["atom1.0"], "inbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {"nodeName": name, "nodeDescription": description,
                     "upstream": {"name": "mastodon", "version": MASTODON_VERSION}},
    }
