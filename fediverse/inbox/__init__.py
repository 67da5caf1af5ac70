"""Inbound activities: receive (limits, verify, key owner == actor, dedupe, store, 202), then dispatch by type."""
