"""Mastodon's domain-block CSV (Admin::ExportDomainBlocksController), both ways.

Exactly Mastodon's columns: `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`,
booleans as `true`/`false`. Import is all or nothing: every row is checked first and the first bad one is
named by its line number, so a half-imported blocklist never exists. A BOM and CRLF line ends are accepted
(spreadsheets write both). Private comments are never exported (Mastodon's export leaves them out too).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable

from fediverse.errors import Invalid
from fediverse.models import DOMAIN_SEVERITIES, DomainBlock

HEADER = ("#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate")
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000  # Mastodon's ROWS_PROCESSING_LIMIT
MAX_COMMENT = 1000
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


@dataclass(frozen=True)
class BlockInput:
    """One domain block as entered in the form or read from a CSV row."""

    domain: str
    severity: str = "suspend"
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False


def clean_domain(value: str) -> str:
    """A host name as stored: lower case, ASCII (IDNA), no scheme, port, path or wildcard; Invalid otherwise."""
    text = value.strip().lower().rstrip(".")
    if not text:
        raise Invalid("the domain is empty")
    if any(c in text for c in "/:@*?# \t") or len(text) > 253:
        raise Invalid(f"{value[:100]!r} is not a domain name (write it as example.com, without https:// or a path)")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid(f"{value[:100]!r} is not a valid domain name") from None
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise Invalid(f"{value[:100]!r} is not a valid domain name")
    return text


def check_block(data: BlockInput) -> BlockInput:
    """The same block with a cleaned domain; Invalid for a bad severity or over-long comments."""
    if data.severity not in DOMAIN_SEVERITIES:
        raise Invalid(f"severity must be one of {', '.join(DOMAIN_SEVERITIES)}, not {data.severity[:50]!r}")
    if len(data.public_comment) > MAX_COMMENT or len(data.private_comment) > MAX_COMMENT:
        raise Invalid(f"comments are limited to {MAX_COMMENT} characters")
    return BlockInput(clean_domain(data.domain), data.severity, data.reject_media, data.reject_reports,
                      data.public_comment.strip(), data.private_comment.strip(), data.obfuscate)


def _bool(value: str, column: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(f"{column} must be true or false, not {value[:50]!r}")


def parse_csv(data: bytes) -> list[BlockInput]:
    """Every row of a Mastodon blocklist export; Invalid naming the first bad line (nothing is returned then)."""
    if len(data) > MAX_CSV_BYTES:
        raise Invalid(f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the file is not UTF-8 text (export it from Mastodon as CSV)") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or [h.strip() for h in header][:1] != ["#domain"]:
            raise Invalid(f"line 1 must be Mastodon's header {','.join(HEADER)}")
        columns = [h.strip() for h in header]
        unknown = [c for c in columns if c not in HEADER]
        if unknown or len(set(columns)) != len(columns):
            raise Invalid(f"line 1: unexpected columns {', '.join(unknown) or 'repeated'}; "
                          f"Mastodon's header is {','.join(HEADER)}")
        blocks: list[BlockInput] = []
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(blocks) >= MAX_ROWS:
                raise Invalid(f"line {line}: more than {MAX_ROWS} blocks in one file")
            if len(row) > len(columns):
                raise Invalid(f"line {line}: {len(row)} fields, the header has {len(columns)}")
            cells = dict(zip(columns, row))
            try:
                block = check_block(BlockInput(
                    domain=cells.get("#domain", ""),
                    severity=cells.get("#severity", "suspend").strip().lower() or "suspend",
                    reject_media=_bool(cells.get("#reject_media", ""), "#reject_media"),
                    reject_reports=_bool(cells.get("#reject_reports", ""), "#reject_reports"),
                    public_comment=cells.get("#public_comment", ""),
                    obfuscate=_bool(cells.get("#obfuscate", ""), "#obfuscate"),
                ))
            except Invalid as exc:
                raise Invalid(f"line {line}: {exc}") from None
            if block.domain in seen:
                raise Invalid(f"line {line}: {block.domain} is listed twice")
            seen.add(block.domain)
            blocks.append(block)
    except csv.Error as exc:
        raise Invalid(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return blocks


def export_csv(blocks: Iterable[DomainBlock]) -> str:
    """The blocks in Mastodon's export format (public comments only), with LF line ends as Ruby's CSV writes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for block in blocks:
        writer.writerow([block.domain, block.severity, _flag(block.reject_media), _flag(block.reject_reports),
                         block.public_comment, _flag(block.obfuscate)])
    return out.getvalue()


def _flag(value: bool) -> str:
    return "true" if value else "false"
