"""Flag (a report) and Delete of an actor (a suspension) on the wire, both ways. Pure.

Mastodon's shape (flag.rb, FlagSerializer): `object` is one id or an array of the reported actor and status
ids; `content` is the comment, cut at 5,000 characters; the report id is kept only when it is on the
sender's host. Outbound Flags come from the instance actor, so the reporter stays anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

from fediverse.activitypub.render import AS_CONTEXT, AS_PUBLIC
from fediverse.activitypub.vocab import Activity, ParseError, host_of

MAX_FLAG_OBJECTS = 100  # more ids than any real report carries; the rest are ignored
MAX_FLAG_COMMENT = 5000  # Mastodon's limit on report comments


@dataclass(frozen=True, slots=True)
class FlagReport:
    """A received report: who sent it (a server's actor), what it names, and the comment."""

    id: str | None  # None when the id is not on the sender's host (not usable to dedupe)
    actor: str
    object_uris: tuple[str, ...]
    comment: str


def parse_flag(activity: Activity) -> FlagReport:
    """The report inside a parsed `Flag`; ParseError when it names nothing."""
    if activity.type != "Flag":
        raise ParseError(f"expected a Flag, not {activity.type}")
    uris = tuple(dict.fromkeys(activity.object_ids))[:MAX_FLAG_OBJECTS]
    if not uris:
        raise ParseError("Flag names no object")
    content = activity.raw.get("content")
    comment = content[:MAX_FLAG_COMMENT] if isinstance(content, str) else ""
    same_host = host_of(activity.id) == host_of(activity.actor)
    return FlagReport(id=activity.id if same_host else None, actor=activity.actor, object_uris=uris,
                      comment=comment)


def render_flag(flag_id: str, instance_actor: str, target: str, object_uris: list[str], comment: str) -> dict:
    """A Flag as Mastodon sends it: from the instance actor, the reported actor first, then its posts."""
    objects = [target, *(uri for uri in object_uris if uri != target)]
    return {"@context": AS_CONTEXT, "id": flag_id, "type": "Flag", "actor": instance_actor,
            "content": comment[:MAX_FLAG_COMMENT], "object": objects, "to": [target]}


def render_delete_actor(activity_id: str, actor: str) -> dict:
    """The Delete Mastodon sends when it suspends a local account: object = the actor, to Public."""
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Delete", "actor": actor, "object": actor,
            "to": [AS_PUBLIC]}
