"""`fediverse consent …`: tools around the artists' AI-training / TDM consent signals.

`fediverse consent audit URL_OR_ACCT` crawls an actor (ours or remote) the way a scraper would and prints, per
item, which consent signals are present and which are missing (services/consent_audit/ says what is expected
where).
Exit status: 0 every signal of ours is there, 1 something of ours lacks one (or contradicts it), 2 the actor
could not be audited.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from fediverse.config import Settings

STATUS_STYLE = {"missing": "red", "conflict": "bold red", "invalid": "magenta"}


def add_commands(sub: Any, run: Callable[..., int]) -> None:
    consent = sub.add_parser("consent", help="AI-training / TDM consent tools (audit)")
    actions = consent.add_subparsers(metavar="ACTION")
    audit = actions.add_parser(
        "audit", help="crawl an actor and report which consent signals each surface carries",
        description="Crawl an actor (actor URL, user@domain, or a local username): actor document, outbox pages, "
                    "featured, followers and following (and their pages), objects with their likes / shares / "
                    "replies collections, attachments, media (headers and embedded XMP), HTML pages and site files "
                    "(robots.txt, tdmrep.json, ai.txt, TDM policy). The rights statement (the licence, or \"In "
                    "Copyright\" when none is chosen) is checked on every surface. Exit 1 when anything of ours "
                    "lacks a signal.")
    audit.add_argument("target", metavar="URL_OR_ACCT")
    audit.add_argument("--max-pages", type=int, default=5, help="outbox pages to follow (default 5)")
    audit.add_argument("--max-items", type=int, default=40, help="objects to audit (default 40)")
    audit.add_argument("--max-media", type=int, default=40, help="media URLs to audit (default 40)")
    audit.add_argument("--max-bytes", type=int, default=1_048_576, help="cap on JSON/HTML/text bodies")
    audit.add_argument("--max-media-bytes", type=int, default=16 * 1_048_576, help="media read this far for XMP")
    audit.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    audit.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole audit (default 300)")
    audit.add_argument("--user-agent", help="User-Agent to send (e.g. an AI crawler's, to see what it is served)")
    audit.add_argument("--strict", action="store_true", help="remote items missing signals fail the audit too")
    audit.add_argument("--problems", action="store_true", help="list only items with something missing")
    audit.add_argument("--json", action="store_true", help="print the report as JSON")
    audit.set_defaults(handler=lambda args, settings: cmd_audit(args, settings, run))


def cmd_audit(args: argparse.Namespace, settings: Settings, run: Callable[..., int]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from fediverse.services.consent_audit import AuditLimits, as_uploaded_paths, audit
    from fediverse.services.consent import instance_record

    limits = AuditLimits(max_pages=args.max_pages, max_items=args.max_items, max_media=args.max_media,
                         max_bytes=args.max_bytes, max_media_bytes=args.max_media_bytes, timeout=args.timeout,
                         deadline=args.deadline, max_redirects=settings.federation.max_redirects)
    found: list[Any] = []

    async def body(rt: Any) -> int:
        try:  # which of our renditions are as uploaded (Glaze-safe); an audit of a remote actor needs no database
            async with rt.sessions() as session:
                paths = await as_uploaded_paths(session)
        except (OSError, SQLAlchemyError):
            paths = frozenset()
        found.append(await audit(
            args.target, our_hosts=[settings.instance.domain], our_scheme=settings.instance.scheme,
            default=instance_record(settings), allow_private=settings.federation.allow_private_addresses,
            limits=limits, user_agent=args.user_agent, as_uploaded=paths,
        ))
        return 0

    run(settings, body, migrate=False)
    report = found[0]
    if args.json:
        import orjson

        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print_report(report, problems_only=args.problems, strict=args.strict)
    return report.exit_code(args.strict)


def print_report(report: Any, *, problems_only: bool = False, strict: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160")), highlight=False)
    table = Table(title=f"Consent audit of {report.actor or report.target}", show_lines=False, expand=False)
    table.add_column("Item", no_wrap=True)
    table.add_column("URL", overflow="fold", max_width=60)
    table.add_column("Ours", no_wrap=True)
    table.add_column("Present", overflow="fold")
    table.add_column("Missing / wrong", overflow="fold")
    for item in report.items:
        if problems_only and not (item.problems or item.error):
            continue
        present = ", ".join(c.label() for c in item.checks if c.status == "present")
        wrong = Text()
        if item.error:
            wrong.append(f"error: {item.error}", style="bold red" if item.ours or strict else "yellow")
        for check in item.problems:
            if wrong:
                wrong.append("; ")
            detail = f" ({check.value})" if check.value and check.status != "missing" else ""
            style = STATUS_STYLE[check.status] if item.ours or strict else "yellow"
            wrong.append(f"{check.label()}{'' if check.status == 'missing' else ' ' + check.status}{detail}",
                         style=style)
        table.add_row(item.kind, item.url, "yes" if item.ours else "", present, wrong)
    console.print(table)
    for note in report.incomplete:
        console.print(f"[yellow]incomplete:[/] {note}")
    ours = [i for i in report.items if i.ours]
    failing = [i for i in report.items if i.failed(strict)]
    if report.actor is None:
        console.print("[bold red]could not audit the actor[/]")
    elif failing:
        console.print(f"[bold red]{len(failing)} of {len(ours)} item(s) of ours lack consent signals[/]")
    else:
        console.print(f"[green]every consent signal present on {len(ours)} item(s) of ours[/]"
                      if ours else "remote actor: reported only (use --strict to fail on missing signals)")
