"""`claim-edit send` against a service running on the in-memory Kafka (tests/fake_kafka.py):
what it sends, what it waits for, what it prints and how it exits."""

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition

from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor
from service.bootstrap import build_service
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.entrypoints.cli import main
from service.entrypoints.send import EXIT_TIMEOUT, interchanges_of, is_x12, send_files
from service.stream.service import running
from tests.builders import event_document, line
from tests.fake_kafka import FakeConsumer, FakeKafka
from tests.x12_837 import interchange_837, numbered_sample_claims

PROCESSOR = ClaimProcessor(load_reference(), Policy())
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"
GOOD = event_document(line("92924", "LD"), event_id="good")
REJECTED = event_document(line("92924"), event_id="rejected")
TOPICS = ("claims.submitted", "claims.x12", "claims.enriched", "claims.rejected", "claims.dlq")


@pytest.fixture(autouse=True)
def x12_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """`send` reads the settings `serve` reads; this service also reads an X12 topic."""
    monkeypatch.setenv("CLAIM_EDIT_TOPIC_X12", "claims.x12")


@asynccontextmanager
async def service_on(kafka: FakeKafka) -> AsyncIterator[None]:
    for topic in (*TOPICS, "claims.277ca"):
        kafka.create_topic(topic)
    service = build_service(
        KafkaSettings(bootstrap_servers="fake:9092"),
        ServiceSettings(http_host="127.0.0.1", http_port=0, batch_timeout_ms=10),
        PROCESSOR,
        consumer_factory=kafka.consumer,
        producer_factory=kafka.producer,
    )
    async with running(service):
        yield


def files(*paths: str) -> list[str]:
    return [p for p in paths if not p.startswith("--")]


async def send_files_of(kafka: FakeKafka, *args: str, timeout: float = 20.0) -> tuple[int, bytes]:
    out = io.BytesIO()
    code = await send_files(
        files(*args),
        timeout=timeout,
        table="--table" in args,
        fail_on_reject="--fail-on-reject" in args,
        out=out,
        consumer_factory=kafka.consumer,
        producer_factory=kafka.producer,
    )
    return code, out.getvalue()


def comparable(document: dict[str, object]) -> dict[str, object]:
    """An outcome without what differs between a file and a topic: when, and the source."""
    return {k: v for k, v in document.items() if k not in ("occurred_at", "source", "event_id")}


def check_outputs(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, object]]:
    capsys.readouterr()  # the service's log lines
    assert main(["check", str(path)]) == 0
    return [json.loads(text) for text in capsys.readouterr().out.splitlines() if text.strip()]


async def test_the_worked_samples_come_back_as_check_prints_them_in_the_order_sent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kafka = FakeKafka(partitions=3)
    async with service_on(kafka):
        code, out = await send_files_of(kafka, str(SAMPLES))
    assert code == 0
    sent = [json.loads(text) for text in out.splitlines()]
    expected = check_outputs(capsys, SAMPLES)
    assert [comparable(d) for d in sent] == [comparable(d) for d in expected]


async def test_each_record_carries_a_fresh_correlation_id_and_is_keyed_by_its_claim(
    tmp_path: Path,
) -> None:
    path = tmp_path / "two.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n" + orjson.dumps(REJECTED) + b"\n")
    kafka = FakeKafka()
    async with service_on(kafka):
        await send_files_of(kafka, str(path))
    inputs = kafka.records("claims.submitted")
    ids = [dict(r.headers)["correlation-id"] for r in inputs]
    assert len(set(ids)) == 2
    assert {r.key for r in inputs} == {b"CLM-TEST-1"}


async def test_outcomes_of_other_clients_and_of_earlier_sends_are_not_printed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n")
    kafka = FakeKafka()
    async with service_on(kafka):
        await send_files_of(kafka, str(path))  # an earlier send: its outcome is on the topic
        kafka.produce("claims.submitted", orjson.dumps(REJECTED), b"other")  # someone else's
        code, out = await send_files_of(kafka, str(path))
    assert code == 0
    assert [json.loads(text)["event_type"] for text in out.splitlines()] == ["claim.enriched"]


async def test_an_837_waits_for_every_claim_and_its_277ca(tmp_path: Path) -> None:
    path = tmp_path / "five.837"
    path.write_text(interchange_837(numbered_sample_claims(5, "SND"), "837P"))
    kafka = FakeKafka()
    async with service_on(kafka):
        code, out = await send_files_of(kafka, str(path))
    assert code == 0
    *outcomes, answer = out.splitlines()
    assert sorted(json.loads(o)["claim_id"] for o in outcomes) == [f"SND-{n:03d}" for n in range(5)]
    assert answer.startswith(b"ISA*") and b"ST*277*" in answer
    assert len(kafka.records("claims.x12")) == 1


async def test_an_invalid_837_is_answered_by_its_999_without_waiting_for_claims(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.837"
    path.write_text(
        interchange_837(numbered_sample_claims(2, "BAD"), "837P").replace("CLM*BAD-000*", "CLM**")
    )
    kafka = FakeKafka()
    async with service_on(kafka):
        code, out = await send_files_of(kafka, str(path), "--fail-on-reject", timeout=10)
    assert code == 3
    assert b"ST*999*" in out


async def test_without_a_running_service_it_times_out_naming_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n")
    kafka = FakeKafka()
    for topic in TOPICS:
        kafka.create_topic(topic)
    code, out = await send_files_of(kafka, str(path), timeout=0.3)
    assert code == EXIT_TIMEOUT
    assert out == b""
    assert "good.jsonl:1: no outcome" in capsys.readouterr().err


async def test_fail_on_reject_exits_3_when_a_claim_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n" + orjson.dumps(REJECTED) + b"\n")
    kafka = FakeKafka()
    async with service_on(kafka):
        assert (await send_files_of(kafka, str(path), "--fail-on-reject"))[0] == 3
        assert (await send_files_of(kafka, str(path)))[0] == 0


async def test_the_table_shows_the_outcomes_the_answer_and_the_summary(tmp_path: Path) -> None:
    claims = tmp_path / "two.jsonl"
    claims.write_bytes(orjson.dumps(GOOD) + b"\n" + orjson.dumps(REJECTED) + b"\n")
    x12 = tmp_path / "one.837"
    x12.write_text(interchange_837(numbered_sample_claims(1, "TBL"), "837P"))
    kafka = FakeKafka()
    async with service_on(kafka):
        code, out = await send_files_of(kafka, "--table", str(claims), str(x12))
    text = out.decode()
    assert code == 0
    assert "two.jsonl:2" in text and "x12.277ca" in text
    assert "3 claims: 2 enriched, 1 rejected, 0 dead letters" in " ".join(text.split())


async def test_an_837_with_no_x12_topic_configured_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLAIM_EDIT_TOPIC_X12")
    path = tmp_path / "one.837"
    path.write_text(interchange_837(numbered_sample_claims(1, "NOX"), "837P"))
    code, _ = await send_files_of(FakeKafka(), str(path))
    assert code == 2
    assert "CLAIM_EDIT_TOPIC_X12" in capsys.readouterr().err


def test_an_837_is_known_by_its_content_not_its_name() -> None:
    assert is_x12(b"\xef\xbb\xbf\r\n  ISA*00*")
    assert not is_x12(b'{"claim": "ISA"}')


def test_each_interchange_is_counted_with_its_claims_and_keyed_as_its_answer() -> None:
    two = interchange_837(
        numbered_sample_claims(3, "A"), "837P", control_number=7
    ) + interchange_837(numbered_sample_claims(2, "B"), "837P", control_number=8)
    found = interchanges_of(("\n" + two).encode())
    assert [(i.key, i.claims) for i in found] == [
        ("ZZ:SUBMIT01:000000007", 3),
        ("ZZ:SUBMIT01:000000008", 2),
    ]


def test_send_is_a_command_with_a_documented_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["send", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default 60); then exit 5" in help_text


class Repeating(FakeConsumer):
    """Every record delivered twice, as at-least-once may publish an output twice."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        batch = await super().getmany(*partitions, timeout_ms=timeout_ms, max_records=max_records)
        return {tp: records + records for tp, records in batch.items()}


async def test_an_output_published_twice_is_printed_once(tmp_path: Path) -> None:
    path = tmp_path / "three.837"
    path.write_text(interchange_837(numbered_sample_claims(3, "TWICE"), "837P"))
    kafka = FakeKafka()
    out = io.BytesIO()
    async with service_on(kafka):
        code = await send_files(
            [str(path)],
            timeout=20,
            table=False,
            fail_on_reject=False,
            out=out,
            consumer_factory=lambda **options: Repeating(kafka, ""),
            producer_factory=kafka.producer,
        )
    assert code == 0
    assert len(out.getvalue().splitlines()) == 3 + 1
