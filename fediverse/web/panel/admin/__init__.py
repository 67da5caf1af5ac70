"""The admin panel under /admin: moderators and admins only, role checked on the server for every request.

Each page lives in its own module; `routes` gathers them. Moderators handle sign-ups, reports, quarantine,
accounts and domain blocks; admins also invites, e-mail blocks, storage and instance settings.
"""

from __future__ import annotations

from starlette.routing import Route

from fediverse.web.panel.admin import dashboard, email_blocks, invites, signups

routes = [
    Route("/admin", dashboard.dashboard),
    Route("/admin/audit-log", dashboard.audit_log),
    Route("/admin/signups", signups.queue),
    Route("/admin/signups/{account_id:int}/{action}", signups.decide, methods=["POST"]),
    Route("/admin/invites", invites.invites_page, methods=["GET", "POST"]),
    Route("/admin/invites/{invite_id:int}/revoke", invites.revoke, methods=["POST"]),
    Route("/admin/email-blocks", email_blocks.blocks_page, methods=["GET", "POST"]),
    Route("/admin/email-blocks/{block_id:int}/delete", email_blocks.remove, methods=["POST"]),
]
