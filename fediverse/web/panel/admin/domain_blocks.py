"""/admin/domain-blocks: moderators see the list and export it; admins add, change, lift and import (Mastodon's split)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.db import domain_blocks as block_db
from fediverse.errors import Invalid, NotFound
from fediverse.models import DOMAIN_SEVERITIES, DomainBlock, LocalUser
from fediverse.services import domain_blocks
from fediverse.services.blocklist_csv import MAX_CSV_BYTES, BlockInput, export_csv
from fediverse.web.panel.auth import has_role, staff_view
from fediverse.web.panel.forms import MULTIPART_MARGIN, read_form, text, flag, upload
from fediverse.web.panel.render import PANEL_HEADERS, page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _input(form: FormData, domain: str) -> BlockInput:
    return BlockInput(domain=domain, severity=text(form, "severity", limit=16),
                      reject_media=flag(form, "reject_media"), reject_reports=flag(form, "reject_reports"),
                      public_comment=text(form, "public_comment", limit=2000),
                      private_comment=text(form, "private_comment", limit=2000), obfuscate=flag(form, "obfuscate"))


@staff_view("moderator")
async def block_list(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return page(request, "panel/admin_domain_blocks.html", blocks=await block_db.all_blocks(session),
                severities=DOMAIN_SEVERITIES, may_edit=has_role(user, "admin"), form=None, error=None)


@staff_view("admin")
async def create(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    data = _input(form, text(form, "domain", limit=300))
    try:
        block = await domain_blocks.create(session, user, data)
    except Invalid as exc:
        await session.rollback()
        return page(request, "panel/admin_domain_blocks.html", status=400, blocks=await block_db.all_blocks(session),
                    severities=DOMAIN_SEVERITIES, may_edit=True, form=data, error=str(exc))
    return redirect(request, "/admin/domain-blocks", f"{block.domain} is now blocked ({block.severity}).")


async def _block(session: AsyncSession, request: Request) -> DomainBlock:
    block = await block_db.by_id(session, request.path_params["block_id"])
    if block is None:
        raise NotFound("no such domain block")
    return block


@staff_view("moderator")
async def detail(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    block = await _block(session, request)
    return page(request, "panel/admin_domain_block.html", block=block, severities=DOMAIN_SEVERITIES,
                accounts=await block_db.accounts_on(session, block.domain), may_edit=has_role(user, "admin"))


@staff_view("admin")
async def update(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    block = await _block(session, request)
    form = await read_form(request)
    await domain_blocks.update(session, user, block.id, _input(form, block.domain))
    return redirect(request, f"/admin/domain-blocks/{block.id}", f"The block on {block.domain} was changed.")


@staff_view("admin")
async def remove(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    block = await _block(session, request)
    form = await read_form(request)
    domain = await domain_blocks.remove(session, user, block.id, text(form, "reason", limit=2000))
    return redirect(request, "/admin/domain-blocks", f"{domain} is no longer blocked.")


@staff_view("admin")
async def import_csv(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """A Mastodon export: all rows valid or nothing is written; the message names the bad line."""
    form = await read_form(request, max_bytes=MAX_CSV_BYTES + MULTIPART_MARGIN, max_files=1)
    try:
        file = upload(form, "file")
        if file is None:
            raise Invalid("choose a CSV file exported from Mastodon (Moderation → Federation → Export)")
        data = await file.read(MAX_CSV_BYTES + 1)
        reason = text(form, "reason", limit=1000) or f"Imported from {file.filename or 'a CSV file'}"
        result = await domain_blocks.import_csv(session, user, data, reason)
    except Invalid as exc:
        await session.rollback()
        return redirect(request, "/admin/domain-blocks", f"Nothing was imported: {exc}", kind="error")
    finally:
        await form.close()
    skipped = f"; {len(result.skipped)} already blocked were skipped" if result.skipped else ""
    return redirect(request, "/admin/domain-blocks", f"Imported {len(result.created)} domain blocks{skipped}.")


@staff_view("moderator")
async def export(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    body = export_csv(await block_db.all_blocks(session))
    filename = f"domain_blocks_{date.today().isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={**PANEL_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})


routes = [
    Route("/admin/domain-blocks", block_list),
    Route("/admin/domain-blocks", create, methods=["POST"]),
    Route("/admin/domain-blocks/export.csv", export),
    Route("/admin/domain-blocks/import", import_csv, methods=["POST"]),
    Route("/admin/domain-blocks/{block_id:int}", detail),
    Route("/admin/domain-blocks/{block_id:int}", update, methods=["POST"]),
    Route("/admin/domain-blocks/{block_id:int}/delete", remove, methods=["POST"]),
]
