"""The single exception type of the signatures package."""


class SignatureError(Exception):
    """A request's signature is missing, malformed or does not verify.

    ``reason`` is a human-readable sentence meant for the 401 JSON body, so a
    remote admin can see exactly why we refused their request.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shown(value: object, limit: int = 64) -> str:
    """Quote a hostile value for a reason, short enough to log and return."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
