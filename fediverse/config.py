"""instance.toml (+ FEDIVERSE_* environment overrides) -> frozen Settings.

Every problem stops start-up with a ConfigError naming the key and the file, because a
half-understood config on a federated server mints wrong ids that can never be taken back.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fediverse.colour import DEFAULT_ACCENT, accent_problem
from fediverse.errors import ConfigError

DEFAULT_CONFIG = Path("instance.toml")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")
AI_TRAINING_CHOICES = ("allowed", "no_generative", "none")
INTERACTION_POLICIES = ("anyone", "followers", "nobody")  # who may quote / reply to / boost a post (GoToSocial model)
REGISTRATION_MODES = ("open", "approval", "invite", "closed")
FRONT_PAGE_CHOICES = ("works", "artists")
_ENV_SHORTCUTS = {
    "FEDIVERSE_DOMAIN": ("instance", "domain"),
    "FEDIVERSE_SCHEME": ("instance", "scheme"),
    "FEDIVERSE_REDIS_URL": ("jobs", "redis_url"),
}


MAX_IMAGES_PER_WORK = 31  # api.entities.attachment_id gives a status's images 31 distinct ids

@dataclass(frozen=True)
class InstanceSettings:
    domain: str = "localhost:8000"
    scheme: str = "http"
    name: str = "fediverse"
    description: str = ""
    contact_email: str = ""
    rules: str = ""                    # one rule per line; shown on the sign-up form and in /api/v1/instance
    thumbnail_url: str = ""            # instance picture; set from the admin panel
    front_page: str = "works"          # "works": a grid of recent public works; "artists": the list of artists only
    logo_url: str = ""                 # shown in the page header instead of the name (alt text: the name); panel
    header_image_url: str = ""         # the front page's banner; set from the admin panel
    accent_color: str = DEFAULT_ACCENT  # #rrggbb, >= 4.5:1 against white; the dark scheme's accent is derived


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key_file: str = "data/secret.key"   # signs session cookies; created on first start, never committed
    login_attempts_per_minute: int = 10                 # per (account, client address) pair
    login_attempts_per_minute_per_address: int = 30     # per client address, whatever the account (IPv6 by /64)
    login_attempts_per_hour_per_account: int = 100      # per account from anywhere: the ceiling for spread guessing


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/fediverse.sqlite3"
    pool_size: int = 20


@dataclass(frozen=True)
class MediaSettings:
    root: str = "media"
    max_upload_bytes: int = 40 * 1024 * 1024
    max_pixels: int = 100_000_000       # decompression-bomb guard (width x height x frames)
    large_max_width: int = 3840         # Mastodon keeps files within 3840x2160 unconverted
    large_max_height: int = 2160
    display_size: int = 1280
    thumbnail_size: int = 400
    images_per_work: int = 10  # at most MAX_IMAGES_PER_WORK
    require_alt_text: bool = True
    min_alt_length: int = 1
    remote_cache_retention_days: int = 30  # cached remote media unused this long is purged
    max_remote_bytes: int = 16 * 1024 * 1024  # a remote attachment larger than this is not fetched
    # an as-uploaded (Glaze-safe) large rendition is the artist's file itself: other servers, Mastodon's 16 MB
    # image limit and our own max_remote_bytes, do not fetch a larger attachment
    as_uploaded_max_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class JobSettings:
    backend: str = "auto"
    redis_url: str = ""
    embedded_workers: int = 64
    lease_seconds: int = 120
    sweep_seconds: int = 15
    retention_days: int = 7
    inbound_retention_days: int = 7    # processed inbound activities are pruned after this; held ones stay


@dataclass(frozen=True)
class FederationSettings:
    allow_private_addresses: bool = False
    authorized_fetch: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_redirects: int = 3
    max_response_bytes: int = 1_048_576
    key_cache_seconds: int = 86_400
    key_fetch_seconds: float = 4.0  # every key fetch verifying one inbound request, together
    delivery_max_attempts: int = 16
    domain_unavailable_days: int = 7
    remote_post_retention_days: int = 90  # stored remote posts nobody here interacted with go after this; 0 = keep


@dataclass(frozen=True)
class LimitSettings:
    max_inbox_bytes: int = 1_048_576
    max_json_depth: int = 50
    page_size: int = 20


@dataclass(frozen=True)
class ConsentSettings:
    """The instance default consent record; artists and works override it (fediverse.consent)."""

    ai_training: str = "none"          # allowed | no_generative | none
    tdm_reserved: bool = True
    ai_input: bool = False
    search: bool = True
    licence_url: str = ""              # "" = all rights reserved
    attribution: str = ""
    show_licence_line: bool = True
    refuse_ai_crawlers: bool = True    # 403 to AI crawler user agents on pages and media of artists who refuse them
    quotes: str = "anyone"             # who may quote a post: anyone | followers | nobody (as Mastodon 4.5)
    replies: str = "anyone"            # who may reply: anyone | followers | nobody (GoToSocial interactionPolicy)
    boosts: str = "anyone"             # who may boost (Announce): anyone | followers | nobody


@dataclass(frozen=True)
class RegistrationSettings:
    """Who may sign up and the defences in front of the sign-up form (issue 5)."""

    mode: str = "approval"             # open | approval | invite | closed
    require_reason: bool = True        # approval mode: "why do you want to join?"
    daily_cap: int = 50                # sign-ups accepted per UTC day, all modes; 0 = no cap
    min_fill_seconds: int = 3          # forms sent faster than this are bots
    attempts_per_hour_per_ip: int = 5
    proof_of_work_bits: int = 0        # 0 = off; else leading zero bits of sha256(challenge + nonce)
    auto_approval_after_hours: int = 48  # open mode falls back to approval when no moderator acted this long; 0 = never


@dataclass(frozen=True)
class SpamSettings:
    """Rate limits and the quarantine for inbound content (issue 5)."""

    inbox_per_domain_per_minute: int = 600
    inbox_per_actor_per_minute: int = 60
    inbox_per_address_per_minute: int = 1200   # inbox POSTs per client address (IPv6 /64), before any verification
    requests_per_minute_per_ip: int = 600      # web pages and API, per client address
    requests_per_minute_per_account: int = 300  # logged-in panel requests, per account
    api_requests_per_5_minutes: int = 300      # client API, per token (per address without one), as Mastodon
    remote_media_per_minute_per_ip: int = 180  # /media/remote/... per client address (each may fetch upstream)
    quarantine_new_account_hours: int = 24     # mentions from remote accounts first seen this recently, with no history
    identical_message_threshold: int = 5       # the same text to this many local users within an hour is held
    quarantine_link_only: bool = True          # posts that are nothing but links are held


@dataclass(frozen=True)
class MetricsSettings:
    token: str = ""                    # bearer token for /metrics; "" = loopback clients only


@dataclass(frozen=True)
class Settings:
    instance: InstanceSettings = field(default_factory=InstanceSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    consent: ConsentSettings = field(default_factory=ConsentSettings)
    registrations: RegistrationSettings = field(default_factory=RegistrationSettings)
    spam: SpamSettings = field(default_factory=SpamSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    source: str = "<defaults>"

    @property
    def base_url(self) -> str:
        """Scheme + domain: the prefix of every local IRI."""
        return f"{self.instance.scheme}://{self.instance.domain}"

    @property
    def job_backend(self) -> str:
        """The backend actually used: 'auto' means dramatiq when Redis is configured."""
        if self.jobs.backend == "auto":
            return "dramatiq" if self.jobs.redis_url else "embedded"
        return self.jobs.backend

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys changed, e.g. replace(instance={"domain": "a.test"}); used by tests."""
        changes = {name: dataclasses.replace(getattr(self, name), **values) for name, values in sections.items()}
        return _validated(dataclasses.replace(self, **changes))


_SECTION_TYPES = {
    "instance": InstanceSettings,
    "server": ServerSettings,
    "database": DatabaseSettings,
    "media": MediaSettings,
    "jobs": JobSettings,
    "federation": FederationSettings,
    "limits": LimitSettings,
    "consent": ConsentSettings,
    "registrations": RegistrationSettings,
    "spam": SpamSettings,
    "metrics": MetricsSettings,
}


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file, apply environment overrides, validate, and resolve relative paths."""
    config_path = Path(path) if path else DEFAULT_CONFIG
    env = os.environ if env is None else env
    source = str(config_path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    sections = _read_sections(raw, source)
    _apply_env(sections, env)
    base_dir = config_path.resolve().parent
    sections["database"]["url"] = _absolute_sqlite_url(sections["database"].get("url", DatabaseSettings.url), base_dir)
    for section, key, default in (("media", "root", MediaSettings.root),
                                  ("server", "secret_key_file", ServerSettings.secret_key_file)):
        path = Path(sections[section].get(key, default))
        sections[section][key] = str(path if path.is_absolute() else base_dir / path)
    built = {name: _SECTION_TYPES[name](**values) for name, values in sections.items()}
    return _validated(Settings(**built, source=source))


def _read_sections(raw: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTION_TYPES}
    for name, values in raw.items():
        if name not in _SECTION_TYPES:
            raise ConfigError(f"{source}: unknown section [{name}] (known: {', '.join(_SECTION_TYPES)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        known = {f.name: f for f in dataclasses.fields(_SECTION_TYPES[name])}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown key '{name}.{key}'")
            sections[name][key] = _coerce(value, _field_type(known[key]), f"{source}: '{name}.{key}'")
    return sections


def _apply_env(sections: dict[str, dict[str, Any]], env: Mapping[str, str]) -> None:
    for var, value in env.items():
        if not var.startswith("FEDIVERSE_") or var in ("FEDIVERSE_CONFIG",):
            continue
        target = _ENV_SHORTCUTS.get(var) or _env_target(var)
        if target is None:
            if var.startswith("FEDIVERSE_TEST_"):
                continue
            raise ConfigError(f"environment: unknown variable {var}")
        section, key = target
        known = {f.name: f for f in dataclasses.fields(_SECTION_TYPES[section])}
        sections[section][key] = _coerce_text(value, _field_type(known[key]), f"environment: {var}")


def _env_target(var: str) -> tuple[str, str] | None:
    rest = var.removeprefix("FEDIVERSE_").lower()
    for section, cls in _SECTION_TYPES.items():
        prefix = section + "_"
        if rest.startswith(prefix):
            key = rest[len(prefix):]
            if key in {f.name for f in dataclasses.fields(cls)}:
                return section, key
    return None


def _field_type(f: dataclasses.Field[Any]) -> type:
    return {"str": str, "int": int, "float": float, "bool": bool}[str(f.type)]


def _coerce(value: Any, kind: type, where: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {kind.__name__}, not {type(value).__name__} ({value!r})")
    return value


def _coerce_text(value: str, kind: type, where: str) -> Any:
    try:
        if kind is bool:
            lowered = value.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes")
        return kind(value)
    except ValueError:
        raise ConfigError(f"{where} must be {kind.__name__}, not {value!r}") from None


def _absolute_sqlite_url(url: str, base_dir: Path) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # reported by _validated with the key name
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        db_path = Path(parsed.database)
        if not db_path.is_absolute():
            return parsed.set(database=str(base_dir / db_path)).render_as_string(hide_password=False)
    return url


def _validate_consent(settings: Settings) -> None:
    consent = settings.consent
    if consent.ai_training not in AI_TRAINING_CHOICES:
        raise ConfigError(f"{settings.source}: 'consent.ai_training' must be one of {', '.join(AI_TRAINING_CHOICES)}, "
                          f"not {consent.ai_training!r}")
    if consent.licence_url and not re.match(r"^https?://\S+$", consent.licence_url):
        raise ConfigError(f"{settings.source}: 'consent.licence_url' must be an http(s) URL or empty")
    for key in ("quotes", "replies", "boosts"):
        value = getattr(consent, key)
        if value not in INTERACTION_POLICIES:
            raise ConfigError(f"{settings.source}: 'consent.{key}' must be one of {', '.join(INTERACTION_POLICIES)}, "
                              f"not {value!r}")


def _validate_registrations(settings: Settings) -> None:
    reg = settings.registrations
    if reg.mode not in REGISTRATION_MODES:
        raise ConfigError(f"{settings.source}: 'registrations.mode' must be one of {', '.join(REGISTRATION_MODES)}, "
                          f"not {reg.mode!r}")
    if not 0 <= reg.proof_of_work_bits <= 28:
        raise ConfigError(f"{settings.source}: 'registrations.proof_of_work_bits' must be between 0 and 28")
    non_negative = {
        "registrations.daily_cap": reg.daily_cap,
        "registrations.min_fill_seconds": reg.min_fill_seconds,
        "registrations.auto_approval_after_hours": reg.auto_approval_after_hours,
        "spam.quarantine_new_account_hours": settings.spam.quarantine_new_account_hours,
        "media.remote_cache_retention_days": settings.media.remote_cache_retention_days,
        "federation.remote_post_retention_days": settings.federation.remote_post_retention_days,
    }
    for key, value in non_negative.items():
        if value < 0:
            raise ConfigError(f"{settings.source}: '{key}' must not be negative, not {value}")


def _validated(settings: Settings) -> Settings:
    src = settings.source
    inst = settings.instance
    if inst.front_page not in FRONT_PAGE_CHOICES:
        raise ConfigError(f"{src}: 'instance.front_page' must be one of {', '.join(FRONT_PAGE_CHOICES)}, "
                          f"not {inst.front_page!r}")
    problem = accent_problem(inst.accent_color)
    if problem:
        raise ConfigError(f"{src}: 'instance.accent_color' {problem}")
    if inst.scheme not in ("http", "https"):
        raise ConfigError(f"{src}: 'instance.scheme' must be \"http\" or \"https\", not {inst.scheme!r}")
    if not _DOMAIN_RE.match(inst.domain):
        raise ConfigError(f"{src}: 'instance.domain' must be a lower-case host name with an optional port, not {inst.domain!r}")
    try:
        db = make_url(settings.database.url)
    except ArgumentError:
        raise ConfigError(f"{src}: 'database.url' is not a database URL: {settings.database.url!r}") from None
    if db.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ConfigError(
            f"{src}: 'database.url' must use sqlite+aiosqlite:// or postgresql+asyncpg://, not {db.drivername}://"
        )
    jobs = settings.jobs
    if jobs.backend not in ("auto", "embedded", "dramatiq"):
        raise ConfigError(f"{src}: 'jobs.backend' must be auto, embedded or dramatiq, not {jobs.backend!r}")
    if jobs.redis_url and not re.match(r"^rediss?://", jobs.redis_url):
        raise ConfigError(f"{src}: 'jobs.redis_url' must start with redis:// or rediss://, not {jobs.redis_url!r}")
    if settings.job_backend == "dramatiq" and not jobs.redis_url:
        raise ConfigError(f"{src}: 'jobs.backend' is dramatiq but 'jobs.redis_url' is empty")
    positives = {
        "server.port": settings.server.port,
        "server.login_attempts_per_minute": settings.server.login_attempts_per_minute,
        "server.login_attempts_per_minute_per_address": settings.server.login_attempts_per_minute_per_address,
        "server.login_attempts_per_hour_per_account": settings.server.login_attempts_per_hour_per_account,
        "database.pool_size": settings.database.pool_size,
        "jobs.embedded_workers": jobs.embedded_workers,
        "jobs.lease_seconds": jobs.lease_seconds,
        "jobs.sweep_seconds": jobs.sweep_seconds,
        "jobs.retention_days": jobs.retention_days,
        "jobs.inbound_retention_days": jobs.inbound_retention_days,
        "federation.connect_timeout": settings.federation.connect_timeout,
        "federation.read_timeout": settings.federation.read_timeout,
        "federation.key_fetch_seconds": settings.federation.key_fetch_seconds,
        "federation.max_response_bytes": settings.federation.max_response_bytes,
        "federation.delivery_max_attempts": settings.federation.delivery_max_attempts,
        "federation.domain_unavailable_days": settings.federation.domain_unavailable_days,
        "limits.max_inbox_bytes": settings.limits.max_inbox_bytes,
        "limits.max_json_depth": settings.limits.max_json_depth,
        "limits.page_size": settings.limits.page_size,
        "media.max_upload_bytes": settings.media.max_upload_bytes,
        "media.max_pixels": settings.media.max_pixels,
        "media.large_max_width": settings.media.large_max_width,
        "media.large_max_height": settings.media.large_max_height,
        "media.display_size": settings.media.display_size,
        "media.thumbnail_size": settings.media.thumbnail_size,
        "media.images_per_work": settings.media.images_per_work,
        "media.max_remote_bytes": settings.media.max_remote_bytes,
        "media.as_uploaded_max_bytes": settings.media.as_uploaded_max_bytes,
        "registrations.attempts_per_hour_per_ip": settings.registrations.attempts_per_hour_per_ip,
        "spam.inbox_per_domain_per_minute": settings.spam.inbox_per_domain_per_minute,
        "spam.inbox_per_actor_per_minute": settings.spam.inbox_per_actor_per_minute,
        "spam.inbox_per_address_per_minute": settings.spam.inbox_per_address_per_minute,
        "spam.requests_per_minute_per_ip": settings.spam.requests_per_minute_per_ip,
        "spam.requests_per_minute_per_account": settings.spam.requests_per_minute_per_account,
        "spam.api_requests_per_5_minutes": settings.spam.api_requests_per_5_minutes,
        "spam.remote_media_per_minute_per_ip": settings.spam.remote_media_per_minute_per_ip,
        "spam.identical_message_threshold": settings.spam.identical_message_threshold,
    }
    for key, value in positives.items():
        if value <= 0:
            raise ConfigError(f"{src}: '{key}' must be greater than 0, not {value}")
    if settings.media.images_per_work > MAX_IMAGES_PER_WORK:
        raise ConfigError(f"{src}: 'media.images_per_work' must be at most {MAX_IMAGES_PER_WORK} (each image needs its "
                          f"own client API id), not {settings.media.images_per_work}")
    if settings.server.port > 65535:
        raise ConfigError(f"{src}: 'server.port' must be at most 65535, not {settings.server.port}")
    _validate_consent(settings)
    _validate_registrations(settings)
    if settings.federation.max_redirects < 0:
        raise ConfigError(f"{src}: 'federation.max_redirects' must not be negative")
    return settings
