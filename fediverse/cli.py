"""The `fediverse` command: serve | worker | migrate | user … | follow | unfollow | requests | doctor | consent …."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

from fediverse.config import Settings, load_settings
from fediverse.errors import FediverseError
from fediverse.runtime import Runtime, create_runtime
from fediverse.services.accounts import require_local_user

Command = Callable[[argparse.Namespace, Settings], int]
AsyncCommand = Callable[[argparse.Namespace, Runtime], Awaitable[int]]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config or os.environ.get("FEDIVERSE_CONFIG") or "instance.toml")
        return args.handler(args, settings)
    except FediverseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fediverse", description="A federated ActivityPub home for artists.")
    parser.add_argument("--config", metavar="PATH", help="instance config file (default: ./instance.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server (and, by default, the job workers)")
    serve.add_argument("--host", help="address to bind (default from [server] host)")
    serve.add_argument("--port", type=int, help="port to bind (default from [server] port)")
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", help="run dramatiq job workers (needs [jobs] redis_url)")
    worker.add_argument("--threads", type=int, default=8, help="concurrent jobs in this process")
    worker.set_defaults(handler=cmd_worker)

    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(handler=cmd_migrate)

    user = sub.add_parser("user", help="manage local accounts").add_subparsers(metavar="ACTION")
    create = user.add_parser("create", help="create an account")
    create.add_argument("username")
    create.add_argument("--role", choices=["artist", "moderator", "admin"], default="artist")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--bio", default="", help="profile text")
    create.add_argument("--locked", action="store_true", help="approve followers by hand")
    create.set_defaults(handler=cmd_user_create)
    listing = user.add_parser("list", help="list local accounts")
    listing.set_defaults(handler=cmd_user_list)
    show = user.add_parser("show", help="show one account")
    show.add_argument("username")
    show.set_defaults(handler=cmd_user_show)

    for name, helptext, handler in (
        ("follow", "make USERNAME follow ACCT (user@domain or actor URL)", cmd_follow),
        ("unfollow", "make USERNAME stop following ACCT", cmd_unfollow),
        ("approve", "accept ACCT's follow request to USERNAME", cmd_approve),
        ("reject", "reject ACCT's follow request to USERNAME, or remove that follower", cmd_reject),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("username")
        p.add_argument("acct")
        p.set_defaults(handler=handler)
    requests = sub.add_parser("requests", help="list follow requests waiting for USERNAME's approval")
    requests.add_argument("username")
    requests.set_defaults(handler=cmd_requests)

    doctor = sub.add_parser("doctor", help="check config, database, keys and queue; print what is wrong")
    doctor.set_defaults(handler=cmd_doctor)

    from fediverse import cli_consent, cli_media, cli_works

    cli_works.add_commands(sub, _run)
    cli_consent.add_commands(sub, _run)
    cli_media.add_commands(sub, _run)
    return parser


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from fediverse.app import create_app

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    print(f"fediverse serving {settings.base_url} on http://{host}:{port} (jobs: {settings.job_backend})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info" if args.verbose else "warning",
                proxy_headers=True, server_header=False)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if settings.job_backend != "dramatiq":
        print("error: `fediverse worker` needs [jobs] redis_url (or FEDIVERSE_REDIS_URL); "
              "with the embedded backend `fediverse serve` runs the jobs itself", file=sys.stderr)
        return 1
    from fediverse.jobs.dramatiq_backend import run_worker

    return run_worker(settings, threads=args.threads)


def _in_runtime(*, deliver: bool = False, migrate: bool = True) -> Callable[[AsyncCommand], Command]:
    """Turn `async def cmd(args, rt)` into a command: one runtime per call, so each body holds only its own work."""
    def wrap(body: AsyncCommand) -> Command:
        def command(args: argparse.Namespace, settings: Settings) -> int:
            return _run(settings, lambda rt: body(args, rt), deliver=deliver, migrate=migrate)

        return command

    return wrap


@_in_runtime()
async def cmd_migrate(args: argparse.Namespace, rt: Runtime) -> int:
    from fediverse.db.migrate import current_revision

    print(f"database at revision {await current_revision(rt.engine)}")
    return 0


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    """Reads the password before the runtime starts, so it is not a plain `_in_runtime` body."""
    from fediverse.services.accounts import add_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None

    async def run(rt: Runtime) -> int:
        user = await add_user(rt, args.username, role=args.role, password=password, display_name=args.name,
                              summary=args.bio, manually_approves_followers=args.locked)
        print(f"created {user.role} @{user.account.username}@{rt.uris.domain}  {user.account.uri}")
        return 0

    return _run(settings, run)


@_in_runtime()
async def cmd_user_list(args: argparse.Namespace, rt: Runtime) -> int:
    from fediverse.db import accounts as account_db

    async with rt.sessions() as session:
        users = await account_db.list_local_users(session, include_pending=True)
    for user in users:
        pending = "" if user.approved else "  (waiting for approval)"
        print(f"{user.account.username:<30} {user.role:<10} {user.account.uri}{pending}")
    print(f"{len(users)} account(s)")
    return 0


@_in_runtime()
async def cmd_user_show(args: argparse.Namespace, rt: Runtime) -> int:
    from fediverse.db import follows as follow_db

    async with rt.sessions() as session:
        user = await require_local_user(session, args.username)
        account = user.account
        followers = await follow_db.count(session, followee_id=account.id)
        following = await follow_db.count(session, follower_id=account.id)
        pending = len(await follow_db.pending_requests(session, account.id))
    print(f"@{account.username}@{rt.uris.domain}\n  id: {account.uri}\n  role: {user.role}\n"
          f"  name: {account.display_name}\n  locked: {account.manually_approves_followers}\n"
          f"  followers: {followers}  following: {following}  pending requests: {pending}")
    return 0


def _follow_command(action: str) -> Command:
    @_in_runtime(deliver=True)
    async def command(args: argparse.Namespace, rt: Runtime) -> int:
        from fediverse.services import following

        result = await following.as_user(rt, args.username, getattr(following, action), args.acct)
        state = f" ({result.state})" if result is not None and hasattr(result, "state") else ""
        print(f"{action}: @{args.username} -> {args.acct}{state}")
        return 0

    return command


cmd_follow = _follow_command("follow")
cmd_unfollow = _follow_command("unfollow")
cmd_approve = _follow_command("approve")
cmd_reject = _follow_command("reject")


@_in_runtime()
async def cmd_requests(args: argparse.Namespace, rt: Runtime) -> int:
    from fediverse.db import follows as follow_db

    async with rt.sessions() as session:
        user = await require_local_user(session, args.username)
        pending = await follow_db.pending_requests(session, user.account_id)
    for edge in pending:
        print(f"{edge.follower.handle:<50} {edge.follower.uri}")
    print(f"{len(pending)} request(s)")
    return 0


@_in_runtime(migrate=False)
async def cmd_doctor(args: argparse.Namespace, rt: Runtime) -> int:
    from fediverse.doctor import diagnose

    problems = await diagnose(rt)
    for line in problems.report:
        print(line)
    return 1 if problems.failed else 0


def _run(settings: Settings, body: Callable[[Runtime], Awaitable[int]], *, deliver: bool = False, migrate: bool = True) -> int:
    async def main() -> int:
        async with _runtime(settings, deliver=deliver, migrate=migrate) as rt:
            return await body(rt)

    return asyncio.run(main())


@asynccontextmanager
async def _runtime(settings: Settings, *, deliver: bool, migrate: bool) -> AsyncIterator[Runtime]:
    """A runtime for one CLI command; with `deliver`, the jobs it queued are sent before it exits."""
    from fediverse.db.migrate import upgrade
    from fediverse.jobs.backends import make_backend
    from fediverse.services.accounts import ensure_instance_actor

    rt = create_runtime(settings)
    backend = None
    try:
        if migrate:
            await upgrade(rt.engine)
            async with rt.sessions() as session:
                await ensure_instance_actor(rt, session)
        if deliver:
            backend = make_backend(rt)
            rt.attach_backend(backend)
            await backend.start()
        yield rt
        if backend is not None and hasattr(backend, "drain"):
            try:
                await backend.drain(timeout=60)
            except TimeoutError:
                print("some deliveries are still pending; `fediverse serve` will retry them", file=sys.stderr)
    finally:
        if backend is not None:
            await backend.stop()
        await rt.close()


if __name__ == "__main__":
    raise SystemExit(main())
