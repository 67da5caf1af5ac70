"""The typed shapes of remote ActivityPub documents, and the constants of the vocabulary.

Why: handlers must never index raw dicts. `parse.py` validates a document once and hands
out these frozen objects; everything the rest of the app may rely on is a typed field, and
`raw` keeps the original JSON so properties we do not model survive storage and forwarding.
Pure: no I/O, no JSON-LD processing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fediverse.errors import Invalid

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Mastodon also reads these compact spellings as "public" (ActivityPub::TagManager#public_collection?).
PUBLIC_ALIASES = frozenset({"as:Public", "Public", AS_PUBLIC})
SECURITY_CONTEXT = "https://w3id.org/security/v1"
WEBFINGER_CONTEXT = "https://purl.archive.org/socialweb/webfinger"

ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# The two `type`s of a WebFinger rel=self link that Mastodon accepts (Webfinger::Response).
WEBFINGER_SELF_TYPES = frozenset({ACTIVITY_JSON, LD_JSON_AS})
WEBFINGER_PROFILE_REL = "http://webfinger.net/rel/profile-page"

# Mastodon's FetchRemoteActorService::SUPPORTED_TYPES.
ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})
BOT_TYPES = frozenset({"Application", "Service"})

ACTIVITY_TYPES = frozenset({
    "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "Flag",
    "Follow", "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer", "Read",
    "Reject", "Remove", "TentativeAccept", "TentativeReject", "Travel", "Undo", "Update", "View",
    # extensions seen in the wild
    "EmojiReact", "QuoteRequest", "FeatureRequest", "LikeRequest", "ReplyRequest", "AnnounceRequest",
})
# Types that are never activities; `Question` is a poll object to Mastodon, not an activity.
OBJECT_TYPES = frozenset({
    "Article", "Audio", "Document", "Event", "Image", "Note", "Page", "Place", "Profile",
    "Question", "Relationship", "Tombstone", "Video", "Collection", "OrderedCollection",
    "CollectionPage", "OrderedCollectionPage", "Link", "Mention", "Hashtag", "Emoji",
    "PropertyValue", "Key", "ChatMessage",
})

# Limits, from Mastodon (interop doc §2.2, §9).
MAX_URL_CHARS = 2048
MAX_NAME_CHARS = 2048
MAX_USERNAME_CHARS = 2048
MAX_SUMMARY_CHARS = 20 * 1024
MAX_FIELDS = 50
MAX_FIELD_CHARS = 2047
MAX_PUBLIC_KEYS = 10
MAX_ALSO_KNOWN_AS = 256
MAX_TYPE_CHARS = 256


class ParseError(Invalid, ValueError):
    """A remote document we refuse; the message says precisely why (it is logged and may be sent back)."""


# --- small pure helpers shared by parse.py and the properties below --------------------------


def first_of(value: Any) -> Any:
    """ActivityStreams allows any property to be an array: take its first element, like Mastodon."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def ref_of(value: Any) -> str | None:
    """The id a property refers to: a string, an object's `id`, or the first of a list."""
    value = first_of(value)
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def is_http_url(value: Any) -> bool:
    """An absolute http(s) URL with a real host: what we accept as an id or an endpoint."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return False
    if not value.isprintable() or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or "@" in parts.netloc:
        return False
    return _valid_host(parts.hostname)


def _valid_host(host: str | None) -> bool:
    if not host:
        return False
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    if host.startswith((".", "-")) or ".." in host:
        return False
    return all(c.isalnum() or c in "-._" for c in host)


def host_of(url: str) -> str:
    """Lower-cased host of a URL already checked with `is_http_url`."""
    return (urlsplit(url).hostname or "").lower()


def type_of(value: Any) -> str | None:
    """A document's `type`: the string, or the first string of an array."""
    value = first_of(value)
    return value if isinstance(value, str) and value else None


# --- typed documents ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An RSA/Ed25519 key an actor signs with; `owner` is the actor id it belongs to."""

    id: str
    owner: str
    pem: str


@dataclass(frozen=True, slots=True)
class RemoteActor:
    """A remote account as Mastodon would see it (interop doc §2.2). Absent text is ""."""

    id: str
    type: str
    preferred_username: str
    name: str
    summary: str
    url: str | None
    inbox: str
    outbox: str | None
    shared_inbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    public_keys: tuple[PublicKey, ...]
    manually_approves_followers: bool
    discoverable: bool
    indexable: bool
    icon_url: str | None
    image_url: str | None
    fields: tuple[tuple[str, str], ...]
    published: datetime | None
    moved_to: str | None
    also_known_as: tuple[str, ...]
    webfinger: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def domain(self) -> str:
        """Host of the actor id; the handle domain may differ (WebFinger decides)."""
        return host_of(self.id)

    @property
    def is_bot(self) -> bool:
        """Mastodon marks Service and Application actors as bots."""
        return self.type in BOT_TYPES

    @property
    def is_group(self) -> bool:
        return self.type == "Group"

    @property
    def delivery_inbox(self) -> str:
        """Where fan-out goes: the shared inbox when there is one (Mastodon's Account.inboxes)."""
        return self.shared_inbox or self.inbox

    def key(self, key_id: str) -> PublicKey | None:
        """The actor's key with this id, if it publishes one."""
        return next((k for k in self.public_keys if k.id == key_id), None)


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity as received. `object` is the embedded object exactly as given (never trusted
    beyond its shape: its claims must be checked against the signer), `object_ids` lists every
    referenced id when `object` was an array (Flag)."""

    id: str
    type: str
    actor: str
    object_id: str | None
    object: dict[str, Any] | None
    object_ids: tuple[str, ...]
    target_id: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    published: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def object_type(self) -> str | None:
        """`type` of the embedded object, e.g. "Follow" inside an Accept; None for a bare id."""
        return type_of(self.object.get("type")) if self.object is not None else None

    @property
    def object_actor(self) -> str | None:
        """`actor` of the embedded object (who sent the Follow an Accept answers)."""
        if self.object is None:
            return None
        actor = ref_of(self.object.get("actor"))
        return actor if is_http_url(actor) else None

    @property
    def object_object_id(self) -> str | None:
        """`object` of the embedded object (whom the undone/accepted Follow targeted)."""
        if self.object is None:
            return None
        inner = ref_of(self.object.get("object"))
        return inner if is_http_url(inner) else None

    @property
    def is_public(self) -> bool:
        """Addressed to as:Public in to or cc (public or unlisted)."""
        return AS_PUBLIC in self.to or AS_PUBLIC in self.cc


@dataclass(frozen=True, slots=True)
class APObject:
    """Any other fetched object (Note, Video, Collection, Tombstone…): the fields every
    object has; type-specific parsing reads `raw`."""

    id: str
    type: str
    attributed_to: str | None
    in_reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    published: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class WebfingerResult:
    """A JRD reduced to what Mastodon uses: the subject and the rel=self actor URL."""

    subject: str
    actor_url: str
    aliases: tuple[str, ...]
    profile_url: str | None

    @property
    def acct(self) -> str | None:
        """`user@domain` when the subject is an acct: URI, else None."""
        value = self.subject.removeprefix("acct:")
        if not self.subject.startswith("acct:") or value.count("@") != 1:
            return None
        user, domain = value.split("@")
        return value if user and domain else None

    @property
    def username(self) -> str | None:
        return self.acct.split("@")[0] if self.acct else None

    @property
    def domain(self) -> str | None:
        return self.acct.split("@")[1] if self.acct else None
