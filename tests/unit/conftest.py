from tests.loopback import serve  # noqa: F401  (the loopback server fixture, for client tests)
