"""The admin panel under /admin: moderators and admins only, role checked on the server for every request.

Each page lives in its own module; `routes` gathers them. Moderators handle sign-ups, reports, quarantine,
accounts and domain blocks; admins also invites, e-mail blocks, storage and instance settings.
"""

from __future__ import annotations

from starlette.routing import Route

from fediverse.web.panel.admin import dashboard, federation, quarantine, settings

routes = [
    Route("/admin", dashboard.dashboard),
    Route("/admin/audit-log", dashboard.audit_log),
    Route("/admin/quarantine", quarantine.quarantine_page),
    Route("/admin/quarantine/{inbound_id:int}/{action}", quarantine.quarantine_action, methods=["POST"]),
    Route("/admin/federation", federation.federation_page),
    Route("/admin/federation/{action}", federation.federation_action, methods=["POST"]),
    Route("/admin/settings", settings.settings_page, methods=["GET", "POST"]),
]
