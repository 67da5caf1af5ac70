"""The parsed signature handed from ``read_signature`` to ``verify_request``."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Enough for any real signer; bounds the signing string a hostile list can make us build.
MAX_COVERED = 32


@dataclass(frozen=True)
class SignedRequestInfo:
    """What ``read_signature`` learnt; opaque to callers apart from ``key_id``."""

    scheme: Literal["cavage", "rfc9421"]
    key_id: str
    created: datetime
    expires: datetime | None = None
    algorithm: str | None = None
    covered: tuple[str, ...] = ()
    signature: bytes = field(default=b"", repr=False)
    # cavage: signed values of (created)/(expires); rfc9421: unused.
    pseudo_values: tuple[tuple[str, str], ...] = ()
    # rfc9421: the serialised "@signature-params" line; cavage: unused.
    signature_params: str = ""
