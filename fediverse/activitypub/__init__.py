"""Wire format, pure: vocabulary, JSON-LD contexts, parse (dict -> typed), render (typed -> dict), signatures."""
