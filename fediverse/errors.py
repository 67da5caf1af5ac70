"""The exception tree: every error a user can cause has a class and a clear message."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class FediverseError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(FediverseError):
    """instance.toml or an environment override is wrong; the message names the key and the file."""


class NotFound(FediverseError):
    """A local object that was asked for does not exist."""


def found(value: T | None, message: str) -> T:
    """`value` when a lookup found it, else NotFound(message): one shape for every get-or-404."""
    if value is None:
        raise NotFound(message)
    return value


class Invalid(FediverseError):
    """Input that will never be accepted (maps to 400/422)."""


class Conflict(FediverseError):
    """The request clashes with existing state (e.g. username taken)."""


class RemoteError(FediverseError):
    """A remote server could not be reached, refused us, or sent something unusable."""


class UnsafeAddress(RemoteError):
    """A remote URL points at a private, loopback or link-local address and the config forbids it."""
