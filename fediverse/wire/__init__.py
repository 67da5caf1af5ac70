"""Wire-level building blocks that both ``activitypub`` and ``consent`` read with (below both layers)."""
