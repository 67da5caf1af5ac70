"""The admin panel under /admin: moderators and admins only, role checked on the server for every request.

Each page lives in its own module with the routes it answers; `routes` gathers them, in this order. Moderators handle sign-ups, reports, quarantine,
accounts and domain blocks; admins also invites, e-mail blocks, storage and instance settings.
"""

from __future__ import annotations

from fediverse.web.panel.admin import (
    accounts, dashboard, domain_blocks, email_blocks, federation, invites, quarantine, reports, settings, signups,
    storage,
)

_PAGES = (dashboard, signups, invites, email_blocks, storage, reports, accounts, domain_blocks, quarantine, federation,
          settings)
routes = [route for page in _PAGES for route in page.routes]
