"""The AsyncAPI document of the service, as checked in at contracts/asyncapi.json."""

import json
from pathlib import Path

from contracts import ClaimSubmitted
from service.adapters.reference_files import load_reference
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.entrypoints.kafka_app import ClaimEditService
from service.processing import ClaimProcessor

ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.json"


def render_asyncapi() -> str:
    # Defaults only (model_construct reads no environment): the document describes the
    # contract, not one deployment.
    service = ClaimEditService(
        ClaimProcessor(load_reference(), Policy()),
        KafkaSettings.model_construct(),
        ServiceSettings.model_construct(),
    )
    document = json.loads(service.asyncapi())
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    # The handler takes raw bytes (poison must reach the DLQ intact); the topic's contract is
    # ClaimSubmitted, so the document says that.
    submitted = ClaimSubmitted.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in submitted.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    payload_names = [name for name in schemas if name.startswith("claims.submitted:")]
    for name in payload_names:
        schemas[name] = submitted
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    ASYNCAPI_PATH.write_text(render_asyncapi())
    print(ASYNCAPI_PATH)
