"""fediverse: a federated ActivityPub home for artists' work."""

__version__ = "0.1.0"
