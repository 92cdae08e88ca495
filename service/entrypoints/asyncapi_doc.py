"""The AsyncAPI document of the service, as checked in at contracts/asyncapi.json.

FastStream describes the channels: the consumed topic with ClaimSubmitted, the three output
topics with their contracts, and the optional X12 topics (837 in, 277CA or 999 out). The
service itself runs one aiokafka loop (service/stream):
FastStream has no Kafka transactions, and its batch parser decodes every header, which a
null or binary header value breaks; so it declares the contract here and runs nothing.
"""

import json
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from contracts import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter
from service.config import ServiceSettings

X12_TOPIC = "claims.x12"  # the documented name; CLAIM_EDIT_TOPIC_X12 is unset by default
ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.json"


def declared_broker(settings: ServiceSettings) -> KafkaBroker:
    broker = KafkaBroker()
    outputs = (
        (
            settings.topic_enriched,
            ClaimEnriched,
            "Claims with no blocking finding: corrections applied, priced.",
        ),
        (
            settings.topic_rejected,
            ClaimRejected,
            "Claims with a blocking finding: every finding and proposed change.",
        ),
        (
            settings.topic_dlq,
            DeadLetter,
            "Events that could not be read or published, with the original bytes "
            "or their size and sha256.",
        ),
    )
    for topic, schema, description in outputs:
        broker.publisher(topic, schema=schema, title=topic, description=description)

    @broker.subscriber(
        settings.topic_submitted,
        group_id=settings.group_id,
        title=settings.topic_submitted,
        description="ClaimSubmitted events from billing platforms (key: claim_id).",
    )
    async def edit(claim: ClaimSubmitted) -> None:
        """Declared for the document only."""

    broker.publisher(
        settings.topic_277ca,
        schema=str,
        title=settings.topic_277ca,
        description="One X12 277CA (005010X214) per interchange read from the X12 topic (in "
        "parts, each a whole interchange, when it would exceed "
        "CLAIM_EDIT_TOPIC_277CA_MAX_BYTES), or pyx12's 999 when the interchange failed "
        "validation; sent to the 837's sender (its ISA06 is the answer's ISA08) with the "
        "837's ISA15 (key: <ISA05>:<ISA06>:<ISA13> of the 837).",
    )

    @broker.subscriber(
        X12_TOPIC,
        group_id=settings.group_id,
        title=X12_TOPIC,
        description="Raw X12 837P/837I (005010) interchanges, read only when "
        "CLAIM_EDIT_TOPIC_X12 names this topic (unset by default): each claim is edited as a "
        "ClaimSubmitted and published to the output topics (key: its CLM01); each "
        "interchange (ISA...IEA) of a record is answered on its own; bytes outside an "
        "envelope are an undecodable dead letter.",
    )
    async def edit_interchange(interchange: str) -> None:
        """Declared for the document only."""

    return broker


def render_asyncapi() -> str:
    # Defaults only (model_construct reads no environment): the document describes the
    # contract, not one deployment.
    settings = ServiceSettings.model_construct()
    spec = AsyncAPI(
        declared_broker(settings),
        title="claim-edit",
        version="1",
        description="PCI claim edits in the stream (contract v1).",
        schema_version="3.0.0",
    )
    document = json.loads(spec.to_specification().to_json())
    for name, message in document["components"]["messages"].items():
        role = (
            "input"
            if name.startswith(settings.topic_submitted)
            else "x12"
            if name.startswith(X12_TOPIC)
            else "answer"
            if name.startswith(settings.topic_277ca)
            else "output"
        )
        message["headers"] = {
            "input": INPUT_HEADERS,
            "x12": INPUT_HEADERS,
            "answer": X12_HEADERS,
            "output": OUTPUT_HEADERS,
        }[role]
        if role in {"x12", "answer"}:
            message["contentType"] = "application/edi-x12"
        # FastStream points at its own header name; the service reads and writes this one.
        message["correlationId"] = {"location": "$message.header#/correlation-id"}
        message["bindings"] = {
            "kafka": {
                "bindingVersion": "0.5.0",
                "key": {"type": "string", "description": KEY_DESCRIPTION[role]},
            }
        }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _header(description: str, **extra: object) -> dict[str, object]:
    return {"type": "string", "description": description, **extra}


KEY_DESCRIPTION = {
    "input": "the claim id (UTF-8); any key is accepted, and outputs keep it",
    "x12": "any key (an upload's name, say); not used by the answers",
    "answer": "<ISA05>:<ISA06>:<ISA13> of the answered 837 (padding removed): distinct per "
    "sender and interchange, shared by the parts of one answer",
    "output": "the input record's key, unchanged (per-claim order is kept); for a claim read "
    "from an X12 interchange, its CLM01",
}
INPUT_HEADERS = {
    "type": "object",
    "description": "Any header Kafka allows is accepted (null, binary, large); only this one "
    "is read.",
    "properties": {
        "correlation-id": _header(
            "copied to the outputs when non-null, valid UTF-8 and at most 256 bytes",
            maxLength=256,
        )
    },
}
X12_HEADERS = {
    "type": "object",
    "properties": {
        "content-type": _header("application/edi-x12", const="application/edi-x12"),
        "event-type": _header("x12.277ca or x12.999", enum=["x12.277ca", "x12.999"]),
        "correlation-id": _header(
            "the input's correlation-id header if it could be copied, else the ISA13",
            maxLength=256,
        ),
        "source-offset": _header("the interchange's topic/partition/offset"),
        "ce_specversion": _header("CloudEvents binary mode: 1.0", const="1.0"),
        "ce_id": _header(
            "a UUIDv5 of the answer's kind, key and control number (from a hash of the "
            "interchange's bytes and the part): the same on replay"
        ),
        "ce_source": _header("urn:claim-edit:<group id>"),
        "ce_type": _header("= event-type"),
        "ce_time": _header("when the answer was written", format="date-time"),
    },
    "required": [
        "content-type",
        "event-type",
        "correlation-id",
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
    ],
}
OUTPUT_HEADERS = {
    "type": "object",
    "properties": {
        "content-type": _header("application/json", const="application/json"),
        "event-type": _header(
            "claim.enriched, claim.rejected or claim.dead_letter",
            enum=["claim.enriched", "claim.rejected", "claim.dead_letter"],
        ),
        "schema-version": _header("1", const="1"),
        "correlation-id": _header(
            "the input's correlation-id header if it could be copied, else the input event_id",
            maxLength=256,
        ),
        "source-event-id": _header("the input event_id; empty for a dead letter"),
        "ce_specversion": _header("CloudEvents binary mode: 1.0", const="1.0"),
        "ce_id": _header("= event_id"),
        "ce_source": _header("urn:claim-edit:<group id>"),
        "ce_type": _header("= event_type"),
        "ce_time": _header("= occurred_at", format="date-time"),
        "ce_subject": _header("= claim_id (absent on a dead letter)"),
    },
    "required": ["content-type", "event-type", "schema-version", "correlation-id"],
}


if __name__ == "__main__":
    ASYNCAPI_PATH.write_text(render_asyncapi())
    print(ASYNCAPI_PATH)
