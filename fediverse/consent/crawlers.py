"""The maintained list of AI crawler user agents (``crawlers.txt``, from ai-robots-txt/ai.robots.txt, MIT).

Matching follows the upstream FAQ (issue 208): case-insensitive, whole words only, so "GPTBot" matches
"…; GPTBot/1.2; +https://openai.com/gptbot" but not "NotGPTBotAtAll".
"""

from __future__ import annotations

import functools
import re
from importlib import resources

DATA_FILE = "crawlers.txt"
MAX_USER_AGENT = 2048  # longer headers are matched on their first 2 KiB (bounded work per request)


def parse_crawler_list(text: str) -> tuple[str, ...]:
    """Tokens from the data file format: one per line, ``#`` comments and blank lines ignored, order kept."""
    tokens = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            tokens.append(line)
    return tuple(tokens)


@functools.cache
def ai_crawler_tokens() -> tuple[str, ...]:
    """Every token of the packaged list, in file order (upstream's exact spelling, duplicates by case kept)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_crawler_list(text)


def compile_matcher(tokens: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive whole-word alternation; longest tokens first so the longest name wins."""
    unique = sorted({t.lower() for t in tokens}, key=lambda t: (-len(t), t))
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in unique) + r")\b", re.IGNORECASE)


@functools.cache
def _matcher() -> re.Pattern[str]:
    return compile_matcher(ai_crawler_tokens())


def _text(user_agent: str | bytes | None) -> str:
    if user_agent is None:
        return ""
    if isinstance(user_agent, bytes):
        user_agent = user_agent.decode("latin-1")
    return user_agent[:MAX_USER_AGENT]


def ai_crawler_match(user_agent: str | bytes | None) -> str | None:
    """The listed token this User-Agent identifies as (as spelled in the header), or None."""
    m = _matcher().search(_text(user_agent))
    return m.group(0) if m else None


def is_ai_crawler(user_agent: str | bytes | None) -> bool:
    """Does this User-Agent header name an AI crawler or AI agent from the maintained list?"""
    return ai_crawler_match(user_agent) is not None
