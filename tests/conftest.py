from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import AsyncIterator

import pytest

from fediverse.services import accounts
from tests import components
from tests.support import AccountKeys, Network

# Real payloads from other servers, copied from shared/fixtures (sources in tests/fixtures/SOURCES.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _account_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts get pre-made keys, distinct within the test (tests/support.py: AccountKeys)."""
    monkeypatch.setattr(accounts, "generate_private_key", AccountKeys())


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A database or Redis URL that is set must answer: the run was asked to cover it."""
    problems = []
    if components.PG_URL:
        from tests.support import _pg_admin

        try:
            asyncio.run(_pg_admin("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the message
            problems.append(f"PostgreSQL at FEDIVERSE_TEST_DATABASE_URL does not answer ({exc}); "
                            "start it (pg_ctlcluster <version> main start) or unset the variable")
    if components.REDIS_URL:
        import redis

        client = redis.Redis.from_url(components.REDIS_URL, socket_timeout=3)
        try:
            client.ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at FEDIVERSE_TEST_REDIS_URL does not answer ({exc}); "
                            "start it (redis-server) or unset the variable")
        finally:
            client.close()
    if problems:
        raise pytest.UsageError("\n".join(problems))


@pytest.hookimpl(tryfirst=True)  # before skipif marks are evaluated: under CI they must not skip silently
def pytest_runtest_setup(item: pytest.Item) -> None:
    """`requires(component)` and `redis` marks: skip when the component is missing, fail instead under CI."""
    needed = [str(mark.args[0]) for mark in item.iter_markers("requires")]
    if item.get_closest_marker("redis") is not None:
        needed.append("redis")
    for component in needed:
        why = components.missing(component)
        if why is None:
            continue
        if components.under_ci() and not components.by_design(component):
            pytest.fail(f"CI=true allows no skips, and {component} is missing: {why}", pytrace=False)
        pytest.skip(why)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly, at the end of the run, what was skipped and why (grouped by reason)."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.section("what this run did not test", sep="!", yellow=True, bold=True)
    for reason, count in reasons.most_common():
        terminalreporter.line(f"SKIPPED {count} test{'s' if count > 1 else ''}: {reason}", yellow=True, bold=True)
