"""/metrics: Prometheus text with the figures of the database and of this process; loopback-only without a
token, bearer token only with one."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from fediverse.models import DEAD, QUEUED, InboundActivity, Job, LocalUser, utcnow
from tests.federation.helpers import make_user
from tests.support import Instance, Network


def client(instance: Instance, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=instance.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=instance.base)


def samples(text: str) -> dict[str, float]:
    """'name{label="v"}' -> value, parsed by prometheus_client's own parser (so the format is valid)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def test_metrics_from_loopback_show_queue_inbox_users_and_counters(network: Network) -> None:
    art = await network.add("art.test", spam={"requests_per_minute_per_ip": 3})
    await make_user(art, "alice")
    newbie = await make_user(art, "newbie")
    async with art.rt.sessions() as session:
        waiting = await session.get(LocalUser, newbie.account_id)
        assert waiting is not None
        waiting.approved = False  # a sign-up waiting for approval
        await session.commit()
    later = utcnow() + timedelta(hours=1)
    async with art.rt.sessions() as session:
        session.add_all([
            Job(kind="deliver", payload={}, domain="x.test", state=QUEUED, attempts=0, run_at=later),
            Job(kind="deliver", payload={}, domain="x.test", state=QUEUED, attempts=2, run_at=later),
            Job(kind="deliver", payload={}, domain="x.test", state=DEAD, attempts=16),
            InboundActivity(uri="https://x.test/1", type="Create", actor_uri="https://x.test/u", raw={}),
            InboundActivity(uri="https://x.test/2", type="Create", actor_uri="https://x.test/u", raw={},
                            quarantine_reason="link-only post"),
        ])
        await session.commit()
    async with client(art, "203.0.113.9") as outside:
        for _ in range(4):  # the fourth is refused by the per-address limit
            await outside.get("/@alice")
    async with client(art) as local:
        response = await local.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found['fediverse_deliveries{state="pending"}'] == 1
    assert found['fediverse_deliveries{state="retrying"}'] == 1
    assert found['fediverse_deliveries{state="dead"}'] == 1
    assert found['fediverse_jobs{kind="deliver",state="queued"}'] == 2
    assert found['fediverse_inbound_activities{state="backlog"}'] == 1
    assert found["fediverse_quarantine_held"] == 1
    assert found['fediverse_local_users{state="pending"}'] == 1
    assert found['fediverse_local_users{state="active"}'] >= 1
    assert found["fediverse_reports_open"] == 0 and found["fediverse_domain_blocks"] == 0
    assert found['fediverse_rate_limit_rejections_total{scope="web_ip"}'] == 1
    assert found["fediverse_http_requests_total"] >= 5
    assert "fediverse_response_cache_hits_total" in found and "fediverse_response_cache_misses_total" in found


async def test_without_a_token_other_addresses_are_refused(network: Network) -> None:
    art = await network.add("art.test")
    async with client(art, "198.51.100.7") as outside:
        refused = await outside.get("/metrics")
    assert refused.status_code == 403 and "loopback" in refused.text and "fediverse_" not in refused.text
    async with client(art, "::1") as local:
        assert (await local.get("/metrics")).status_code == 200


async def test_with_a_token_only_the_bearer_gets_in_from_anywhere(network: Network) -> None:
    art = await network.add("art.test", metrics={"token": "s3cret-token-value"})
    async with client(art) as local:
        missing = await local.get("/metrics")
        wrong = await local.get("/metrics", headers={"Authorization": "Bearer s3cret-token-valuX"})
        basic = await local.get("/metrics", headers={"Authorization": "Basic s3cret-token-value"})
    for answer in (missing, wrong, basic):
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        assert not re.search(r"^fediverse_", answer.text, re.M)
    async with client(art, "203.0.113.50") as outside:
        allowed = await outside.get("/metrics", headers={"Authorization": "Bearer s3cret-token-value"})
    assert allowed.status_code == 200 and "fediverse_deliveries" in allowed.text
