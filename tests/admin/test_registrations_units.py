"""The pieces under the sign-up defences: zero-bit counting, the sliding window, e-mail domain matching."""

from __future__ import annotations

import pytest

from fediverse.errors import Invalid
from fediverse.services import email_blocks, signup_tokens
from fediverse.web.panel.ratelimit import LoginLimiter, WindowLimiter
from fediverse.web.panel.signup import limit_key


def test_leading_zero_bits() -> None:
    assert signup_tokens.leading_zero_bits(b"\x80" + b"\x00" * 31) == 0
    assert signup_tokens.leading_zero_bits(b"\x00\x0f\xff") == 12
    assert signup_tokens.leading_zero_bits(b"\x00\x00\x01") == 23
    assert signup_tokens.leading_zero_bits(b"\x00" * 32) == 256
    assert signup_tokens.pow_ok("anything", "", 0)  # off
    assert not signup_tokens.pow_ok("anything", "", 4)
    assert not signup_tokens.pow_ok("anything", "9" * 100, 1)  # oversized nonce


def test_window_limiter_counts_an_hour_and_follows_a_changed_limit() -> None:
    now = [1000.0]
    limiter = WindowLimiter(2, 3600, clock=lambda: now[0])
    assert limiter.retry_after("ip:a") is None
    limiter.record("ip:a")
    now[0] += 600
    limiter.record("ip:a")
    assert limiter.retry_after("ip:a") == 3000  # the first attempt leaves the window in 50 minutes
    assert limiter.retry_after("ip:b") is None
    now[0] += 3001
    assert limiter.retry_after("ip:a") is None
    limiter.limit = 1  # lowered from the panel: the attempt still in the window now blocks
    assert limiter.retry_after("ip:a") == 599
    login = LoginLimiter(3)
    assert login.per_minute == 3 and login.window == 60


def test_email_domains_and_subdomains() -> None:
    assert email_blocks.email_domain("Someone@Mail.Spam.Example") == "mail.spam.example"
    assert email_blocks.candidates("mail.spam.example") == ["mail.spam.example", "spam.example", "example"]
    for bad in ("no-at-sign", "two@@example.org", "a@", "a b@example.org", "a@exa mple.org"):
        with pytest.raises(Invalid):
            email_blocks.email_domain(bad)


def test_ipv6_addresses_are_limited_per_64() -> None:
    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("203.0.113.7") == "ip:203.0.113.7" == limit_key("::ffff:203.0.113.7")
    assert limit_key("unknown") == "ip:unknown"
