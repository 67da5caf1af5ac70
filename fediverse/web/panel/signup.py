"""The public sign-up page (/signup) and invite links (/invite/CODE).

Cheap defences run before anything touches the database or argon2: the per-IP attempt limit (429 with
Retry-After), the honeypot, the signed minimum-fill-time stamp and the optional proof of work. The rules of
the instance (mode, invite, e-mail blocks, daily cap) are services.registrations'.
"""

from __future__ import annotations

from collections import OrderedDict
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fediverse.errors import Conflict, Invalid
from fediverse.ratelimit import limit_key
from fediverse.runtime import Runtime
from fediverse.services import invites, registrations, signup_tokens
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import start_session
from fediverse.web.panel.forms import PanelError, flag, read_form, text
from fediverse.web.panel.render import page, redirect
from fediverse.web.panel.sessions import panel_state
from fediverse.web.ratelimit import client_address
from fediverse.web.security_headers import OWN_SCRIPTS_POLICY

HONEYPOT_FIELD = "website"  # hidden by CSS; people never see it, form-filling bots do
HOUR = 3600
MAX_SPENT = 20_000
REFUSED_QUIETLY = "This sign-up could not be accepted. If you are a person, reload the page and try again."
# Only the proof-of-work page runs a script, and only this site's own.
POW_HEADERS = {"Content-Security-Policy": OWN_SCRIPTS_POLICY}


def _spent(request: Request) -> OrderedDict[str, None]:
    """Stamps that already made an account here, so one solved challenge cannot be replayed (per process)."""
    spent = getattr(request.app.state, "signup_spent", None)
    if spent is None:
        spent = request.app.state.signup_spent = OrderedDict()
    return spent


def _form_page(request: Request, *, status: int = 200, error: str = "", values: dict[str, str] | None = None,
               invite_code: str = "", headers: dict[str, str] | None = None) -> Response:
    rt = runtime_of(request)
    reg = rt.settings.registrations
    bits = reg.proof_of_work_bits
    return page(request, "panel/signup.html", status=status, headers={**(POW_HEADERS if bits else {}), **(headers or {})},
                mode=reg.mode, error=error, values=values or {}, invite_code=invite_code,
                rules=registrations.rules(rt), reason_required=registrations.reason_required(rt, bool(invite_code)),
                ask_reason=reg.mode == "approval" and not invite_code, honeypot=HONEYPOT_FIELD,
                stamp=signup_tokens.issue(panel_state(request.scope).signup_key, rt.clock.time()), pow_bits=bits)


async def _usable_invite(rt: Runtime, code: str) -> bool:
    async with rt.sessions() as session:
        return await invites.find_usable(session, code) is not None


async def signup(request: Request) -> Response:
    rt = runtime_of(request)
    await registrations.check_auto_approval(rt)
    if request.method == "POST":
        return await _submit(request)
    mode = rt.settings.registrations.mode
    code = request.query_params.get("invite", "")[:invites.MAX_CODE_CHARS]
    if mode == "closed":
        return page(request, "panel/signup_closed.html", reason="Sign-ups are closed on this instance.")
    if code and not await _usable_invite(rt, code):
        return page(request, "panel/signup_closed.html", status=404,
                    reason="This invite link is not valid: it may have expired, been used up or been revoked. "
                           "Ask whoever invited you for a new one.")
    if mode == "invite" and not code:
        return page(request, "panel/signup_closed.html",
                    reason="Sign-ups on this instance need an invite link from a member.")
    return _form_page(request, invite_code=code)


async def invite_link(request: Request) -> Response:
    """/invite/CODE, the link admins hand out, opens the sign-up form with the code filled in."""
    code = request.path_params["code"][:invites.MAX_CODE_CHARS]
    return RedirectResponse(f"/signup?invite={quote(code, safe='')}", status_code=303)


async def _submit(request: Request) -> Response:
    rt = runtime_of(request)
    reg = rt.settings.registrations
    if reg.mode == "closed":
        return page(request, "panel/signup_closed.html", status=403, reason="Sign-ups are closed on this instance.")
    try:
        form = await read_form(request)
    except PanelError as exc:
        return _form_page(request, status=exc.status, error=exc.message)
    ip = client_address(request.scope)
    wait = await rt.limiter.hit("signup", limit_key(ip), rt.settings.registrations.attempts_per_hour_per_ip,
                                window=HOUR)  # shared by every process when Redis is configured
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return _form_page(request, status=429, headers={"Retry-After": str(wait)},
                          error=f"Too many sign-up attempts from your network. Try again in about {minutes} minute"
                                f"{'s' if minutes != 1 else ''}.")
    values = {name: text(form, name, limit=limit) for name, limit in
              (("username", 100), ("email", 320), ("reason", registrations.MAX_REASON))}
    code = text(form, "invite", limit=invites.MAX_CODE_CHARS).strip()

    def again(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        return _form_page(request, status=status, error=error, values=values, invite_code=code, headers=headers)

    if text(form, HONEYPOT_FIELD, limit=1000).strip():
        return again(400, REFUSED_QUIETLY)
    stamp = text(form, "stamp", limit=signup_tokens.MAX_STAMP_CHARS + 1)
    problem = signup_tokens.problem(panel_state(request.scope).signup_key, stamp, rt.clock.time(), reg.min_fill_seconds)
    if problem:
        return again(400, problem)
    if not signup_tokens.pow_ok(stamp, text(form, "nonce", limit=200).strip(), reg.proof_of_work_bits):
        return again(400, "The anti-spam puzzle was not solved. Without JavaScript, follow the instructions "
                          "under “Anti-spam puzzle” and paste the number you found.")
    spent = _spent(request)
    if stamp in spent:
        return again(400, "This form was already used for a sign-up. Reload the page to sign up again.")
    spent[stamp] = None  # reserved now, so two copies sent at once cannot both go through
    while len(spent) > MAX_SPENT:
        spent.popitem(last=False)
    application = registrations.Application(
        username=values["username"], email=values["email"], password=text(form, "password", limit=1025),
        password_confirm=text(form, "password_confirm", limit=1025), accepted_rules=flag(form, "accept_rules"),
        reason=values["reason"], invite_code=code, ip=ip)
    async with rt.sessions() as session:
        try:
            user = await registrations.register(rt, session, application)  # commits
        except registrations.Refused as exc:
            await session.rollback()
            spent.pop(stamp, None)
            return again(exc.status, exc.message,
                         {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None)
        except (Invalid, Conflict) as exc:
            await session.rollback()
            spent.pop(stamp, None)  # the person may correct the form and send the same one again
            return again(400 if isinstance(exc, Invalid) else 409, _sentence(str(exc)))
        if not user.approved:
            return page(request, "panel/signup_waiting.html", username=user.account.username)
        await start_session(request, session, user)
    return redirect(request, "/studio", f"Welcome to {rt.settings.instance.name}, @{user.account.username}!")


def _sentence(message: str) -> str:
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."
