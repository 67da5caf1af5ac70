"""Media URLs of an audited actor (attachments, page images, avatar, header): consent headers on GET, HEAD and
304 answers, and the XMP packet read back from the bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.consent import ConsentRecord, read_xmp, signals_from_xmp
from fediverse.models import Work, WorkImage
from fediverse.storage import URL_PREFIX
from fediverse.consent.xmp import MAX_XMP_BYTES  # the audit reads what the live pipeline reads
from fediverse.services.consent_audit.context import AuditContext
from fediverse.federation.bounded_get import Fetched
from fediverse.services.consent_audit.fetch import FetchFailed
from fediverse.services.consent_audit.judge import consent_header_names, judge_data_mining, judge_headers, judge_licence
from fediverse.services.consent_audit.readers import xmp_from_bytes
from fediverse.services.consent_audit.report import (
    CONFLICT, INVALID, MISSING, OPTIONAL, PRESENT, AuditItem, Check,
)

XMP_REQUIRED = ("plus:DataMining", "Iptc4xmpExt:DigitalSourceType", "xmpRights:UsageTerms", "plus:OtherConstraints",
                "xmpRights:Marked", "dc:rights", "dc:creator")


@dataclass
class _Media:
    url: str
    kind: str
    record: ConsentRecord
    xmp_required: bool
    expect: Mapping[str, Any] = field(default_factory=dict)  # the attachment's own values (dataMining …)


class MediaAudit:
    """Collects media URLs while the documents are crawled (at most ``max_media``), then audits each once."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx
        self.media: dict[str, _Media] = {}
        self.paths: list[str] = []  # of the works' media, for the site files' rules

    def queue(self, url: str, kind: str, record: ConsentRecord, *, xmp_required: bool,
              expect: Mapping[str, Any] | None = None) -> None:
        if url in self.media or not url.startswith(("http://", "https://")):
            return
        if len(self.media) >= self.ctx.limits.max_media:
            self.ctx.incomplete(f"media: stopped after {self.ctx.limits.max_media} URLs (max_media)")
            return
        self.media[url] = _Media(url, kind, record, xmp_required, expect or {})
        if kind == "media":
            self.paths.append(urlsplit(url).path)

    async def run(self) -> None:
        for media in list(self.media.values()):
            await self.audit_one(media)

    async def audit_one(self, media: _Media) -> None:
        ctx = self.ctx
        item = ctx.item(media.kind, media.url, media.record)
        try:
            got = await ctx.fetch.get(media.url, accept="*/*", max_bytes=ctx.limits.max_media_bytes, cut=True)
        except FetchFailed as exc:
            item.error = str(exc)
            return
        if ctx.refused(item, got):
            return
        if got.status != 200:
            item.error = f"HTTP {got.status}"
            return
        judge_headers(item, got.headers, media.record)
        on_get = consent_header_names(got.headers)
        if on_get:
            await self.head(item, media.url, on_get)
        etag = got.headers.get("etag")
        if etag and on_get:
            await self.not_modified(item, media.url, on_get, etag)
        judge_xmp(item, got, media)
        if self.ctx.ours(media.url) and urlsplit(media.url).path in self.ctx.as_uploaded:
            judge_as_uploaded(item)

    async def head(self, item: AuditItem, url: str, on_get: set[str]) -> None:
        """A HEAD answer carries the consent headers the GET had."""
        try:
            head = await self.ctx.fetch.get(url, accept="*/*", method="HEAD")
        except FetchFailed as exc:
            item.add("header", "on HEAD", INVALID, str(exc))
            return
        lacking = sorted(on_get - consent_header_names(head.headers))
        if head.status >= 400:
            item.add("header", "on HEAD", CONFLICT, f"HEAD answered {head.status}")
        else:
            item.add("header", "on HEAD", CONFLICT if lacking else PRESENT,
                     f"lacks {', '.join(lacking)}" if lacking else "same consent headers")

    async def not_modified(self, item: AuditItem, url: str, on_get: set[str], etag: str) -> None:
        """A 304 to a conditional GET carries them too (a cache revalidating must not lose them)."""
        try:
            cached = await self.ctx.fetch.get(url, accept="*/*", headers={"If-None-Match": etag}, cut=True,
                                              max_bytes=0)
        except FetchFailed as exc:
            item.add("header", "on 304", INVALID, str(exc))
            return
        if cached.status == 304:
            lacking = sorted(on_get - consent_header_names(cached.headers))
            item.add("header", "on 304", CONFLICT if lacking else PRESENT,
                     f"lacks {', '.join(lacking)}" if lacking else "same consent headers")


def judge_as_uploaded(item: AuditItem) -> None:
    """An as-uploaded rendition is the artist's own file (Glaze-safe): it must still carry the consent XMP we
    inserted into it without re-encoding."""
    stamped = any(c.surface == "xmp" and c.name == "plus:DataMining" and c.status == PRESENT for c in item.checks)
    item.add("file", "as-uploaded", PRESENT if stamped else MISSING,
             "the artist's own file, consent XMP carried" if stamped else "the artist's own file lacks our consent XMP")


async def as_uploaded_paths(session: AsyncSession) -> frozenset[str]:
    """The URL paths of every live as-uploaded rendition of this instance, for ``audit(as_uploaded=...)``."""
    keys = await session.scalars(select(WorkImage.large_key).where(
        WorkImage.as_uploaded.is_(True), WorkImage.work.has(Work.deleted_at.is_(None))))
    return frozenset(URL_PREFIX + key for key in keys)


def judge_xmp(item: AuditItem, got: Fetched, media: _Media) -> None:
    """The XMP packet in the file's bytes against the record (required on the works' media, optional elsewhere)."""
    packet = xmp_from_bytes(got.body)
    reading = read_xmp(packet, max_bytes=MAX_XMP_BYTES)
    missing_status = MISSING if media.xmp_required else OPTIONAL
    if reading.status in ("empty",):
        note = " (file cut at the size cap)" if got.truncated else ""
        item.add("xmp", "packet", missing_status, f"no XMP{note}")
        return
    if reading.status != "ok":
        item.add("xmp", "packet", INVALID if media.xmp_required else OPTIONAL, reading.detail)
        return
    record = media.record
    for key in XMP_REQUIRED:
        value = reading.first(key)
        if key == "plus:DataMining":
            if value is None:
                item.add("xmp", key, missing_status)
                continue
            expected = media.expect.get("dataMining")
            judge_data_mining(item, "xmp", key, value, record)
            if isinstance(expected, str) and item.checks[-1].status == PRESENT and value != expected:
                item.checks[-1] = Check("xmp", key, PRESENT, f"{value} (JSON-LD says {expected})"[:160])
        elif value is None:
            item.add("xmp", key, missing_status)
        else:
            item.add("xmp", key, PRESENT, value)
    for key in ("cc:license", "xmpRights:WebStatement"):  # the rights IRI, as in the JSON-LD and the Link header
        licence = reading.first(key)
        if media.xmp_required or licence:
            judge_licence(item, "xmp", key, licence, record)
    signals = signals_from_xmp(packet)
    if record.restricts_training and signals.ai_training == "allowed":
        item.add("xmp", "consistency", CONFLICT, "the file allows AI training; the record refuses it")
