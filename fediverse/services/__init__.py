"""Local use cases for the CLI, web panel and API: accounts, following, moderation ..."""
