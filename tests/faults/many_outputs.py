"""Records with many outputs and a changing topology, on a real broker and real `claim-edit
serve` processes (issue: one record, many outputs):

- an 837 whose 277CA the broker refuses for good: every claim keeps its outcome, the refusal
  is dead-lettered alone, and the dead-letter topic does not grow with the square of it;
- a big 837 beside JSON claims: the JSON claims are answered while it is being edited;
- partitions added to the input topic, an input topic missing at start, and one deleted and
  created again: picked up within the metadata refresh, readiness 503 while it is missing;
- two exactly-once instances on one host with no instance id: they do not fence each other.
"""

import asyncio
import json
import signal
import statistics
import time
from collections import Counter
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from tests.faults.scenarios import _await_coverage, claims, env_for, isolation, keyed
from tests.faults.tally import Tally, count
from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    create_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess
from tests.x12_837 import interchange_837, numbered_sample_claims

BIG_RECORD = 8 * 1024 * 1024


def _x12_env(prefix: str) -> dict[str, str]:
    return {"CLAIM_EDIT_TOPIC_X12": f"{prefix}.x12", "CLAIM_EDIT_TOPIC_277CA": f"{prefix}.277ca"}


def _per_claim(records: list) -> Counter[str]:  # type: ignore[type-arg]
    documents = (json.loads(r.value) for r in records)
    return Counter(
        str(d.get("claim_id")) for d in documents if d.get("event_type") != "claim.dead_letter"
    )


async def refused_answer(bootstrap: str, workdir: Path, guarantee: str, *, claims_: int) -> Tally:
    """The 277CA topic takes at most 20,000 bytes a record; the 837's 277CA is larger."""
    prefix = unique(f"refused277-{guarantee[:3]}")
    settings = service_settings(prefix)
    topics = _x12_env(prefix)
    await create_service_topics(bootstrap, settings)
    await create_topics(bootstrap, [topics["CLAIM_EDIT_TOPIC_X12"]], partitions=1)
    limit = {"max.message.bytes": "20000"}
    answers_topic = topics["CLAIM_EDIT_TOPIC_277CA"]
    await create_topics(bootstrap, [answers_topic], partitions=1, configs={answers_topic: limit})
    wanted = numbered_sample_claims(claims_, "RA")
    text = interchange_837(wanted, "837P").encode()
    tally = Tally(
        "an 837 whose 277CA is refused for good (topic limit 20,000 bytes)",
        guarantee,
        f"one 837 of {claims_} claims ({len(text)} bytes); 277CA topic max.message.bytes 20000",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap,
        settings,
        workdir / f"refused277-{guarantee}.log",
        **env_for(guarantee, "a"),
        **topics,
    ).start()
    await asyncio.to_thread(service.wait_ready)
    try:
        await produce(bootstrap, topics["CLAIM_EDIT_TOPIC_X12"], [(b"ISA-RA", text, [])])
        outputs = await collect(
            bootstrap,
            output_topics(settings),
            expected=claims_,
            timeout=180,
            isolation_level=isolation(guarantee),
            done=lambda records: len(_per_claim(records)) >= claims_,
            settle=3.0,
        )
        answers = await collect(
            bootstrap, [answers_topic], expected=0, timeout=5, isolation_level=isolation(guarantee)
        )
    finally:
        await asyncio.to_thread(service.terminate)
    per_claim = _per_claim(outputs)
    letters = [r for r in outputs if r.topic == settings.topic_dlq]
    tally.inputs = claims_
    tally.outputs = len(outputs) + len(answers)
    tally.lost = sum(1 for c in wanted if per_claim[str(c["claim_id"])] == 0)
    tally.duplicates = sum(n - 1 for n in per_claim.values() if n > 1)
    tally.dead_letters = len(letters)
    dlq_bytes = sum(len(r.value or b"") for r in letters)
    tally.notes.append(
        f"dead letters: {len(letters)} ({dlq_bytes} bytes, {dlq_bytes / len(text):.2f} x the "
        f"input); 277CA topic records: {len(answers)}"
    )
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


async def big_interchange_beside_json(
    bootstrap: str, workdir: Path, guarantee: str, *, claims_: int, json_claims: int
) -> Tally:
    """A big 837 is sent, then JSON claims at a steady pace while it is edited."""
    prefix = unique(f"big837-{guarantee[:3]}")
    settings = service_settings(prefix)
    topics = _x12_env(prefix)
    await create_service_topics(bootstrap, settings)
    big = {"max.message.bytes": str(BIG_RECORD)}  # a 5,000-claim 837 is ~2.3 MB
    await create_topics(
        bootstrap,
        list(topics.values()),
        partitions=2,
        configs={topics["CLAIM_EDIT_TOPIC_X12"]: big},
    )
    text = interchange_837(numbered_sample_claims(claims_, "BIG"), "837P").encode()
    inputs = claims(json_claims, "beside")
    tally = Tally(
        "JSON claims while a big 837 is edited",
        guarantee,
        f"one 837 of {claims_} claims, then {json_claims} JSON claims at ~20/s",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap,
        settings,
        workdir / f"big837-{guarantee}.log",
        **env_for(guarantee, "a"),
        **topics,
    ).start()
    await asyncio.to_thread(service.wait_ready)
    try:
        await produce(
            bootstrap,
            topics["CLAIM_EDIT_TOPIC_X12"],
            [(b"ISA-BIG", text, [])],
            max_request_size=BIG_RECORD,
        )
        await asyncio.sleep(1.0)  # the 837 is being edited
        items = keyed(inputs)
        for start in range(0, len(items), 5):
            await produce(bootstrap, settings.topic_submitted, items[start : start + 5])
            await asyncio.sleep(0.25)
        raw_ids = set(inputs)
        outputs = await collect(
            bootstrap,
            output_topics(settings),
            expected=0,
            timeout=600,
            isolation_level=isolation(guarantee),
            done=lambda records: len(_per_claim(records)) >= claims_ + json_claims,
            settle=2.0,
        )
        sent_at = await collect(
            bootstrap, [settings.topic_submitted], expected=json_claims, timeout=30
        )
        answers = await collect(
            bootstrap,
            [topics["CLAIM_EDIT_TOPIC_277CA"]],
            expected=1,
            timeout=30,
            isolation_level=isolation(guarantee),
        )
    finally:
        await asyncio.to_thread(service.terminate)
    produced = {json.loads(r.value)["event_id"]: r.timestamp for r in sent_at}
    latencies = sorted(
        r.timestamp - produced[source]
        for r in outputs
        if (source := json.loads(r.value).get("source_event_id")) in raw_ids and source in produced
    )
    per_claim = _per_claim(outputs)
    tally.inputs = json_claims + claims_
    tally.outputs = len(outputs) + len(answers)
    tally.lost = sum(1 for n in range(claims_) if per_claim[f"BIG-{n:03d}"] == 0) + (
        json_claims - len({json.loads(r.value).get("source_event_id") for r in outputs} & raw_ids)
    )
    tally.duplicates = sum(n - 1 for n in per_claim.values() if n > 1)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    tally.measured["json_p99_ms"] = p99
    if latencies:
        tally.notes.append(
            f"JSON latency (input to output timestamp): p50 {statistics.median(latencies):.0f} "
            f"ms, p99 {p99} ms, max {latencies[-1]} ms"
        )
    if answers and latencies:
        answered_at = min(r.timestamp for r in answers)
        first_input = min(produced.values())
        tally.notes.append(
            f"277CA written {answered_at - first_input} ms after the first JSON claim"
        )
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


async def partitions_added(bootstrap: str, workdir: Path, guarantee: str, *, total: int) -> Tally:
    """The input topic grows from 2 to 6 partitions while the service runs; records sent to
    the new partitions are edited within the metadata refresh (10 s by default)."""
    prefix = unique(f"grow-{guarantee[:3]}")
    settings = service_settings(prefix)
    await create_service_topics(bootstrap, settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([settings.topic_submitted])
        await asyncio.sleep(1.0)
        await create_topics(bootstrap, [settings.topic_submitted], partitions=2)
        inputs = claims(total, "grow")
        tally = Tally(
            "input partitions raised from 2 to 6 while running",
            guarantee,
            f"{total} claims sent to the 4 new partitions after the change",
        )
        started = time.monotonic()
        service = ServiceProcess(
            bootstrap, settings, workdir / f"grow-{guarantee}.log", **env_for(guarantee, "a")
        ).start()
        await asyncio.to_thread(service.wait_ready)
        try:
            await admin.create_partitions({settings.topic_submitted: NewPartitions(6)})
            changed = time.monotonic()
            await _to_new_partitions(bootstrap, settings.topic_submitted, inputs)
            outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=120)
            tally.recovery_seconds = round(time.monotonic() - changed, 1)
        finally:
            await asyncio.to_thread(service.terminate)
    finally:
        await admin.close()
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def _to_new_partitions(bootstrap: str, topic: str, inputs: dict[str, bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, metadata_max_age_ms=1000)
    await producer.start()
    try:
        for _ in range(50):  # the producer's metadata must know the new partitions
            if len(await producer.partitions_for(topic)) == 6:
                break
            await asyncio.sleep(0.2)
        pending = [
            await producer.send(topic, raw, key=key.encode(), partition=2 + n % 4)
            for n, (key, raw) in enumerate(inputs.items())
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def topic_missing_at_start(
    bootstrap: str, workdir: Path, guarantee: str, *, total: int
) -> Tally:
    """The service starts before its input topic exists: not ready until it does, then the
    topic's claims are edited within the metadata refresh."""
    prefix = unique(f"late-{guarantee[:3]}")
    settings = service_settings(prefix)
    await create_topics(bootstrap, output_topics(settings))
    inputs = claims(total, "late")
    tally = Tally(
        "input topic missing at start, created later",
        guarantee,
        f"service started with no input topic; the topic created 5 s later with {total} claims",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap,
        settings,
        workdir / f"late-{guarantee}.log",
        **env_for(guarantee, "a"),
        CLAIM_EDIT_METADATA_MAX_AGE_MS="5000",
    ).start()
    try:
        await asyncio.to_thread(service.wait_until, "/health/live")
        await asyncio.sleep(5.0)
        status, text = await asyncio.to_thread(service.get, "/health/ready")
        tally.notes.append(f"readiness while the topic was missing: {status} ({text.strip()})")
        tally.measured["ready_while_missing"] = status == 200
        await create_topics(bootstrap, [settings.topic_submitted], partitions=3)
        created = time.monotonic()
        await produce(bootstrap, settings.topic_submitted, keyed(inputs))
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=120)
        tally.recovery_seconds = round(time.monotonic() - created, 1)
    finally:
        await asyncio.to_thread(service.terminate)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def topic_recreated(bootstrap: str, workdir: Path, guarantee: str, *, total: int) -> Tally:
    """The input topic is deleted under a running service and created again: not ready while
    it is missing, then the new topic's claims are edited from its first offset (the group's
    committed offsets belonged to the old topic)."""
    prefix = unique(f"recreated-{guarantee[:3]}")
    settings = service_settings(prefix)
    await create_service_topics(bootstrap, settings)
    before, after = claims(total // 2, "before"), claims(total - total // 2, "after")
    tally = Tally(
        "input topic deleted and created again",
        guarantee,
        f"{len(before)} claims edited, the input topic deleted, created again 5 s later with "
        f"{len(after)} new claims",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap,
        settings,
        workdir / f"recreated-{guarantee}.log",
        **env_for(guarantee, "r"),
        CLAIM_EDIT_METADATA_MAX_AGE_MS="5000",
    ).start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(bootstrap, settings.topic_submitted, keyed(before))
        await _await_coverage(bootstrap, settings, before, guarantee, timeout=120)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([settings.topic_submitted])
        finally:
            await admin.close()
        await asyncio.sleep(8.0)  # beyond the metadata refresh
        status, text = await asyncio.to_thread(service.get, "/health/ready")
        tally.notes.append(f"readiness while the topic was deleted: {status} ({text.strip()})")
        tally.measured["ready_while_missing"] = status == 200
        await create_topics(bootstrap, [settings.topic_submitted], partitions=3)
        created = time.monotonic()
        await produce(bootstrap, settings.topic_submitted, keyed(after))
        outputs = await _await_coverage(
            bootstrap, settings, {**before, **after}, guarantee, timeout=180
        )
        tally.recovery_seconds = round(time.monotonic() - created, 1)
    finally:
        await asyncio.to_thread(service.terminate)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, {**before, **after}, set(), outputs)


async def two_instances_one_host(bootstrap: str, workdir: Path, *, total: int) -> Tally:
    """Two exactly-once processes on this host, neither given CLAIM_EDIT_INSTANCE_ID."""
    prefix = unique("samehost-exa")
    settings = service_settings(prefix)
    await create_service_topics(bootstrap, settings)
    inputs = claims(total, "samehost")
    tally = Tally(
        "two exactly-once instances on one host, no instance id",
        "exactly_once",
        f"two serve processes share the group; {total} claims",
    )
    env = {k: v for k, v in env_for("exactly_once", "x").items() if k != "CLAIM_EDIT_INSTANCE_ID"}
    started = time.monotonic()
    processes = [
        ServiceProcess(bootstrap, settings, workdir / f"samehost-{n}.log", **env).start()
        for n in range(2)
    ]
    try:
        for process in processes:
            await asyncio.to_thread(process.wait_ready)
        await produce(bootstrap, settings.topic_submitted, keyed(inputs))
        outputs = await _await_coverage(bootstrap, settings, inputs, "exactly_once", timeout=120)
        exited = [p.process.poll() for p in processes if p.process is not None]
        tally.notes.append(f"processes still running at the end: {exited.count(None)} of 2")
        tally.measured["exits"] = len(exited) - exited.count(None)
    finally:
        for process in processes:
            process.signal(signal.SIGTERM)
        for process in processes:
            await asyncio.to_thread(process.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)
