"""The AsyncAPI document of the service, as checked in at contracts/asyncapi.json.

FastStream describes the channels: the consumed topic with ClaimSubmitted, the three output
topics with their contracts. The service itself runs one aiokafka loop (service/stream):
FastStream has no Kafka transactions, and its batch parser decodes every header, which a
null or binary header value breaks; so it declares the contract here and runs nothing.
"""

import json
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from contracts import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter
from service.config import ServiceSettings

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

    return broker


def render_asyncapi() -> str:
    # Defaults only (model_construct reads no environment): the document describes the
    # contract, not one deployment.
    spec = AsyncAPI(
        declared_broker(ServiceSettings.model_construct()),
        title="claim-edit",
        version="1",
        description="PCI claim edits in the stream (contract v1).",
        schema_version="3.0.0",
    )
    document = json.loads(spec.to_specification().to_json())
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    ASYNCAPI_PATH.write_text(render_asyncapi())
    print(ASYNCAPI_PATH)
