"""The instance's secret key: made on first start, kept in `server.secret_key_file` (mode 0600), never committed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from fediverse.errors import ConfigError

log = logging.getLogger("fediverse.panel")
MIN_KEY_CHARS = 32


def load_or_create_secret(path: str | Path) -> bytes:
    """Read the key file; create it with 48 random bytes (URL-safe text) when it does not exist yet."""
    file = Path(path)
    try:
        text = file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = _create(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"'server.secret_key_file' {file}: cannot be read ({exc})") from None
    if len(text) < MIN_KEY_CHARS:
        raise ConfigError(f"'server.secret_key_file' {file}: the key must be at least {MIN_KEY_CHARS} characters; "
                          "delete the file to have a new one made (everyone will be logged out)")
    try:
        if file.stat().st_mode & 0o077:
            log.warning("%s is readable by other users; run: chmod 600 %s", file, file)
    except OSError:
        pass
    return text.encode("ascii")


def _create(file: Path) -> str:
    text = secrets.token_urlsafe(48)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return file.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ConfigError(f"'server.secret_key_file' {file}: cannot be created ({exc})") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    log.info("created a new secret key in %s", file)
    return text


def derive_key(secret: bytes, purpose: str) -> bytes:
    """One key per purpose, so a value signed for one use is never valid for another."""
    return hmac.new(secret, f"fediverse:{purpose}".encode(), hashlib.sha256).digest()
