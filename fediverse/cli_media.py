"""`fediverse media purge-remote`: delete cached copies of remote media (they are fetched again when needed).
`fediverse media restamp [USERNAME]`: write the current consent record into every work's image files now (after
an upgrade that changed what the XMP says, files stamped before still carry the old packet)."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from fediverse.config import Settings


def days(value: str) -> int:
    """argparse type: a whole number of days, 0 or more, with a message that says so."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: the number of days must be 0 or more")
    return number


def add_commands(sub: Any, run: Callable[..., int]) -> None:
    media = sub.add_parser("media", help="media files").add_subparsers(metavar="ACTION")
    purge = media.add_parser("purge-remote", help="delete cached remote media unused for a while "
                                                  "(default: [media] remote_cache_retention_days)")
    which = purge.add_mutually_exclusive_group()
    which.add_argument("--older-than", type=days, metavar="DAYS", help="unused for more than DAYS days")
    which.add_argument("--all", action="store_true", help="every cached remote file")
    purge.set_defaults(handler=lambda args, settings: cmd_purge_remote(args, settings, run))
    restamp = media.add_parser("restamp", help="write the current consent record (XMP) into the image files of "
                                               "every work, or of one artist's; files already current are skipped")
    restamp.add_argument("username", nargs="?", help="only this local artist's works")
    restamp.set_defaults(handler=lambda args, settings: cmd_restamp(args, settings, run))


def cmd_purge_remote(args: argparse.Namespace, settings: Settings, run: Callable[..., int]) -> int:
    from fediverse.services import remote_media

    older_than = None if args.all else (
        args.older_than if args.older_than is not None else settings.media.remote_cache_retention_days)

    async def body(rt: Any) -> int:
        purged = await remote_media.purge_unused(rt, older_than_days=older_than)
        scope = "every cached remote file" if older_than is None else f"unused for more than {older_than} days"
        print(f"purged {purged.files} cached remote files ({purged.bytes} bytes), {scope}")
        return 0

    return run(settings, body)


def cmd_restamp(args: argparse.Namespace, settings: Settings, run: Callable[..., int]) -> int:
    from fediverse.services import restamp

    async def body(rt: Any) -> int:
        ids = await restamp.live_work_ids(rt, args.username)
        done = [await restamp.restamp_work(rt, work_id) for work_id in ids]
        changed = done.count(restamp.RESTAMPED)
        print(f"re-stamped {changed} of {len(ids)} works ({len(ids) - changed} already carried the current record); "
              "followers get an Update with the new file addresses")
        return 0

    return run(settings, body)
