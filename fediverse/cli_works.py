"""`fediverse post` and `fediverse import`: artworks from the command line, one work or a whole folder."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fediverse.config import Settings
from fediverse.errors import FediverseError, Invalid
from fediverse.services.accounts import require_local_user

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"}
SIDECAR_KEYS = {"title", "alt", "description", "tags", "license", "visibility", "sensitive", "cw", "ai_generated", "focal_point",
                "as_uploaded"}


def add_commands(sub: Any, run: Callable[..., int]) -> None:
    post = sub.add_parser("post", help="publish a work: one or more images, each with alt text")
    post.add_argument("username")
    post.add_argument("--image", action="append", required=True, metavar="FILE", help="an image (repeat for more)")
    post.add_argument("--alt", action="append", default=[], metavar="TEXT", help="alt text, one per --image, in order")
    post.add_argument("--title", default="")
    post.add_argument("--text", default="", help="description: plain text, links, #tags, @user@domain mentions")
    post.add_argument("--sensitive", action="store_true", help="hide the images behind a warning")
    post.add_argument("--cw", default="", metavar="TEXT", help="content warning text (implies --sensitive)")
    post.add_argument("--license", metavar="URL", help="licence URL (default: the artist's default licence)")
    post.add_argument("--visibility", choices=["public", "unlisted", "followers"], default="public")
    post.add_argument("--ai-generated", action="store_true", help="label the work as AI-generated")
    post.add_argument("--tag", action="append", default=[], help="extra tag (repeatable)")
    post.add_argument("--as-uploaded", action="store_true",
                      help="publish your own file as the large image (Glaze/Nightshade-safe: image data untouched, "
                           "metadata such as GPS removed); JPEG, PNG or WebP within the large size limits")
    post.set_defaults(handler=lambda args, settings: cmd_post(args, settings, run))

    imp = sub.add_parser("import", help="import a portfolio folder: each image one work, with optional <image>.json sidecar")
    imp.add_argument("username")
    imp.add_argument("directory")
    imp.add_argument("--visibility", choices=["public", "unlisted", "followers"], default="public",
                     help="visibility for works whose sidecar does not say")
    imp.set_defaults(handler=lambda args, settings: cmd_import(args, settings, run))


def cmd_post(args: argparse.Namespace, settings: Settings, run: Callable[..., int]) -> int:
    from fediverse.services.works import ImageUpload, WorkInput

    if len(args.alt) != len(args.image):
        print(f"error: give one --alt per --image ({len(args.image)} images, {len(args.alt)} alt texts)", file=sys.stderr)
        return 1
    uploads = []
    for path, alt in zip(args.image, args.alt):
        data = _read(Path(path))
        if isinstance(data, str):
            print(f"error: {data}", file=sys.stderr)
            return 1
        uploads.append(ImageUpload(data=data, alt_text=alt, filename=Path(path).name))
    work_input = WorkInput(title=args.title, description=args.text, content_warning=args.cw, sensitive=args.sensitive,
                           license_url=args.license, visibility=args.visibility, ai_generated=args.ai_generated,
                           extra_tags=tuple(args.tag), as_uploaded=args.as_uploaded)

    async def body(rt: Any) -> int:
        from fediverse.services.works import create_work

        async with rt.sessions() as session:
            user = await require_local_user(session, args.username)
            work = await create_work(rt, session, user, work_input, uploads)
        print(f"posted {rt.uris.work_page(user.account.username, work.public_id)} ({len(uploads)} image(s))")
        return 0

    return run(settings, body, deliver=True)


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def plan_import(directory: Path, default_visibility: str) -> tuple[list[tuple[Path, dict[str, Any]]], ImportReport]:
    """Pair each image with its sidecar; files that cannot be imported are reported with the reason."""
    report = ImportReport()
    if not directory.is_dir():
        raise Invalid(f"{directory} is not a directory")
    plan = []
    for path in sorted(directory.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix.lower() == ".json":
            if not any(path.with_suffix(s).exists() or path.with_suffix(s.upper()).exists() for s in IMAGE_SUFFIXES):
                report.skipped.append((path.name, "sidecar without an image of the same name"))
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            report.skipped.append((path.name, f"not an image file ({path.suffix or 'no extension'})"))
            continue
        meta = {"visibility": default_visibility}
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            try:
                loaded = json.loads(sidecar.read_text(encoding="utf-8"))
                if not isinstance(loaded, dict):
                    raise ValueError("top level must be an object")
                unknown = set(loaded) - SIDECAR_KEYS
                if unknown:
                    raise ValueError(f"unknown keys {', '.join(sorted(unknown))}")
            except (ValueError, UnicodeDecodeError) as exc:
                report.skipped.append((path.name, f"sidecar {sidecar.name} is not valid: {exc}"))
                continue
            meta |= loaded
        plan.append((path, meta))
    return plan, report


def cmd_import(args: argparse.Namespace, settings: Settings, run: Callable[..., int]) -> int:
    from rich.progress import Progress

    from fediverse.services.works import ImageUpload, WorkInput

    try:
        plan, report = plan_import(Path(args.directory), args.visibility)
    except Invalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    async def body(rt: Any) -> int:
        from fediverse.db import accounts as account_db
        from fediverse.services.works import create_work

        async with rt.sessions() as session:
            user = await require_local_user(session, args.username)
        with Progress(transient=False) as progress:
            task = progress.add_task(f"importing into @{user.account.username}", total=len(plan))
            for path, meta in plan:
                data = _read(path)
                try:
                    if isinstance(data, str):
                        raise Invalid(data)
                    focal = meta.get("focal_point") or (0.0, 0.0)
                    upload = ImageUpload(data=data, alt_text=str(meta.get("alt", "")), filename=path.name,
                                         focal_point=(float(focal[0]), float(focal[1])),
                                         ai_generated=meta.get("ai_generated") is True)
                    work_input = WorkInput(
                        title=str(meta.get("title", path.stem)), description=str(meta.get("description", "")),
                        content_warning=str(meta.get("cw", "")), sensitive=meta.get("sensitive") is True,
                        license_url=meta.get("license"), visibility=str(meta.get("visibility")),
                        ai_generated=meta.get("ai_generated") is True, extra_tags=tuple(map(str, meta.get("tags", []))),
                        as_uploaded=meta.get("as_uploaded") is True,
                    )
                    async with rt.sessions() as session:
                        user = await account_db.local_user(session, args.username)
                        assert user is not None
                        await create_work(rt, session, user, work_input, [upload])
                    report.imported.append(path.name)
                except (FediverseError, TypeError, ValueError, IndexError) as exc:
                    report.skipped.append((path.name, str(exc)))
                progress.advance(task)
        print(f"imported {len(report.imported)} work(s), skipped {len(report.skipped)}")
        for name, reason in report.skipped:
            print(f"  skipped {name}: {reason}")
        return 0

    return run(settings, body, deliver=True)


def _read(path: Path) -> bytes | str:
    """The file's bytes, or a sentence saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return f"{path}: no such file"
    except IsADirectoryError:
        return f"{path}: is a directory"
    except OSError as exc:
        return f"{path}: {exc.strerror}"
