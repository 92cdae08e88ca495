"""The loop and both guarantees on the in-memory Kafka (tests/fake_kafka.py): one record with
many outputs, one of them refused for good; a revocation mid-slice; fencing. Counted per
claim, as a consumer reading committed records would see them."""

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Literal

import orjson
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import MessageSizeTooLargeError, ProducerFenced

from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor
from service.bootstrap import build_service
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.stream.service import StreamService, running
from tests.builders import event_document, line
from tests.fake_kafka import FakeKafka
from tests.x12_837 import interchange_837, numbered_sample_claims

Guarantee = Literal["at_least_once", "exactly_once"]
GUARANTEES: list[Guarantee] = ["at_least_once", "exactly_once"]
PROCESSOR = ClaimProcessor(load_reference(), Policy())
OUTCOMES = ("claims.enriched", "claims.rejected")


def settings(guarantee: Guarantee) -> ServiceSettings:
    return ServiceSettings(
        processing_guarantee=guarantee,
        topic_x12="claims.x12",
        http_host="127.0.0.1",
        http_port=0,
        batch_timeout_ms=10,
        instance_id="test",
    )


def service_on(kafka: FakeKafka, guarantee: Guarantee) -> StreamService:
    for topic in ("claims.submitted", "claims.x12", *OUTCOMES, "claims.dlq", "claims.277ca"):
        kafka.create_topic(topic)
    return build_service(
        KafkaSettings(bootstrap_servers="fake:9092"),
        settings(guarantee),
        PROCESSOR,
        consumer_factory=kafka.consumer,
        producer_factory=kafka.producer,
    )


async def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def consumed_all(kafka: FakeKafka, topic: str) -> Callable[[], bool]:
    end = len(kafka.records(topic))
    return lambda: kafka.committed("claim-edit", topic).get(0) == end


def claim_ids(kafka: FakeKafka) -> Counter[str]:
    return Counter(
        str(orjson.loads(r.value or b"")["claim_id"])
        for topic in OUTCOMES
        for r in kafka.records(topic)
    )


def interchange(count: int) -> bytes:
    return interchange_837(numbered_sample_claims(count, "FK"), "837P").encode()


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_a_refused_277ca_is_dead_lettered_alone_and_every_claim_keeps_its_outcome(
    guarantee: Guarantee,
) -> None:
    kafka = FakeKafka()
    kafka.refuse = lambda topic, value: (
        MessageSizeTooLargeError() if topic == "claims.277ca" else None
    )
    kafka.produce("claims.x12", interchange(20), key=b"ISA-1")
    async with running(service_on(kafka, guarantee)):
        await until(consumed_all(kafka, "claims.x12"))
    assert claim_ids(kafka) == Counter({f"FK-{n:03d}": 1 for n in range(20)})
    letters = [orjson.loads(r.value or b"") for r in kafka.records("claims.dlq")]
    assert [letter["error_kind"] for letter in letters] == ["unpublishable"]
    assert kafka.records("claims.277ca") == []


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_one_refused_outcome_among_many_replaces_only_itself(guarantee: Guarantee) -> None:
    kafka = FakeKafka()
    kafka.refuse = lambda topic, value: (
        MessageSizeTooLargeError() if b'"FK-007"' in value and topic in OUTCOMES else None
    )
    kafka.produce("claims.x12", interchange(12), key=b"ISA-1")
    async with running(service_on(kafka, guarantee)):
        await until(consumed_all(kafka, "claims.x12"))
    assert claim_ids(kafka) == Counter({f"FK-{n:03d}": 1 for n in range(12) if n != 7})
    letters = [orjson.loads(r.value or b"") for r in kafka.records("claims.dlq")]
    assert len(letters) == 1 and letters[0]["error_kind"] == "unpublishable"
    assert len(kafka.records("claims.277ca")) == 1


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_a_revocation_mid_slice_loses_nothing(guarantee: Guarantee) -> None:
    kafka = FakeKafka()
    for n in range(30):
        document = event_document(line("92924", "LD"), event_id=f"e{n}")
        document["claim"]["claim_id"] = f"C{n:03d}"
        kafka.produce("claims.submitted", orjson.dumps(document), key=f"C{n:03d}".encode())
    revoked: list[asyncio.Task[None]] = []

    def revoke_once(topic: str, value: bytes) -> BaseException | None:
        if not revoked and b'"C010"' in value:
            revoked.append(asyncio.get_running_loop().create_task(kafka.consumers[0].rebalance()))
        return None  # refuses nothing: rebalances once, while the slice is being sent

    kafka.refuse = revoke_once
    async with running(service_on(kafka, guarantee)):
        await until(consumed_all(kafka, "claims.submitted"))
        assert revoked, "the rebalance happened"
        await asyncio.gather(*revoked)
    seen = claim_ids(kafka)
    assert set(seen) == {f"C{n:03d}" for n in range(30)}
    if guarantee == "exactly_once":
        assert set(seen.values()) == {1}, "a committed record appears once"
        assert kafka.aborted, "the revoked slice's transaction was aborted"
    else:
        assert max(seen.values()) >= 1


async def test_a_fenced_exactly_once_instance_stops_and_commits_nothing_more() -> None:
    kafka = FakeKafka()
    service = service_on(kafka, "exactly_once")
    with pytest.raises(ProducerFenced):
        async with running(service):
            kafka.produce("claims.submitted", orjson.dumps(event_document(line("92924", "LD"))))
            await until(consumed_all(kafka, "claims.submitted"))
            successor = kafka.producer(transactional_id="claim-edit-test")
            await successor.start()  # a new epoch of the same transactional id
            document = event_document(line("92924", "LD"), event_id="after")
            kafka.produce("claims.submitted", orjson.dumps(document))
            await until(lambda: service.health.stopped is not None)
    assert sum(claim_ids(kafka).values()) == 1
    assert kafka.committed("claim-edit", "claims.submitted") == {0: 1}


async def test_readiness_is_503_while_a_subscribed_topic_does_not_exist() -> None:
    kafka = FakeKafka()
    service = service_on(kafka, "at_least_once")
    del kafka.logs[TopicPartition("claims.x12", 0)]  # the X12 topic was never created
    async with running(service):
        await until(lambda: service.health.missing_topics != ())
        ready, why = service.health.ready()
        assert not ready and "claims.x12" in why
        kafka.create_topic("claims.x12")
        await until(lambda: service.health.ready()[0])


def test_the_consumer_refreshes_topic_metadata_within_the_setting() -> None:
    options: dict[str, object] = {}

    def consumer(**given: object) -> object:
        options.update(given)
        return FakeKafka().consumer(**given)

    build_service(
        KafkaSettings(bootstrap_servers="fake:9092"),
        settings("at_least_once"),
        PROCESSOR,
        consumer_factory=consumer,  # type: ignore[arg-type]
        producer_factory=FakeKafka().producer,
    )
    assert options["metadata_max_age_ms"] == 10_000


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_json_claims_are_answered_while_a_big_interchange_is_still_being_edited(
    guarantee: Guarantee,
) -> None:
    kafka = FakeKafka()
    service = service_on(kafka, guarantee)
    kafka.produce("claims.x12", interchange(300), key=b"ISA-BIG")  # pyx12: seconds
    async with running(service):
        await asyncio.sleep(0.3)  # the interchange lane has started on it
        for n in range(20):
            document = event_document(line("92924", "LD"), event_id=f"j{n}")
            kafka.produce("claims.submitted", orjson.dumps(document))
        await until(consumed_all(kafka, "claims.submitted"))
        assert kafka.committed("claim-edit", "claims.x12") == {}, "JSON waited for the 837"
        await until(consumed_all(kafka, "claims.x12"), seconds=120)
    assert len(kafka.records("claims.277ca")) == 1
    assert sum(claim_ids(kafka).values()) == 20 + 300
