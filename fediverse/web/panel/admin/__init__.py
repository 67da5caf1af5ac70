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
    Route("/admin/signups", signups.queue),
    Route("/admin/signups/reject-address", signups.reject_address, methods=["POST"]),
    Route("/admin/signups/{account_id:int}/{action}", signups.decide, methods=["POST"]),
    Route("/admin/invites", invites.invites_page, methods=["GET", "POST"]),
    Route("/admin/invites/{invite_id:int}/revoke", invites.revoke, methods=["POST"]),
    Route("/admin/email-blocks", email_blocks.blocks_page, methods=["GET", "POST"]),
    Route("/admin/email-blocks/{block_id:int}/delete", email_blocks.remove, methods=["POST"]),
    Route("/admin/storage", storage.storage, methods=["GET", "POST"]),
    Route("/admin/reports", reports.report_list),
    Route("/admin/reports/{report_id:int}", reports.report_detail),
    Route("/admin/reports/{report_id:int}/resolve", reports.resolve, methods=["POST"]),
    Route("/admin/accounts", accounts.account_list),
    Route("/admin/accounts/{account_id:int}", accounts.account_detail),
    Route("/admin/accounts/{account_id:int}/action", accounts.account_action, methods=["POST"]),
    Route("/admin/accounts/{account_id:int}/role", accounts.change_role, methods=["POST"]),
    Route("/admin/domain-blocks", domain_blocks.block_list),
    Route("/admin/domain-blocks", domain_blocks.create, methods=["POST"]),
    Route("/admin/domain-blocks/export.csv", domain_blocks.export),
    Route("/admin/domain-blocks/import", domain_blocks.import_csv, methods=["POST"]),
    Route("/admin/domain-blocks/{block_id:int}", domain_blocks.detail),
    Route("/admin/domain-blocks/{block_id:int}", domain_blocks.update, methods=["POST"]),
    Route("/admin/domain-blocks/{block_id:int}/delete", domain_blocks.remove, methods=["POST"]),
    Route("/admin/quarantine", quarantine.quarantine_page),
    Route("/admin/quarantine/{inbound_id:int}/{action}", quarantine.quarantine_action, methods=["POST"]),
    Route("/admin/federation", federation.federation_page),
    Route("/admin/federation/{action}", federation.federation_action, methods=["POST"]),
    Route("/admin/settings", settings.settings_page, methods=["GET", "POST"]),
]
