"""WebFinger (RFC 7033) and host-meta documents, and reading the `resource` parameter like Mastodon does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

AP_TYPE = "application/activity+json"
USERNAME_RE = re.compile(r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$", re.IGNORECASE)


@dataclass(frozen=True)
class Resource:
    """What a WebFinger query asks for: a username on some domain, or a URL."""

    username: str | None
    domain: str | None
    url: str | None


def parse_resource(value: str) -> Resource:
    """Accept acct:user@domain, user@domain, and http(s) URLs (raw or percent-encoded)."""
    value = unquote(value.strip())
    if value.startswith(("http://", "https://")):
        return Resource(None, None, value)
    value = value.removeprefix("acct:").lstrip("@")
    if value.count("@") != 1:
        raise ValueError("resource must be acct:user@domain or an http(s) URL")
    username, domain = value.split("@")
    if not username or not domain:
        raise ValueError("resource must be acct:user@domain or an http(s) URL")
    return Resource(username, domain.lower(), None)


def url_domain(url: str) -> str:
    return urlsplit(url).netloc.lower()


SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
MAX_TEMPLATE = 1000


def subscribe_template(base_url: str) -> str:
    """Where another server sends its user to follow or interact with something here (Mastodon's template)."""
    return f"{base_url}/authorize_interaction?uri={{uri}}"


def render_jrd(username: str, domain: str, actor_uri: str, profile_url: str | None,
               subscribe: str | None = None) -> dict[str, Any]:
    """The JRD Mastodon's WebfingerSerializer emits; `self.href` equals the actor id byte for byte.
    ``subscribe``: the remote-interaction template (absent for the instance actor)."""
    links: list[dict[str, str]] = []
    aliases = [actor_uri]
    if profile_url:
        links.append({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url})
        aliases.insert(0, profile_url)
    links.append({"rel": "self", "type": AP_TYPE, "href": actor_uri})
    if subscribe:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe})
    return {"subject": f"acct:{username}@{domain}", "aliases": aliases, "links": links}


def render_host_meta_xml(base_url: str) -> str:
    template = quoteattr(f"{base_url}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={template}/>\n'
        "</XRD>\n"
    )


def render_host_meta_json(base_url: str) -> dict[str, Any]:
    return {"links": [{"rel": "lrdd", "template": f"{base_url}/.well-known/webfinger?resource={{uri}}"}]}


def parse_subscribe_template(jrd: Any) -> str | None:
    """The subscribe template of a JRD: an absolute https (or http) URL with exactly one ``{uri}``, without
    whitespace, quotes or angle brackets; None when there is none or it is unusable (never trusted further)."""
    links = jrd.get("links") if isinstance(jrd, dict) else None
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if not isinstance(template, str) or len(template) > MAX_TEMPLATE or template.count("{uri}") != 1:
            continue
        if any(c.isspace() or c in "\"'<>\\" or not c.isprintable() for c in template):
            continue
        parts = urlsplit(template.replace("{uri}", "x"))
        if parts.scheme in ("https", "http") and parts.hostname and not parts.username:
            return template
    return None
