"""The service on a real broker: same outcomes as `claim-edit check`, right topic/key/headers,
exactly one output per input, per-key order, poison dead-lettered intact."""

import asyncio
import base64
import json
import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import orjson

from benchmarks.corpus import corpus
from service.app.edit_event import Source
from tests.integration.kafka_helpers import (
    collect,
    headers_of,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.running_service import PROCESSOR, running_service

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"


def _without_clock(document: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in document.items() if k not in ("occurred_at", "source")}


async def test_every_sample_gets_the_outcome_check_gives_on_the_right_topic_key_and_headers(
    kafka_bootstrap: str,
) -> None:
    settings = service_settings(unique("samples"))
    events = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    inputs: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []
    for index, raw in enumerate(events):
        claim_id = json.loads(raw)["claim"]["claim_id"].encode()
        headers = [("correlation-id", b"corr-%d" % index)] if index % 2 == 0 else []
        inputs.append((claim_id, raw, headers))
    async with running_service(kafka_bootstrap, settings):
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        outputs = await collect(kafka_bootstrap, output_topics(settings), expected=len(inputs))
    assert len(outputs) == len(inputs)
    by_source = {json.loads(r.value)["source_event_id"]: r for r in outputs}
    now = datetime.now(UTC)
    for index, (key, raw, _) in enumerate(inputs):
        expected = PROCESSOR.process(raw, Source(), now)
        record = by_source[json.loads(raw)["event_id"]]
        topic = {
            "claim.enriched": settings.topic_enriched,
            "claim.rejected": settings.topic_rejected,
        }[expected.event_type]
        assert (record.topic, record.key) == (topic, key)
        assert _without_clock(json.loads(record.value)) == _without_clock(
            json.loads(expected.value)
        )
        received = headers_of(record)
        assert received["content-type"] == "application/json"
        assert received["event-type"] == expected.event_type
        assert received["schema-version"] == "1"
        assert received["source-event-id"] == json.loads(raw)["event_id"]
        assert received["correlation-id"] == (
            f"corr-{index}" if index % 2 == 0 else json.loads(raw)["event_id"]
        )


async def test_2000_mixed_events_over_6_partitions_one_output_each_in_key_order(
    kafka_bootstrap: str,
) -> None:
    settings = service_settings(unique("volume"))
    rng = random.Random(7)
    documents = corpus(2000, seed=11)
    keys = [f"CLM-KEY-{rng.randint(0, 299):03d}" for _ in documents]  # ~7 events per key
    inputs: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []
    for index, (document, key) in enumerate(zip(documents, keys, strict=True)):
        document["event_id"] = f"vol-{index:05d}"
        document["claim"]["claim_id"] = key
        inputs.append((key.encode(), orjson.dumps(document), []))
    async with running_service(kafka_bootstrap, settings):
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        outputs = await collect(
            kafka_bootstrap, output_topics(settings), expected=len(inputs), timeout=180
        )
    sources = [json.loads(r.value)["source_event_id"] for r in outputs]
    assert sorted(sources) == sorted(f"vol-{i:05d}" for i in range(2000))  # none lost, none twice
    assert {r.partition for r in outputs} == set(range(6))
    sent_order: dict[bytes, list[str]] = defaultdict(list)
    for sent_key, raw, _ in inputs:
        sent_order[sent_key].append(json.loads(raw)["event_id"])
    # Outputs of one key land in one partition of each output topic; merged by their offsets
    # within a topic they keep the input order.
    for topic in output_topics(settings):
        seen: dict[bytes, list[str]] = defaultdict(list)
        for record in sorted((r for r in outputs if r.topic == topic), key=lambda r: r.offset):
            assert record.key is not None
            seen[record.key].append(json.loads(record.value)["source_event_id"])
        for output_key, got in seen.items():
            expected_order = [e for e in sent_order[output_key] if e in set(got)]
            assert got == expected_order, output_key


async def test_poison_events_go_to_the_dlq_intact_and_good_ones_flow(kafka_bootstrap: str) -> None:
    settings = service_settings(unique("poison"))
    good = [orjson.dumps({**d, "event_id": f"good-{i}"}) for i, d in enumerate(corpus(60, seed=3))]
    poison = [
        b"\xff\xfe not json",
        b'{"event_type": "claim.submitted"}',
        b"[]",
        orjson.dumps({"claim": {"lines": "many"}}),
        b"",
    ]
    inputs: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []
    for index, raw in enumerate(good):
        inputs.append((b"K%d" % (index % 6), raw, []))
        if index % 12 == 0:
            inputs.append((b"K%d" % (index % 6), poison[(index // 12) % len(poison)], []))
    async with running_service(kafka_bootstrap, settings):
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        outputs = await collect(kafka_bootstrap, output_topics(settings), expected=len(inputs))
    letters = [json.loads(r.value) for r in outputs if r.topic == settings.topic_dlq]
    poisoned = [raw for _, raw, _ in inputs if not raw.startswith(b'{"event_id":"good')]
    assert len(outputs) == len(inputs)
    assert sorted(base64.b64decode(d["original_base64"]) for d in letters) == sorted(poisoned)
    for letter, record in zip(
        letters, (r for r in outputs if r.topic == settings.topic_dlq), strict=True
    ):
        assert letter["source"]["topic"] == settings.topic_submitted
        assert record.key == letter["source"]["key"].encode()
        assert headers_of(record)["event-type"] == "claim.dead_letter"
    good_sources = {json.loads(r.value).get("source_event_id") for r in outputs}
    assert {f"good-{i}" for i in range(len(good))} <= good_sources


async def test_an_event_near_the_brokers_message_limit_is_dead_lettered_whole(
    kafka_bootstrap: str,
) -> None:
    """900 KB fits the input topic's default limit (1 MB); its dead letter, base64 inside
    JSON, does not fit aiokafka's default request size. It must not block the partition."""
    settings = service_settings(unique("oversize"))
    huge = b"\x00not json" + random.Random(5).randbytes(900_000)
    good = orjson.dumps({**corpus(1, seed=9)[0], "event_id": "after-the-huge-one"})
    async with running_service(kafka_bootstrap, settings):
        await produce(
            kafka_bootstrap, settings.topic_submitted, [(b"K", huge, []), (b"K", good, [])]
        )
        outputs = await collect(kafka_bootstrap, output_topics(settings), expected=2, timeout=60)
    letters = [json.loads(r.value) for r in outputs if r.topic == settings.topic_dlq]
    assert len(letters) == 1
    assert base64.b64decode(letters[0]["original_base64"]) == huge
    assert any(json.loads(r.value).get("source_event_id") == "after-the-huge-one" for r in outputs)


async def test_a_standby_member_without_partitions_is_ready(kafka_bootstrap: str) -> None:
    """Two members, one partition: the one that got nothing is healthy, just idle."""
    from service.bootstrap import build_service
    from service.config import KafkaSettings
    from service.stream.service import running
    from tests.integration.kafka_helpers import create_topics, output_topics
    from tests.integration.running_service import PROCESSOR

    settings = service_settings(unique("standby"))
    await create_topics(
        kafka_bootstrap, [settings.topic_submitted, *output_topics(settings)], partitions=1
    )
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    first = build_service(kafka, settings, PROCESSOR)
    second = build_service(kafka, settings, PROCESSOR)
    async with running(first), running(second):
        for _ in range(100):
            if first.health.ready()[0] and second.health.ready()[0]:
                break
            await asyncio.sleep(0.2)
        answers = sorted([first.health.ready()[1], second.health.ready()[1]])
    assert answers == ["ready: 0 partition(s) assigned", "ready: 1 partition(s) assigned"]
