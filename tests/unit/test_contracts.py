"""The checked-in JSON Schemas match the models, and every output validates against them."""

import json

import orjson
import pytest
from pydantic import BaseModel

from contracts import ClaimEnriched, ClaimRejected, DeadLetter
from contracts.schema_export import SCHEMA_DIR, render_schemas
from service.app.edit_event import ClaimProcessor, Source
from tests.builders import event_document, line
from tests.e2e_time import NOW

OUTPUT_MODELS: dict[str, type[BaseModel]] = {
    "claim.enriched": ClaimEnriched,
    "claim.rejected": ClaimRejected,
    "claim.dead_letter": DeadLetter,
}


@pytest.mark.parametrize("name", sorted(render_schemas()))
def test_checked_in_schema_is_current(name: str) -> None:
    checked_in = (SCHEMA_DIR / name).read_text() if (SCHEMA_DIR / name).exists() else ""
    assert checked_in == render_schemas()[name], (
        f"contracts/schemas/{name} is stale: run `make schemas` and commit the result"
    )


@pytest.mark.parametrize(
    "document",
    [
        event_document(line("92924", "LD")),
        event_document(line("92920", "LD"), line("92924", "LD")),
        event_document(line("92924")),
        {"event_id": "x"},
    ],
    ids=["enriched", "enriched-with-changes", "rejected", "dead-letter"],
)
def test_output_validates_against_its_contract(
    processor: ClaimProcessor, document: dict[str, object]
) -> None:
    result = processor.process(
        orjson.dumps(document), Source(topic="t", partition=0, offset=1), NOW
    )
    model = OUTPUT_MODELS[result.event_type]
    model.model_validate_json(result.value)
    assert json.loads(result.value)["event_type"] == result.event_type


def test_checked_in_asyncapi_document_is_current() -> None:
    from service.entrypoints.asyncapi_doc import ASYNCAPI_PATH, render_asyncapi

    assert ASYNCAPI_PATH.read_text() == render_asyncapi(), (
        "contracts/asyncapi.json is stale: run `make schemas` and commit the result"
    )


def test_each_event_model_pins_the_event_type_the_service_names_it_by() -> None:
    from typing import get_args

    from contracts import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter
    from contracts.vocabulary import EventType

    pinned = {
        get_args(model.model_fields["event_type"].annotation)[0]
        for model in (ClaimSubmitted, ClaimEnriched, ClaimRejected, DeadLetter)
    }
    assert pinned == {
        EventType.SUBMITTED,
        EventType.ENRICHED,
        EventType.REJECTED,
        EventType.DEAD_LETTER,
    }
