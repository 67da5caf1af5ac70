"""Outbound network I/O: safe client, signed fetch + actor/key cache, fan-out, delivery, retry, domain health."""
