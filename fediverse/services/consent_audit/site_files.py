"""The site files of an audited actor's origin: /robots.txt (AI crawler group, ``Content-Usage``,
``Content-Signal``, and what they say for the artist's paths), /.well-known/tdmrep.json, /ai.txt, and the TDM
policy (ODRL) document the actor advertises."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

import orjson

from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.vocab import ParseError
from fediverse.consent import ConsentRecord
from fediverse.consent.crawlers import ai_crawler_tokens
from fediverse.services.consent_audit.context import AuditContext, first_url
from fediverse.services.consent_audit.fetch import FetchFailed
from fediverse.services.consent_audit.judge import judge_tdm, judge_usage
from fediverse.services.consent_audit.readers import (
    content_usage_for, parse_robots, path_pattern, robots_allows, robots_group,
)
from fediverse.services.consent_audit.report import CONFLICT, INVALID, MISSING, PRESENT, AuditItem

SAMPLE_CRAWLER = "GPTBot"  # the AI crawler whose robots.txt treatment of the artist's paths is checked


class SiteFiles:
    """Audits the files a crawler reads before anything else; their findings go into the shared report."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx

    async def audit(self, actor_url: str, actor: Mapping[str, Any], record: ConsentRecord,
                    media_path: str | None) -> None:
        """The site files of the actor's origin, read for the artist's paths (``media_path``: one of their works'
        media, when any was found)."""
        parts = urlsplit(actor_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        profile = first_url(actor.get("url")) or actor_url
        artist_path = urlsplit(profile).path.rstrip("/") + "/"
        await self.robots(origin, artist_path, media_path, record)
        await self.tdmrep(origin, artist_path, record)
        await self.ai_txt(origin, media_path or artist_path, record)
        policy = actor.get("tdmPolicy")
        await self.policy(policy if isinstance(policy, str) else None, record)

    async def text_file(self, kind: str, url: str, record: ConsentRecord) -> tuple[AuditItem, str | None]:
        item = self.ctx.item(kind, url, record)
        try:
            got = await self.ctx.fetch.get(url, accept="text/plain, application/json, */*")
        except FetchFailed as exc:
            item.error = str(exc)
            return item, None
        if got.status != 200:
            item.add("file", "file", MISSING, f"HTTP {got.status}")
            return item, None
        item.add("file", "file", PRESENT, f"{len(got.body)} bytes, {got.content_type or 'no content type'}")
        return item, got.body.decode("utf-8", "replace")

    async def robots(self, origin: str, artist_path: str, media_path: str | None, record: ConsentRecord) -> None:
        item, text = await self.text_file("robots.txt", f"{origin}/robots.txt", record)
        if text is None:
            return
        groups = parse_robots(text)
        known = {t.lower() for t in ai_crawler_tokens()}
        named = sorted({a for g in groups for a in g.agents if a in known})
        item.add("file", "AI user-agents", PRESENT if named else MISSING, f"{len(named)} AI crawler(s) named")
        for path in [artist_path] + ([media_path] if media_path else []):
            allowed = robots_allows(robots_group(groups, SAMPLE_CRAWLER), path)
            if record.refuses_ai_crawlers and allowed:
                item.add("file", f"{SAMPLE_CRAWLER} {path}", CONFLICT, "allowed, but the artist refuses AI crawlers")
            else:
                item.add("file", f"{SAMPLE_CRAWLER} {path}", PRESENT, "allowed" if allowed else "disallowed")
        usage = content_usage_for(robots_group(groups, "*"), artist_path)
        judge_usage(item, "file", "Content-Usage", usage, record)
        signal = [v for g in groups for k, v in g.extras if k == "content-signal"]
        item.add("file", "Content-Signal", PRESENT if signal else MISSING, signal[0] if signal else "")

    async def tdmrep(self, origin: str, artist_path: str, record: ConsentRecord) -> None:
        item, text = await self.text_file("tdmrep.json", f"{origin}/.well-known/tdmrep.json", record)
        if text is None:
            return
        try:
            rules = orjson.loads(text)
        except orjson.JSONDecodeError:
            item.add("file", "rules", INVALID, "not JSON")
            return
        if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
            item.add("file", "rules", INVALID, "not a JSON array of rules")
            return
        item.add("file", "rules", PRESENT, f"{len(rules)} rule(s)")
        matching = [r for r in rules if isinstance(r.get("location"), str)
                    and path_pattern(r["location"].rstrip("*") or "/").match(artist_path)]
        matching.sort(key=lambda r: -len(r["location"]))
        judge_tdm(item, "file", f"rule for {artist_path}",
                  matching[0].get("tdm-reservation") if matching else None, record)

    async def ai_txt(self, origin: str, path: str, record: ConsentRecord) -> None:
        item, text = await self.text_file("ai.txt", f"{origin}/ai.txt", record)
        if text is None:
            return
        groups = robots_group(parse_robots(text), "*")
        if not groups:
            item.add("file", "User-Agent: *", MISSING)
            return
        allowed = robots_allows(groups, path)
        if record.restricts_training and allowed:
            item.add("file", f"datasets {path}", CONFLICT, "allowed, but the artist refuses AI training")
        else:
            item.add("file", f"datasets {path}", PRESENT, "allowed" if allowed else "disallowed")

    async def policy(self, url: str | None, record: ConsentRecord) -> None:
        if not url:
            if record.tdm_reservation:
                item = self.ctx.item("tdm policy", "(not advertised)", record)
                item.ours = bool(self.ctx.report.actor and self.ctx.ours(self.ctx.report.actor))
                item.add("file", "tdmPolicy", MISSING, "rights are reserved but no policy URL is given")
            return
        item = self.ctx.item("tdm policy", url, record)
        try:
            got = await self.ctx.fetch.get(url, accept="application/ld+json, application/json")
        except FetchFailed as exc:
            item.error = str(exc)
            return
        if got.status != 200:
            item.add("file", "file", MISSING, f"HTTP {got.status}")
            return
        item.add("file", "content type", PRESENT if got.content_type in ("application/ld+json", "application/json")
                 else INVALID, got.content_type)
        try:
            doc = load_json(got.body, max_bytes=self.ctx.limits.max_bytes, max_depth=32)
        except ParseError as exc:
            item.add("file", "ODRL policy", INVALID, str(exc))
            return
        context = doc.get("@context")
        contexts = context if isinstance(context, list) else [context]
        item.add("file", "ODRL @context", PRESENT if any(isinstance(c, str) and "odrl" in c for c in contexts)
                 else MISSING, context)
        permissions = doc.get("permission")
        if not isinstance(permissions, list) or not permissions:
            item.add("file", "permission", MISSING)
            return
        duties = {d.get("action") for p in permissions if isinstance(p, Mapping)
                  for d in (p.get("duty") or []) if isinstance(d, Mapping)}
        if record.tdm_reservation and "obtainConsent" not in duties:
            item.add("file", "permission", CONFLICT, "mining is permitted without obtaining consent")
        else:
            item.add("file", "permission", PRESENT, permissions)
