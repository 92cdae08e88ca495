"""`claim-edit send FILE...`: put claims onto a running service's input topics and print their
outcomes as `claim-edit check` prints them (docs/contract.md, Command line).

A file that starts with `ISA` (after an optional byte-order mark and white space) is an X12
837 and goes to CLAIM_EDIT_TOPIC_X12 whole, as one record; any other file is read as `check`
reads it (a JSON array, one object, or one event per non-blank line) and each event goes to
CLAIM_EDIT_TOPIC_SUBMITTED as one record keyed by its claim id. Every record carries a fresh
`correlation-id` header, which the service copies onto each of its outputs.

The output topics (enriched, rejected, dead letters and, for 837s, the 277CA topic) are read
with read_committed from their end offsets taken *before* anything is sent, so no outcome can
slip in between and nothing older is read; outputs are matched to what was sent by their
correlation-id. An event is complete with its one outcome. An 837 is complete when each of
its interchanges has its answer (a 277CA, in one part or more, or a 999) and, for those
answered by a 277CA, there is an outcome for each of their claims (CLM segments); a dead
letter for the whole record (too large, a processing error) completes it too. Whatever has
not completed when `--timeout` passes is named on stderr: exit EXIT_TIMEOUT.
"""

import asyncio
import codecs
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from service.adapters.broker_wait import start_within
from service.adapters.kafka_security import aiokafka_options
from service.adapters.x12.interchange import pieces_of
from service.config import KafkaSettings, ServiceSettings
from service.entrypoints import rendering
from service.entrypoints.check_input import events_in
from service.stream.ports import (
    AssigningConsumerFactory,
    ClientProducer,
    ClientProducerFactory,
)

EXIT_REJECTED = 3
EXIT_USAGE = 2
EXIT_TIMEOUT = 5
"""Some sent record did not get all its outcomes within --timeout (4 is: no broker)."""

WHOLE_RECORD_LETTERS = {"too_large", "processing_error"}
"""Dead-letter kinds that stand for a whole X12 record: nothing else will come for it."""


@dataclass(frozen=True, slots=True)
class Interchange:
    """What `send` must know of an 837 interchange to know when it is answered."""

    key: str  # <ISA05>:<ISA06>:<ISA13>, padding removed: the key of its answer
    claims: int  # CLM segments: one outcome each when it is answered by a 277CA


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    event_type: str
    key: bytes | None
    value: bytes


@dataclass(slots=True)
class Sent:
    """One record sent, and the outputs that came back for it."""

    where: str  # file:line (or the file alone for an 837)
    topic: str
    value: bytes
    key: bytes | None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    interchanges: tuple[Interchange, ...] | None = None  # None: a JSON event
    outputs: list[Output] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        if self.interchanges is None:
            return bool(self.outputs)
        if any(
            o.event_type == "claim.dead_letter" and _error_kind(o.value) in WHOLE_RECORD_LETTERS
            for o in self.outputs
        ):
            return True
        answers = {o.key.decode(errors="replace"): o.event_type for o in self.answers if o.key}
        if any(i.key not in answers for i in self.interchanges):
            return False
        claims = sum(i.claims for i in self.interchanges if answers[i.key] == "x12.277ca")
        return len(self.outcomes) >= claims

    @property
    def answers(self) -> list[Output]:
        return [o for o in self.outputs if o.event_type.startswith("x12.")]

    @property
    def outcomes(self) -> list[Output]:
        return [o for o in self.outputs if not o.event_type.startswith("x12.")]


def _error_kind(value: bytes) -> str:
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return ""
    return str(document.get("error_kind", "")) if isinstance(document, dict) else ""


def is_x12(content: bytes) -> bool:
    """An 837 by its content: `ISA` first, after an optional byte-order mark and blanks."""
    return content.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"ISA")


def interchanges_of(content: bytes) -> tuple[Interchange, ...]:
    """Each envelope's answer key and CLM count, from its fixed-length ISA (element separator
    at byte 3, segment terminator at byte 105) without validating it: the service does."""
    found = []
    for piece in pieces_of(content):
        data = piece.data
        if not piece.envelope or len(data) < 106:
            continue
        separator, terminator = data[3:4], data[105:106]
        isa = data[:105].split(separator)
        key = ":".join(
            isa[n].decode(errors="replace").strip() if len(isa) > n else "" for n in (5, 6, 13)
        )
        segments = (segment.lstrip() for segment in data.split(terminator))
        claims = sum(1 for segment in segments if segment.startswith(b"CLM" + separator))
        found.append(Interchange(key, claims))
    return tuple(found)


def _claim_key(raw: bytes) -> bytes | None:
    """The claim id, as the service keys its outputs; None when the event does not parse."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    claim = document.get("claim") if isinstance(document, dict) else None
    claim_id = claim.get("claim_id") if isinstance(claim, dict) else None
    return claim_id.encode() if isinstance(claim_id, str) else None


def records_of(label: str, content: bytes, settings: ServiceSettings) -> list[Sent]:
    """The records a file becomes: its JSON events, or the 837 whole."""
    name = Path(label).name
    if is_x12(content):
        if settings.topic_x12 is None:
            raise ValueError(f"{label}: an X12 837, but CLAIM_EDIT_TOPIC_X12 is not set")
        return [
            Sent(name, settings.topic_x12, content, None, interchanges=interchanges_of(content))
        ]
    return [
        Sent(
            f"{name}:{source.line if source.line is not None else source.offset}",
            settings.topic_submitted,
            raw,
            _claim_key(raw),
        )
        for raw, source in events_in(label, content)
    ]


async def _partitions(producer: ClientProducer, topics: Sequence[str]) -> list[TopicPartition]:
    return [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(await producer.partitions_for(topic))
    ]


async def exchange(
    sent: list[Sent],
    kafka: KafkaSettings,
    settings: ServiceSettings,
    timeout: float,
    *,
    consumer_factory: AssigningConsumerFactory = AIOKafkaConsumer,
    producer_factory: ClientProducerFactory = AIOKafkaProducer,
) -> bool:
    """Send every record and gather its outputs into it; True when all completed in time."""
    deadline = time.monotonic() + timeout
    topics = [settings.topic_enriched, settings.topic_rejected, settings.topic_dlq]
    if any(s.interchanges is not None for s in sent):
        topics.append(settings.topic_277ca)
    options = aiokafka_options(kafka)
    producer = producer_factory(
        **options, client_id=f"{settings.client_id}-send", acks="all", enable_idempotence=True
    )
    consumer = consumer_factory(
        **options,
        client_id=f"{settings.client_id}-send",
        group_id=None,
        enable_auto_commit=False,
        # Only what the service committed: under exactly_once, the outputs of an aborted
        # transaction are written again by the next attempt.
        isolation_level="read_committed",
    )
    await start_within(producer, kafka.bootstrap_servers)
    try:
        await start_within(consumer, kafka.bootstrap_servers)
        try:
            partitions = await _partitions(producer, topics)
            consumer.assign(partitions)
            for partition, end in (await consumer.end_offsets(partitions)).items():
                consumer.seek(partition, end)
            by_id = {s.correlation_id: s for s in sent}
            acknowledged = [
                await producer.send(
                    s.topic,
                    s.value,
                    key=s.key,
                    headers=[("correlation-id", s.correlation_id.encode())],
                )
                for s in sent
            ]
            await asyncio.gather(*acknowledged)
            seen: set[tuple[str, object]] = set()
            waiting = len(sent)
            while waiting and time.monotonic() < deadline:
                left_ms = max(1, int((deadline - time.monotonic()) * 1000))
                batch = await consumer.getmany(timeout_ms=min(500, left_ms))
                for records in batch.values():
                    for record in records:
                        headers = dict(record.headers or ())
                        found = by_id.get((headers.get("correlation-id") or b"").decode())
                        if found is None:
                            continue
                        # at-least-once may publish an output twice: the same ce_id
                        output_id = (record.topic, headers.get("ce_id") or record.offset)
                        if output_id in seen:
                            continue
                        seen.add(output_id)
                        event_type = (headers.get("event-type") or b"").decode()
                        found.outputs.append(
                            Output(record.topic, event_type, record.key, record.value or b"")
                        )
                waiting = sum(not s.complete for s in sent)
            return waiting == 0
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


def render(sent: list[Sent], table: bool, out: IO[bytes]) -> None:
    """As `check` prints: each outcome's JSON on its own line (an 837's answer: its X12), or
    with --table the outcome table, an 837's answers as rows of their own."""
    if not table:
        for s in sent:
            for output in s.outcomes + s.answers:
                out.write(output.value + b"\n")
        out.flush()
        return
    rows: list[tuple[str, dict[str, Any]]] = []
    for s in sent:
        for output in s.outcomes:
            rows.append((s.where, orjson.loads(output.value)))
        rows += [(s.where, {"event_type": answer.event_type}) for answer in s.answers]
    out.write(rendering.outcome_table(rows).encode())
    out.flush()


def _missing(s: Sent) -> str:
    if s.interchanges is None:
        return f"{s.where}: no outcome"
    answered = len({o.key for o in s.answers})
    return (
        f"{s.where}: {len(s.outcomes)} outcomes of {sum(i.claims for i in s.interchanges)} "
        f"claims, {answered} answers of {len(s.interchanges)} interchanges"
    )


async def send_files(
    files: Sequence[str],
    *,
    timeout: float,
    table: bool,
    fail_on_reject: bool,
    out: IO[bytes],
    consumer_factory: AssigningConsumerFactory = AIOKafkaConsumer,
    producer_factory: ClientProducerFactory = AIOKafkaProducer,
) -> int:
    """The command: read the files, send, wait, print; its exit code."""
    kafka, settings = KafkaSettings(), ServiceSettings()
    sent: list[Sent] = []
    for name in files:
        label = "<stdin>" if name == "-" else name
        try:
            content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            found = records_of(label, content, settings)
        except OSError as error:
            print(f"claim-edit send: {name}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        except ValueError as error:
            print(f"claim-edit send: {error}", file=sys.stderr)
            return EXIT_USAGE
        if not found:
            print(f"claim-edit send: {label}: no events in it", file=sys.stderr)
        sent += found
    try:
        complete = await exchange(
            sent,
            kafka,
            settings,
            timeout,
            consumer_factory=consumer_factory,
            producer_factory=producer_factory,
        )
    except KafkaError as error:
        print(f"claim-edit send: Kafka: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_USAGE
    render(sent, table, out)
    if not complete:
        missing = [_missing(s) for s in sent if not s.complete]
        print(
            f"claim-edit send: timed out after {timeout:g} s; {len(missing)} of {len(sent)} "
            "records without all their outcomes: " + "; ".join(missing),
            file=sys.stderr,
        )
        return EXIT_TIMEOUT
    accepted = ("claim.enriched", "x12.277ca")
    failed = any(o.event_type not in accepted for s in sent for o in s.outputs)
    return EXIT_REJECTED if fail_on_reject and failed else 0


def run_send(files: Sequence[str], timeout: float, table: bool, fail_on_reject: bool) -> int:
    # A terminal command: the client's own connection chatter is not for the reader.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(
            send_files(
                files,
                timeout=timeout,
                table=table,
                fail_on_reject=fail_on_reject,
                out=sys.stdout.buffer,
            )
        )
    except KeyboardInterrupt:
        return EXIT_TIMEOUT
