"""Mastodon's moderation entities (Admin::Account, Role, Admin::Report, Admin::DomainBlock) as moderation apps
decode them: every key present, ids as strings, times with milliseconds.

This instance has three roles (artist < moderator < admin) and no "disabled" login state (suspension ends
sessions and tokens instead), so `disabled` is always false. A remote account has no e-mail, locale or
sign-up: those are "" / null, as Mastodon.py declares them. A report's `account` and `target_account` are
Mastodon's Admin::Account laid over the plain Account (the same id), so decoders of either shape read them.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from fediverse.api.entities import account as account_entity
from fediverse.api.entities import timestamp
from fediverse.config import Settings
from fediverse.models import Account, DomainBlock, LocalUser, Report
from fediverse.services.listings import AccountStats

# Mastodon's UserRole flags: everyone may invite; moderators get its Moderator preset (dashboard, audit log,
# users, reports, taxonomies); admins every flag.
_INVITE, _DASHBOARD, _AUDIT, _REPORTS, _TAXONOMIES, _USERS = 1 << 16, 1 << 3, 1 << 2, 1 << 4, 1 << 8, 1 << 10
PERMISSIONS = {"artist": _INVITE, "moderator": _INVITE | _DASHBOARD | _AUDIT | _REPORTS | _TAXONOMIES | _USERS,
               "admin": (1 << 20) - 1}
ROLE_IDS = {"artist": "0", "moderator": "1", "admin": "2"}
ROLE_NAMES = {"artist": "", "moderator": "Moderator", "admin": "Admin"}


def role(name: str) -> dict[str, Any]:
    staff = name in ("moderator", "admin")
    return {"id": ROLE_IDS.get(name, "0"), "name": ROLE_NAMES.get(name, ""), "permissions": str(PERMISSIONS.get(name, 0)),
            "color": "", "highlighted": staff}


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def admin_account(settings: Settings, acc: Account, user: LocalUser | None,
                  stats: AccountStats | None = None) -> dict[str, Any]:
    ip = _ip(user.signup_ip) if user is not None else None
    created = user.created_at if user is not None else acc.created_at
    return {
        "id": str(acc.id), "username": acc.username, "domain": acc.domain, "created_at": timestamp(created),
        "email": (user.email or "") if user is not None else "", "ip": ip,
        "ips": [{"ip": ip, "used_at": timestamp(created)}] if ip else [],
        "role": role(user.role if user is not None else "artist"),
        "confirmed": user is not None, "approved": bool(user.approved) if user is not None else False,
        "disabled": False, "suspended": acc.suspended_at is not None, "silenced": acc.silenced_at is not None,
        "sensitized": acc.sensitized_at is not None, "locale": "",
        "invite_request": (user.signup_reason or None) if user is not None else None,
        "account": account_entity(settings, acc, stats),
    }


def both(settings: Settings, acc: Account, user: LocalUser | None) -> dict[str, Any]:
    """Admin::Account over Account: what a report names (see the module docstring)."""
    plain = account_entity(settings, acc)
    return {**plain, **admin_account(settings, acc, user), "created_at": plain["created_at"]}


def report(settings: Settings, row: Report, reporter: dict[str, Any], target: dict[str, Any],
           statuses: list[dict[str, Any]], assigned: dict[str, Any] | None,
           taken_by: dict[str, Any] | None) -> dict[str, Any]:
    closed = row.state != "open"
    return {
        "id": str(row.id), "action_taken": closed, "action_taken_at": timestamp(row.resolved_at) if row.resolved_at else None,
        "category": row.category, "comment": row.comment or "", "forwarded": bool(row.forwarded),
        "created_at": timestamp(row.created_at), "updated_at": timestamp(row.resolved_at or row.created_at),
        "account": reporter, "target_account": target, "assigned_account": assigned,
        "action_taken_by_account": taken_by, "statuses": statuses, "rules": [],
    }


def domain_block(block: DomainBlock) -> dict[str, Any]:
    return {
        "id": str(block.id), "domain": block.domain, "created_at": timestamp(block.created_at),
        "severity": block.severity, "reject_media": bool(block.reject_media),
        "reject_reports": bool(block.reject_reports), "private_comment": block.private_comment or None,
        "public_comment": block.public_comment or None, "obfuscate": bool(block.obfuscate),
        "digest": hashlib.sha256(block.domain.encode()).hexdigest(),
    }
