"""Local plain text -> safe HTML (escaped, paragraphs and line breaks kept)."""

from __future__ import annotations

from markupsafe import Markup, escape


def plain_to_html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{Markup('<br>').join(escape(line) for line in p.strip().split(chr(10)))}</p>" for p in paragraphs)
