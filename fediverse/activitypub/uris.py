"""Every local IRI is minted here, so ids never drift between the renderer, the router and the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

INSTANCE_ACTOR_PATH = "/actor"


@dataclass(frozen=True)
class Uris:
    """Local IRIs under one base URL (scheme://domain)."""

    base: str

    @property
    def domain(self) -> str:
        return urlsplit(self.base).netloc

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def instance_actor(self) -> str:
        return f"{self.base}{INSTANCE_ACTOR_PATH}"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def inbox(self, actor_uri: str) -> str:
        return f"{actor_uri}/inbox"

    def outbox(self, actor_uri: str) -> str:
        return f"{actor_uri}/outbox"

    def followers(self, actor_uri: str) -> str:
        return f"{actor_uri}/followers"

    def following(self, actor_uri: str) -> str:
        return f"{actor_uri}/following"

    def featured(self, actor_uri: str) -> str:
        return f"{actor_uri}/collections/featured"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def work(self, actor_uri: str, public_id: str) -> str:
        return f"{actor_uri}/works/{public_id}"

    def work_page(self, username: str, public_id: str) -> str:
        return f"{self.base}/@{username}/{public_id}"

    def local_note(self, actor_uri: str, public_id: str) -> str:
        """A local text note's id (its public id is its status id)."""
        return f"{actor_uri}/notes/{public_id}"

    def quote_authorization(self, actor_uri: str, public_id: str) -> str:
        """A QuoteAuthorization (FEP-044f) the artist granted; answers 410 once revoked."""
        return f"{actor_uri}/quote_authorizations/{public_id}"

    def status_page(self, status_id: int) -> str:
        """The thread page of any status (work, remote or local note, boost)."""
        return f"{self.base}/statuses/{status_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"

    def tag_template(self) -> str:
        return f"{self.base}/tags/{{tag}}"

    def media(self, key: str) -> str:
        return f"{self.base}/media/{key}"

    def collection_page(self, username: str, slug: str) -> str:
        return f"{self.base}/@{username}/collections/{slug}"

    def new_activity(self) -> str:
        """A fresh, never reused activity id (Mastodon refuses reused ids after a Tombstone)."""
        return f"{self.base}/activities/{uuid.uuid4()}"

    def is_local(self, iri: str) -> bool:
        return iri == self.base or iri.startswith(self.base + "/")
