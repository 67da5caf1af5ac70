"""instance.toml validation: every mistake stops start-up with the key and the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fediverse.config import load_settings
from fediverse.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "instance.toml"
    path.write_text(text)
    return path


def test_embedded_default_config_loads_with_sqlite_and_embedded_jobs() -> None:
    settings = load_settings(ROOT / "instance.toml", env={})
    assert settings.base_url == "http://localhost:8000"
    assert settings.job_backend == "embedded"
    assert settings.database.url.startswith("sqlite+aiosqlite:///" + str(ROOT))
    assert settings.media.root == str(ROOT / "media")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[instance]\ndomian = 'x.test'\n", "unknown key 'instance.domian'"),
        ("[instanse]\n", "unknown section [instanse]"),
        ("[server]\nport = 'eighty'\n", "'server.port' must be int"),
        ("[server]\nport = 70000\n", "'server.port' must be at most 65535"),
        ("[federation]\nallow_private_addresses = 'yes'\n", "'federation.allow_private_addresses' must be bool"),
        ("[instance]\nscheme = 'ftp'\n", "'instance.scheme'"),
        ("[instance]\ndomain = 'https://x.test/'\n", "'instance.domain'"),
        ("[database]\nurl = 'not a url'\n", "'database.url'"),
        ("[database]\nurl = 'mysql://x/y'\n", "'database.url' must use"),
        ("[jobs]\nredis_url = 'http://x'\n", "'jobs.redis_url'"),
        ("[jobs]\nbackend = 'dramatiq'\n", "'jobs.redis_url' is empty"),
        ("[limits]\nmax_inbox_bytes = 0\n", "'limits.max_inbox_bytes' must be greater than 0"),
        ("[media]\nmax_remote_bytes = 0\n", "'media.max_remote_bytes' must be greater than 0"),
        ("[media]\nimages_per_work = 32\n", "'media.images_per_work' must be at most 31"),
        ("[media]\nmax_remote_bytes = '16M'\n", "'media.max_remote_bytes' must be int"),
        ("[media]\nremote_cache_retention_days = -1\n", "'media.remote_cache_retention_days' must not be negative"),
        ("[federation]\nremote_post_retention_days = -1\n", "'federation.remote_post_retention_days' must not be negative"),
        ("[federation]\nremote_post_retention_days = '90d'\n", "'federation.remote_post_retention_days' must be int"),
        ("[federation]\nkey_fetch_seconds = 0\n", "'federation.key_fetch_seconds' must be greater than 0"),
        ("this is = = not toml", "not valid TOML"),
        ("[consent]\nai_training = 'maybe'\n", "'consent.ai_training' must be one of"),
        ("[consent]\nlicence_url = 'cc-by'\n", "'consent.licence_url'"),
        ("[consent]\nsearch = 'yes'\n", "'consent.search' must be bool"),
        ("[consent]\nquotes = 'friends'\n", "'consent.quotes' must be one of anyone, followers, nobody"),
        ("[consent]\nreplies = 'everyone'\n", "'consent.replies' must be one of anyone, followers, nobody"),
        ("[consent]\nboosts = true\n", "'consent.boosts' must be str"),
        ("[instance]\naccent_color = 'purple'\n", "'instance.accent_color' must be a colour written #rrggbb"),
        ("[instance]\naccent_color = '#ffff66'\n", "'instance.accent_color' #ffff66 has too little contrast against "
         "the white background: 1.06:1"),
        ("[instance]\naccent_color = '#777777'\n", "4.48:1, and links and buttons need at least 4.5:1"),
    ],
)
def test_bad_config_names_the_key_and_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_environment_overrides_keys_for_deployment(tmp_path: Path) -> None:
    path = write(tmp_path, "[instance]\ndomain = 'a.test'\n")
    settings = load_settings(path, env={
        "FEDIVERSE_DATABASE_URL": "postgresql+asyncpg://u@db/fed",
        "FEDIVERSE_REDIS_URL": "redis://cache:6379/0",
        "FEDIVERSE_DOMAIN": "art.example",
        "FEDIVERSE_SCHEME": "https",
        "FEDIVERSE_FEDERATION_AUTHORIZED_FETCH": "true",
        "FEDIVERSE_SERVER_PORT": "9000",
    })
    assert settings.base_url == "https://art.example"
    assert settings.database.url == "postgresql+asyncpg://u@db/fed"
    assert settings.job_backend == "dramatiq"
    assert settings.federation.authorized_fetch is True
    assert settings.server.port == 9000


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FEDIVERSE_SERVER_PORT": "many"}, "FEDIVERSE_SERVER_PORT must be int"),
        ({"FEDIVERSE_FEDERATION_AUTHORIZED_FETCH": "perhaps"}, "must be bool"),
        ({"FEDIVERSE_DATABSE_URL": "x"}, "unknown variable FEDIVERSE_DATABSE_URL"),
        ({"FEDIVERSE_CONSENT_QUOTES": "friends"}, "'consent.quotes' must be one of anyone, followers, nobody"),
    ],
)
def test_bad_environment_override_is_named(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(write(tmp_path, ""), env=env)


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[media]\nroot = 'store'\n"), env={})
    assert settings.media.root == str(tmp_path / "store")
    assert str(tmp_path / "data") in settings.database.url


def test_interaction_policies_default_to_anyone_and_follow_the_environment(tmp_path: Path) -> None:
    defaults = load_settings(ROOT / "instance.toml", env={}).consent
    assert (defaults.quotes, defaults.replies, defaults.boosts) == ("anyone", "anyone", "anyone")
    path = write(tmp_path, "[consent]\nreplies = 'followers'\n")
    settings = load_settings(path, env={"FEDIVERSE_CONSENT_QUOTES": "nobody"}).consent
    assert (settings.quotes, settings.replies, settings.boosts) == ("nobody", "followers", "anyone")
