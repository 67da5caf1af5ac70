from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.support import Network

# Real payloads from other servers, copied from shared/fixtures (sources in tests/fixtures/SOURCES.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()
