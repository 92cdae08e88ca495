"""Where each output goes and what it carries: its topic by kind, and the contract's headers
(docs/contract: event-type, correlation-id, source-event-id, CloudEvents ce_*)."""

from dataclasses import dataclass
from datetime import datetime

import orjson

from contracts.vocabulary import EventType
from service.app.records import InputRecord
from service.app.results import Processed
from service.config import ServiceSettings

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Topics:
    enriched: str
    rejected: str
    dlq: str
    x12: str | None = None
    acknowledgements: str = "claims.277ca"
    acknowledgement_max_bytes: int = 1_000_000  # a larger 277CA is split into parts

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "Topics":
        return cls(
            settings.topic_enriched,
            settings.topic_rejected,
            settings.topic_dlq,
            settings.topic_x12,
            settings.topic_277ca,
            settings.topic_277ca_max_bytes,
        )

    def for_event(self, event_type: EventType) -> str:
        match event_type:
            case EventType.ENRICHED:
                return self.enriched
            case EventType.REJECTED:
                return self.rejected
            case EventType.DEAD_LETTER:
                return self.dlq
            case EventType.ACK_277CA | EventType.ACK_999:
                return self.acknowledgements
        raise ValueError(f"no topic for {event_type}")


def output_headers(
    record: InputRecord, result: Processed, occurred_at: datetime, source: str
) -> Headers:
    """The contract's headers on every output; correlation-id falls back to the input's
    event_id (or, for a dead letter, its own) when the header cannot be copied. Beside them,
    the CloudEvents Kafka binding's binary-mode attributes (ce_*). An X12 answer carries
    content-type application/edi-x12, correlation-id (falling back to the 837's ISA13), the
    ce_* attributes and the input's position (source-offset)."""
    source_event_id = result.source_event_id or ""
    correlation = record.copyable_header("correlation-id") or source_event_id or result.event_id
    cloud_event = [
        ("ce_specversion", b"1.0"),
        ("ce_id", result.event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", result.event_type.encode()),
        # the same text as the event's occurred_at (orjson writes both)
        ("ce_time", orjson.dumps(occurred_at)[1:-1]),
    ]
    if result.is_answer:
        return (
            ("content-type", b"application/edi-x12"),
            ("event-type", result.event_type.encode()),
            ("correlation-id", correlation.encode()),
            *cloud_event,
            ("source-offset", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        )
    headers = [
        ("content-type", b"application/json"),
        ("event-type", result.event_type.encode()),
        ("schema-version", b"1"),
        ("correlation-id", correlation.encode()),
        ("source-event-id", source_event_id.encode()),
        *cloud_event,
    ]
    if result.claim_id is not None:
        headers.append(("ce_subject", result.claim_id.encode()))
    return tuple(headers)
