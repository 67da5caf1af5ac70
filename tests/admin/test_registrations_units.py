"""The pieces under the sign-up defences: zero-bit counting, the sliding window, e-mail domain matching."""

from __future__ import annotations

import pytest

from fediverse.errors import Invalid
from fediverse.services import email_blocks, signup_tokens
from fediverse.ratelimit import MemoryLimiter
from fediverse.web.panel.signup import limit_key
from tests.support import StepClock


def test_leading_zero_bits() -> None:
    assert signup_tokens.leading_zero_bits(b"\x80" + b"\x00" * 31) == 0
    assert signup_tokens.leading_zero_bits(b"\x00\x0f\xff") == 12
    assert signup_tokens.leading_zero_bits(b"\x00\x00\x01") == 23
    assert signup_tokens.leading_zero_bits(b"\x00" * 32) == 256
    assert signup_tokens.pow_ok("anything", "", 0)  # off
    assert not signup_tokens.pow_ok("anything", "", 4)
    assert not signup_tokens.pow_ok("anything", "9" * 100, 1)  # oversized nonce


async def test_the_hourly_sign_up_window_follows_a_changed_limit() -> None:
    clock = StepClock(7200.0)
    limiter = MemoryLimiter(clock)
    assert [await limiter.hit("signup", "ip:a", 2, window=3600) for _ in range(2)] == [None, None]
    clock.advance(600)
    assert await limiter.hit("signup", "ip:a", 2, window=3600) == 3000  # the window ends in 50 minutes
    assert await limiter.hit("signup", "ip:b", 2, window=3600) is None
    assert await limiter.hit("signup", "ip:a", 5, window=3600) is None  # raised from the panel: allowed again
    clock.advance(3000)
    assert await limiter.hit("signup", "ip:a", 1, window=3600) is None  # a new window
    assert limiter.rejections["signup"] == 1


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
