"""AI crawler detection from the maintained list (crawlers.txt, from ai-robots-txt/ai.robots.txt)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from fediverse.consent import ai_crawler_match, ai_crawler_tokens, is_ai_crawler
from fediverse.consent.crawlers import compile_matcher, parse_crawler_list


def test_the_list_is_the_documented_snapshot() -> None:
    tokens = ai_crawler_tokens()
    assert len(tokens) == 166  # ai.robots.txt robots.json, the snapshot described in consent.md §5
    for name in ("GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "Applebot-Extended",
                 "anthropic-ai", "ClaudeBot", "Claude-Web", "PerplexityBot", "Bytespider", "Amazonbot",
                 "Meta-ExternalAgent", "FacebookBot", "cohere-ai", "Diffbot", "ImagesiftBot", "img2dataset",
                 "LAIONDownloader", "Timpibot", "omgili", "DeepSeekBot", "TikTokSpider", "YandexAdditional"):
        assert name in tokens, name
    assert all(t == t.strip() and t for t in tokens)
    assert all(re.match(r"^\w.*\w$", t) for t in tokens)  # whole-word matching needs word characters at both ends


def test_data_file_has_a_source_note() -> None:
    text = resources.files("fediverse.consent").joinpath("crawlers.txt").read_text(encoding="utf-8")
    assert "ai-robots-txt/ai.robots.txt" in text and "MIT" in text and "0037a9e2" in text


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
         "GPTBot"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
         "ClaudeBot"),
        ("CCBot/2.0 (https://commoncrawl.org/faq/)", "CCBot"),
        ("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", "Bytespider"),
        ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
         "meta-externalagent"),
        ("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15 (Applebot/0.1)", "Applebot"),
        ("img2dataset", "img2dataset"),
        ("GPTBOT/1.0", "GPTBOT"),  # case-insensitive
    ],
)
def test_known_crawlers_are_detected(user_agent: str, token: str) -> None:
    assert is_ai_crawler(user_agent)
    assert ai_crawler_match(user_agent) == token


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.0 Mobile/15E148 Safari/604.1",
        "http.rb/5.2.0 (Mastodon/4.3.2; +https://mastodon.social/)",
        "Misskey/2024.11.0 (https://misskey.io)",
        "fediverse/0.1.0 (httpx; +https://example.social/)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "NotGPTBotAtAll", "XCCBot", "Baiduspider/2.0", "", None,
    ],
)
def test_browsers_peers_and_search_engines_are_not(user_agent: str | None) -> None:
    assert not is_ai_crawler(user_agent)


def test_bytes_and_huge_user_agents() -> None:
    assert is_ai_crawler(b"GPTBot/1.0")
    assert not is_ai_crawler(b"\xff\xfe garbage")
    assert not is_ai_crawler("x" * 1_000_000 + " GPTBot")  # only the first 2 KiB are looked at


def test_parse_and_compile_a_custom_list() -> None:
    tokens = parse_crawler_list("# comment\n\n  FooBot  \nbar.ai\n# GPTBot\n")
    assert tokens == ("FooBot", "bar.ai")
    matcher = compile_matcher(tokens)
    assert matcher.search("Mozilla (FooBot/1)") and matcher.search("bar.ai crawler")
    assert not matcher.search("barxai") and not matcher.search("GPTBot")
