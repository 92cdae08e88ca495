"""Exactly-once mode on the real broker: one committed output per input, zombies fenced."""

import asyncio
import base64
import json
import random
from pathlib import Path

import pytest

from service.bootstrap import build_service
from service.config import KafkaSettings
from service.stream.guarantees import FENCED
from service.stream.service import running
from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.running_service import PROCESSOR

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"


def _sample_inputs(copies: int) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    lines = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    inputs: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []
    for copy in range(copies):
        for raw in lines:
            document = json.loads(raw)
            document["event_id"] = f"{document['event_id']}-{copy}"
            inputs.append(
                (document["claim"]["claim_id"].encode(), json.dumps(document).encode(), [])
            )
    return inputs


async def test_read_committed_sees_exactly_one_output_per_input_poison_included(
    kafka_bootstrap: str,
) -> None:
    settings = service_settings(
        unique("eos"), processing_guarantee="exactly_once", instance_id="one"
    )
    await create_service_topics(kafka_bootstrap, settings)
    huge = b"\x00not json" + random.Random(5).randbytes(900_000)  # its dead letter is > 1 MiB
    inputs = [*_sample_inputs(20), (b"poison", b"\x00not json", []), (b"huge", huge, [])]
    service = build_service(KafkaSettings(bootstrap_servers=kafka_bootstrap), settings, PROCESSOR)
    async with running(service):
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        outputs = await collect(
            kafka_bootstrap,
            output_topics(settings),
            expected=len(inputs),
            timeout=60,
            settle=2.0,
            isolation_level="read_committed",
        )
    assert len(outputs) == len(inputs)
    letters = [json.loads(r.value) for r in outputs if r.topic == settings.topic_dlq]
    assert len(letters) == 2
    assert huge in {base64.b64decode(letter["original_base64"]) for letter in letters}


async def test_a_second_instance_with_the_same_id_fences_the_zombie(kafka_bootstrap: str) -> None:
    settings = service_settings(
        unique("zombie"),
        processing_guarantee="exactly_once",
        instance_id="same",
        session_timeout_ms=6000,
    )
    await create_service_topics(kafka_bootstrap, settings)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    zombie = build_service(kafka, settings, PROCESSOR)
    await zombie.start()
    zombie_loop = asyncio.create_task(zombie.run())
    successor = build_service(kafka, settings, PROCESSOR)
    inputs = _sample_inputs(30)
    try:
        # init_transactions with the same id bumps the epoch: the zombie is fenced
        async with running(successor):
            await produce(kafka_bootstrap, settings.topic_submitted, inputs)
            outputs = await collect(
                kafka_bootstrap,
                output_topics(settings),
                expected=len(inputs),
                timeout=90,
                settle=2.0,
                isolation_level="read_committed",
            )
        with pytest.raises(FENCED):
            await asyncio.wait_for(zombie_loop, timeout=60)
    finally:
        await zombie.stop()
    sources = [json.loads(r.value or b"")["source_event_id"] for r in outputs]
    assert sorted(sources) == sorted(json.loads(raw)["event_id"] for _, raw, _ in inputs)
    assert zombie.health.ready()[0] is False
