"""The licences an artist can pick: Creative Commons 4.0 and "all rights reserved", each a standard URI."""

from __future__ import annotations

from fediverse.consent.vocab import IN_COPYRIGHT as ALL_RIGHTS_RESERVED  # what "no licence" is stated as, too

LICENCES: list[tuple[str, str]] = [
    (ALL_RIGHTS_RESERVED, "All rights reserved"),
    ("https://creativecommons.org/licenses/by-nc-nd/4.0/", "CC BY-NC-ND 4.0 (credit, non-commercial, no changes)"),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "CC BY-NC-SA 4.0 (credit, non-commercial, share alike)"),
    ("https://creativecommons.org/licenses/by-nc/4.0/", "CC BY-NC 4.0 (credit, non-commercial)"),
    ("https://creativecommons.org/licenses/by-nd/4.0/", "CC BY-ND 4.0 (credit, no changes)"),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC BY-SA 4.0 (credit, share alike)"),
    ("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0 (credit)"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 (public domain dedication)"),
]
LICENCE_URLS = {url for url, _label in LICENCES}


def licence_label(url: str | None) -> str:
    if not url:
        return "not stated"
    return dict(LICENCES).get(url, url)
