"""Remote HTML (posts, bios, profile fields of other servers) as it goes into our pages: always through the
one sanitiser (services.text.sanitize), on every page, whatever was stored.

Stored remote posts were sanitised at ingest already, so re-sanitising them on every render is pure cost (a
timeline of 40 posts pays it 40 times per view); but a row written some other way (an old version, a bug, a
hand-edited database) must still never reach a page raw. So the sanitiser's output is memoised by its input:
the same HTML always gives the same clean HTML, so a bounded LRU of recent inputs is exact (no invalidation
needed), and a page shown again costs a dictionary lookup per post. Very long inputs are cleaned each time
rather than kept, so the memo stays small (at most MEMO_SIZE entries of MEMO_MAX_CHARS).
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from fediverse.services.text import sanitize

MEMO_SIZE = 2048
MEMO_MAX_CHARS = 4096


@lru_cache(maxsize=MEMO_SIZE)
def _clean(html: str) -> Markup:
    return Markup(sanitize(html))


def remote_html(html: str | None) -> Markup:
    """Safe HTML of another server's text, ready for a template (empty for None)."""
    if not html:
        return Markup("")
    if len(html) > MEMO_MAX_CHARS:
        return Markup(sanitize(html))
    return _clean(html)
