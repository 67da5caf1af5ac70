"""What every part of one consent audit shares: the fetcher, the limits, the report, and which hosts are ours."""

from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from fediverse.consent import ConsentRecord
from fediverse.federation.bounded_get import Fetched
from fediverse.services.consent_audit.fetch import Fetcher
from fediverse.services.consent_audit.report import PRESENT, AuditItem, AuditLimits, AuditReport


class AuditContext:
    """One audit's state: new items go into ``report``, and an item is *ours* when its host is one of ``our_hosts``."""

    def __init__(self, fetcher: Fetcher, limits: AuditLimits, *, our_hosts: Iterable[str], our_scheme: str,
                 default: ConsentRecord, report: AuditReport, custom_user_agent: bool = False) -> None:
        self.fetch = fetcher
        self.custom_user_agent = custom_user_agent
        self.our_scheme = our_scheme
        self.limits = limits
        self.our_hosts = {h.lower() for h in our_hosts}
        self.default = default
        self.report = report
        self.as_uploaded: frozenset[str] = frozenset()  # URL paths of our as-uploaded (Glaze-safe) renditions

    def ours(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self.our_hosts

    def item(self, kind: str, url: str, record: ConsentRecord | None = None) -> AuditItem:
        item = AuditItem(kind, url, self.ours(url), record=record.content_usage if record else "")
        self.report.items.append(item)
        return item

    def refused(self, item: AuditItem, got: Fetched) -> bool:
        """With ``--user-agent`` set to an AI crawler's, a 403 is the artist's refusal working, not a fault."""
        if got.status != 403 or not self.custom_user_agent:
            return False
        item.add("http", "refused", PRESENT, "HTTP 403 to this user agent")
        return True

    def incomplete(self, note: str) -> None:
        """A limit was reached: say so once in the report."""
        if note not in self.report.incomplete:
            self.report.incomplete.append(note)


def first_id(value: Any) -> str | None:
    """A collection page link: a URL string or an object with an ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id") or value.get("href")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def first_url(value: Any) -> str | None:
    """An http(s) URL out of a string, a Link/Image object (``href``/``url``) or a list of them."""
    if isinstance(value, list):
        for entry in value:
            if url := first_url(entry):
                return url
        return None
    if isinstance(value, Mapping):
        return first_url(value.get("href") or value.get("url"))
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    return None
