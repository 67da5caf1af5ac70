"""Starlette edge, thin: routes, content negotiation, federation endpoints, well-known, middleware."""
