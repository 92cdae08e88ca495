"""`claim-edit serve` as a process: restart mid-stream, clean shutdown, health, metrics, PHI."""

import asyncio
import json
import signal
from pathlib import Path

import orjson

from benchmarks.corpus import corpus
from tests.integration.kafka_helpers import (
    collect,
    covers,
    create_service_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess

CANARY_MEMBER = "PHI-CANARY-MEMBER-93XQ"
CANARY_BIRTH = "1931-02-29"


def canary_events(count: int, prefix: str) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    inputs: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []
    for index, document in enumerate(corpus(count, seed=5)):
        document["event_id"] = f"{prefix}-{index:05d}"
        document["claim"]["patient"]["member_id"] = CANARY_MEMBER
        inputs.append((document["claim"]["claim_id"].encode(), orjson.dumps(document), []))
    return inputs


async def test_killed_mid_stream_and_restarted_every_input_has_an_output(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = service_settings(unique("restart"), batch_max_records=50)
    await create_service_topics(kafka_bootstrap, settings)
    inputs = canary_events(1500, "restart")
    service = ServiceProcess(kafka_bootstrap, settings, tmp_path / "service.log").start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        await collect(kafka_bootstrap, output_topics(settings), expected=300, timeout=60)
        service.kill()  # SIGKILL: no shutdown, no final commit
        restarted = ServiceProcess(kafka_bootstrap, settings, tmp_path / "service.log").start()
        try:
            wanted = {f"restart-{i:05d}" for i in range(len(inputs))}
            outputs = await collect(
                kafka_bootstrap,
                output_topics(settings),
                expected=0,
                timeout=120,
                done=covers(wanted),
            )
        finally:
            restarted.signal(signal.SIGTERM)
            await asyncio.to_thread(restarted.wait)
    finally:
        service.kill()
    sources = {
        json.loads(r.value)["source_event_id"]: json.loads(r.value)["event_id"] for r in outputs
    }
    assert set(sources) == {f"restart-{i:05d}" for i in range(len(inputs))}
    by_source: dict[str, set[str]] = {}
    for record in outputs:
        document = json.loads(record.value)
        by_source.setdefault(document["source_event_id"], set()).add(document["event_id"])
    assert all(len(ids) == 1 for ids in by_source.values()), "a repeat carries another event_id"


async def test_sigterm_exits_0_after_committing_and_a_restart_repeats_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = service_settings(unique("sigterm"))
    await create_service_topics(kafka_bootstrap, settings)
    inputs = canary_events(300, "term")
    service = ServiceProcess(kafka_bootstrap, settings, tmp_path / "service.log").start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        await collect(kafka_bootstrap, output_topics(settings), expected=len(inputs))
        service.signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait) == 0
        again = ServiceProcess(kafka_bootstrap, settings, tmp_path / "again.log").start()
        try:
            await asyncio.to_thread(again.wait_ready)
            outputs = await collect(
                kafka_bootstrap, output_topics(settings), expected=len(inputs), settle=3.0
            )
        finally:
            again.signal(signal.SIGTERM)
            await asyncio.to_thread(again.wait)
    finally:
        service.kill()
    assert len(outputs) == len(inputs)


async def test_health_metrics_and_no_patient_data_in_logs_metrics_or_dead_letters(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = service_settings(unique("observe"))
    await create_service_topics(kafka_bootstrap, settings)
    inputs = canary_events(40, "observe")
    broken = {
        "event_id": "bad-1",
        "claim": {"patient": {"member_id": CANARY_MEMBER, "birth_date": CANARY_BIRTH}},
    }
    inputs.append((b"bad", orjson.dumps(broken), []))
    service = ServiceProcess(
        kafka_bootstrap, settings, tmp_path / "service.log", CLAIM_EDIT_LOG_LEVEL="DEBUG"
    ).start()
    try:
        await asyncio.to_thread(service.wait_until, "/health/live")
        await asyncio.to_thread(service.wait_ready)
        assert (await asyncio.to_thread(service.get, "/nope"))[0] == 404
        await produce(kafka_bootstrap, settings.topic_submitted, inputs)
        outputs = await collect(kafka_bootstrap, output_topics(settings), expected=len(inputs))
        status, metrics = await asyncio.to_thread(service.get, "/metrics")
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    finally:
        service.kill()
    assert status == 200
    assert 'claim_edit_outcomes_total{event_type="claim.dead_letter"} 1.0' in metrics
    assert "claim_edit_findings_total{" in metrics
    assert "claim_edit_processing_seconds_bucket" in metrics
    assert 'claim_edit_dead_letters_total{error_kind="schema_invalid"} 1.0' in metrics
    assert "claim_edit_consumer_lag{" in metrics
    logs = service.log_text()
    assert '"claim_id": "CLM-' in logs and '"partition":' in logs and '"offset":' in logs
    letter = next(json.loads(r.value) for r in outputs if r.topic == settings.topic_dlq)
    for text in (logs, metrics, json.dumps(letter["errors"])):
        assert CANARY_MEMBER not in text
        assert CANARY_BIRTH not in text


async def test_a_wrong_setting_fails_at_start_naming_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = service_settings(unique("badconf"))
    service = ServiceProcess(
        kafka_bootstrap, settings, tmp_path / "service.log", CLAIM_EDIT_HTTP_PORT="eighty"
    ).start()
    assert await asyncio.to_thread(service.wait) == 2
    assert "CLAIM_EDIT_HTTP_PORT" in service.log_text()


async def test_a_bad_tls_file_exits_2_with_one_line_naming_the_settings(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text(
        "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
    )
    settings = service_settings(unique("badtls"))
    service = ServiceProcess(
        kafka_bootstrap,
        settings,
        tmp_path / "service.log",
        KAFKA_SECURITY_PROTOCOL="SSL",
        KAFKA_SSL_CAFILE=str(garbage),
    ).start()
    assert await asyncio.to_thread(service.wait) == 2
    errors = [line for line in service.log_text().splitlines() if line.startswith("claim-edit:")]
    assert len(errors) == 1 and "KAFKA_SSL_CAFILE" in errors[0]
    assert "Traceback" not in service.log_text()


async def test_an_unreachable_broker_keeps_the_service_alive_and_not_ready(
    tmp_path: Path,
) -> None:
    settings = service_settings(unique("nobroker"))
    service = ServiceProcess("127.0.0.1:9", settings, tmp_path / "service.log").start()
    try:
        await asyncio.to_thread(service.wait_until, "/health/live", 30)
        status, why = await asyncio.to_thread(service.get, "/health/ready")
        assert (status, why.strip()) == (503, "broker unreachable")
        await asyncio.sleep(2)
        assert service.process is not None and service.process.poll() is None
        service.signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 30) == 0
    finally:
        service.kill()
    assert "brokers unreachable; retrying" in service.log_text()
