"""GET /metrics in the Prometheus text format: queue depths, deliveries, inbox, moderation, caches, rate limits.

Access: with `metrics.token` set, only `Authorization: Bearer <token>` (compared in constant time; 401
otherwise); without a token, only clients on a loopback address (403 otherwise), so a fresh install exposes
nothing. Behind a reverse proxy on the same machine the client address is the one uvicorn's proxy_headers took
from X-Forwarded-For (see web/ratelimit.py), so outside visitors are not "loopback".

Database figures are read at scrape time (a few GROUP BY queries); counters (cache hits, rate-limit refusals,
requests) are this process's since it started.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fediverse.services.metrics import Snapshot, snapshot
from fediverse.web.context import runtime_of


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(request: Request) -> Response | None:
    token = runtime_of(request).settings.metrics.token
    if token:
        sent = request.headers.get("authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return PlainTextResponse("401: send the metrics token as 'Authorization: Bearer <token>'.\n", 401,
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return None
    if not _loopback(request):
        return PlainTextResponse("403: /metrics answers loopback clients only; set [metrics] token in "
                                 "instance.toml to scrape it from elsewhere.\n", 403)
    return None


class _Collector:
    def __init__(self, data: Snapshot, counters: dict[str, Any]) -> None:
        self.data = data
        self.counters = counters

    def collect(self) -> Iterator[Metric]:
        d = self.data
        jobs = GaugeMetricFamily("fediverse_jobs", "Job rows by kind and state", labels=["kind", "state"])
        for (kind, state), n in sorted(d.jobs.items()):
            jobs.add_metric([kind, state], n)
        yield jobs
        deliveries = GaugeMetricFamily("fediverse_deliveries", "Delivery jobs by state (queued split into "
                                       "pending and retrying)", labels=["state"])
        for state, n in d.deliveries.items():
            deliveries.add_metric([state], n)
        yield deliveries
        inbound = GaugeMetricFamily("fediverse_inbound_activities", "Received activities: backlog (waiting), "
                                    "held (quarantine), processed", labels=["state"])
        for state, n in d.inbound.items():
            inbound.add_metric([state], n)
        yield inbound
        yield GaugeMetricFamily("fediverse_inbound_backlog_oldest_seconds",
                                "Age of the oldest activity waiting to be processed", value=d.oldest_backlog_seconds)
        yield GaugeMetricFamily("fediverse_quarantine_held", "Activities held for review", value=d.inbound["held"])
        yield GaugeMetricFamily("fediverse_reports_open", "Open reports", value=d.open_reports)
        users = GaugeMetricFamily("fediverse_local_users", "Local accounts: active, or pending approval",
                                  labels=["state"])
        for state, n in d.users.items():
            users.add_metric([state], n)
        yield users
        yield GaugeMetricFamily("fediverse_remote_accounts", "Known remote accounts", value=d.remote_accounts)
        yield GaugeMetricFamily("fediverse_domain_blocks", "Domain blocks", value=d.domain_blocks)
        cache = self.counters.get("cache")
        if cache is not None:
            yield CounterMetricFamily("fediverse_response_cache_hits", "Response cache hits (this process)",
                                      value=cache.hits)
            yield CounterMetricFamily("fediverse_response_cache_misses", "Response cache misses (this process)",
                                      value=cache.misses)
        limiter = self.counters.get("limiter")
        if limiter is not None:
            refused = CounterMetricFamily("fediverse_rate_limit_rejections", "Requests refused with 429 "
                                          "(this process)", labels=["scope"])
            for scope in ("inbox_address", "inbox_domain", "inbox_actor", "web_ip", "web_account", "login", "signup"):
                refused.add_metric([scope], limiter.rejections.get(scope, 0))
            yield refused
        requests = self.counters.get("requests")
        if requests is not None:
            yield CounterMetricFamily("fediverse_http_requests", "HTTP requests seen (this process)", value=requests)


async def metrics(request: Request) -> Response:
    refused = refusal(request)
    if refused is not None:
        return refused
    rt = runtime_of(request)
    async with rt.sessions() as session:
        data = await snapshot(session)
    state = request.app.state
    web = getattr(state, "rate_limit_ip", None)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(data, {"cache": getattr(state, "response_cache", None), "limiter": rt.limiter,
                                        "requests": web.requests if web is not None else None}))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics)]
