"""Instance settings saved from the admin panel: stored in the database, laid over instance.toml, live at once.

instance.toml stays the base (`rt.file_settings`); each row of `instance_settings` overrides one key of it.
`save` validates the combination exactly as start-up validates the file (a bad value is an Invalid naming the
key, nothing is written), and `apply` swaps `rt.settings` in this process. Other processes call `refresh`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.config import Settings
from fediverse.errors import ConfigError, Invalid
from fediverse.models import InstanceSetting, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.settings")
REFRESH_SECONDS = 5.0  # other processes see a change made in the panel within this long

# What the panel may change; everything else (domain, database, secrets) needs the file and a restart.
EDITABLE: tuple[str, ...] = (
    "instance.name", "instance.description", "instance.rules", "instance.contact_email", "instance.thumbnail_url",
    "instance.front_page", "instance.logo_url", "instance.header_image_url", "instance.accent_color",
    "registrations.mode", "registrations.require_reason", "registrations.daily_cap",
    "registrations.min_fill_seconds", "registrations.attempts_per_hour_per_ip", "registrations.proof_of_work_bits",
    "registrations.auto_approval_after_hours",
    "consent.ai_training", "consent.tdm_reserved", "consent.ai_input", "consent.search", "consent.licence_url",
    "consent.attribution", "consent.show_licence_line", "consent.refuse_ai_crawlers",
    "media.max_upload_bytes", "media.images_per_work", "media.require_alt_text",
    "media.remote_cache_retention_days",
    "spam.inbox_per_domain_per_minute", "spam.inbox_per_actor_per_minute",
    "spam.inbox_per_address_per_minute", "spam.requests_per_minute_per_ip",
    "spam.requests_per_minute_per_account", "spam.quarantine_new_account_hours",
    "spam.identical_message_threshold", "spam.quarantine_link_only",
)


def kind_of(settings: Settings, key: str) -> type:
    section, name = key.split(".", 1)
    return type(getattr(getattr(settings, section), name))


def overlay(base: Settings, overrides: dict[str, Any]) -> Settings:
    """`base` with the overrides laid over it, validated; unknown or ill-typed keys raise Invalid."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if key not in EDITABLE:
            raise Invalid(f"{key!r} cannot be changed from the panel")
        kind = kind_of(base, key)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Invalid(f"{key} must be {kind.__name__}, not {type(value).__name__}")
        section, name = key.split(".", 1)
        sections.setdefault(section, {})[name] = value
    try:
        return base.replace(**sections)
    except ConfigError as exc:
        raise Invalid(str(exc).split(": ", 1)[-1]) from None


async def stored(session: AsyncSession) -> dict[str, Any]:
    """Every override in the database; rows of keys no longer editable are ignored."""
    rows = (await session.scalars(select(InstanceSetting))).all()
    return {row.key: row.value.get("v") for row in rows if row.key in EDITABLE and isinstance(row.value, dict)}


async def validate(rt: Runtime, session: AsyncSession, changes: dict[str, Any]) -> Settings:
    """The settings `changes` would give, without writing anything; Invalid naming the key when refused."""
    base = rt.file_settings or rt.settings
    return overlay(base, {**await stored(session), **changes})


async def save(rt: Runtime, session: AsyncSession, changes: dict[str, Any]) -> Settings:
    """Validate and write `changes` (the caller commits, then calls `apply` with the result)."""
    new_settings = await validate(rt, session, changes)
    for key, value in changes.items():
        row = await session.get(InstanceSetting, key)
        if row is None:
            session.add(InstanceSetting(key=key, value={"v": value}))
        else:
            row.value = {"v": value}
            row.updated_at = utcnow()
    return new_settings



async def save_if_still(rt: Runtime, session: AsyncSession, key: str, *, expected: Any, value: Any) -> Settings | None:
    """Compare-and-set one key: write ``value`` only while the stored one is still ``expected`` (no row: the
    file's value, which the caller has checked). Of several requests and processes making the same automatic
    change at once, exactly one gets the new settings; the others get None (or, when both insert the first
    row, an IntegrityError at commit). The caller commits."""
    base = rt.file_settings or rt.settings
    merged = {**await stored(session), key: value}
    new_settings = overlay(base, merged)
    row = await session.get(InstanceSetting, key, populate_existing=True)
    if row is None:
        session.add(InstanceSetting(key=key, value={"v": value}))
        return new_settings
    if row.value != {"v": expected}:
        return None
    won = await session.execute(
        update(InstanceSetting)
        .where(InstanceSetting.key == key, InstanceSetting.updated_at == row.updated_at)
        .values(value={"v": value}, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    return new_settings if won.rowcount == 1 else None

def apply(rt: Runtime, new_settings: Settings) -> None:
    """Make `new_settings` this process's settings; the keys that cannot change here are kept from the file."""
    base = rt.file_settings or rt.settings
    if rt.file_settings is None:
        rt.file_settings = base
    new_settings = dataclasses.replace(new_settings, instance=dataclasses.replace(
        new_settings.instance, domain=base.instance.domain, scheme=base.instance.scheme))
    if new_settings != rt.settings:  # unchanged settings keep their identity: caches keyed on it stay warm
        rt.settings = new_settings


class RefreshTimer:
    """When this process last looked at the stored overrides (monotonic time) and the refresh running in the
    background, one per Runtime: maybe_refresh looks again at most once per REFRESH_SECONDS."""

    def __init__(self) -> None:
        self.checked_at = 0.0
        self.running: asyncio.Task[None] | None = None

    def busy(self) -> bool:
        return self.running is not None and not self.running.done()

    async def close(self) -> None:
        """Cancel a refresh still running (the process is stopping)."""
        if self.running is not None and self.busy():
            self.running.cancel()
            await asyncio.gather(self.running, return_exceptions=True)


async def refresh(rt: Runtime) -> None:
    """Re-read the overrides (at start-up, and now and then in other processes)."""
    rt.settings_timer.checked_at = time.monotonic()
    async with rt.sessions() as session:
        overrides = await stored(session)
    base = rt.file_settings or rt.settings
    try:
        new_settings = overlay(base, overrides)
    except Invalid:
        new_settings = base  # a row made invalid by a later file edit: the file wins rather than a crash
    apply(rt, new_settings)


def maybe_refresh(rt: Runtime, every: float = REFRESH_SECONDS) -> None:
    """Start a `refresh` in the background at most once per `every` seconds; cheap enough for every request
    and every job. Nobody waits for it: the caller goes on with the settings it has, and later callers get the
    new ones (so a request never pays for the query, nor overtakes another while it runs)."""
    now = time.monotonic()
    if now - rt.settings_timer.checked_at < every:
        return
    rt.settings_timer.checked_at = now
    if rt.settings_timer.busy():
        return
    rt.settings_timer.running = asyncio.get_running_loop().create_task(_refresh_quietly(rt), name="fediverse-settings")


async def _refresh_quietly(rt: Runtime) -> None:
    try:
        await refresh(rt)
    except Exception:  # noqa: BLE001 - a database hiccup must not break anything; the old settings stay
        log.warning("could not re-read the instance settings", exc_info=True)
