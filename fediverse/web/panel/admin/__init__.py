"""The admin panel under /admin: moderators and admins only, role checked on the server for every request.

Each page lives in its own module; `routes` gathers them. Moderators handle sign-ups, reports, quarantine,
accounts and domain blocks; admins also invites, e-mail blocks, storage and instance settings.
"""

from __future__ import annotations

from starlette.routing import Route

from fediverse.web.panel.admin import (
    accounts, dashboard, domain_blocks, email_blocks, federation, invites, quarantine, reports, settings, signups,
    storage,
)

routes = [
    Route("/admin", dashboard.dashboard),
    Route("/admin/audit-log", dashboard.audit_log),
from fediverse.web.panel.admin import (
    accounts, dashboard, domain_blocks, email_blocks, federation, invites, quarantine, reports, settings, signups,
    storage,
)
]
