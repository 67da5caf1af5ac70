from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.support import Network

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()
