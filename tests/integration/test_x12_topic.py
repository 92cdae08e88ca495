"""An X12 837 interchange of 100 claims through CLAIM_EDIT_TOPIC_X12 on a real broker: one
outcome per claim beside the JSON ones, and exactly one 277CA for the interchange, under
both processing guarantees; an invalid interchange gets exactly one 999."""

import json

import pytest

from service.adapters.x12.interchange import read_interchange
from tests.integration.kafka_helpers import (
    collect,
    create_topics,
    headers_of,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.running_service import running_service
from tests.x12_837 import interchange_837, numbered_sample_claims


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_an_interchange_of_100_claims_gives_100_outcomes_and_one_277ca(
    kafka_bootstrap: str, guarantee: str
) -> None:
    prefix = unique(f"x12-{guarantee}")
    settings = service_settings(
        prefix,
        topic_x12=f"{prefix}.x12",
        topic_277ca=f"{prefix}.277ca",
        processing_guarantee=guarantee,
    )
    assert settings.topic_x12 is not None
    await create_topics(kafka_bootstrap, [settings.topic_x12, settings.topic_277ca], partitions=3)
    interchange = interchange_837(numbered_sample_claims(100, "X12"), "837P", control_number=4242)
    broken = interchange.replace("CLM*X12-005*", "CLM**", 1)  # CLM01 is required
    isolation = "read_committed" if guarantee == "exactly_once" else "read_uncommitted"
    async with running_service(kafka_bootstrap, settings):
        await produce(
            kafka_bootstrap,
            settings.topic_x12,
            [
                (b"batch-1", interchange.encode(), [("correlation-id", b"upload-1")]),
                (b"batch-2", broken.replace("000004242", "000004243").encode(), []),
            ],
        )
        answers = await collect(
            kafka_bootstrap, [settings.topic_277ca], expected=2, isolation_level=isolation
        )
        outcomes = await collect(
            kafka_bootstrap,
            output_topics(settings),
            expected=100,
            isolation_level=isolation,
            settle=2.0,
        )
        answers = await collect(
            kafka_bootstrap,
            [settings.topic_277ca],
            expected=2,
            isolation_level=isolation,
            settle=2.0,
        )
    assert sorted(json.loads(r.value)["claim_id"] for r in outcomes) == [
        f"X12-{i:03d}" for i in range(100)
    ]
    assert {r.topic for r in outcomes} <= {settings.topic_enriched, settings.topic_rejected}
    by_key = {r.key: r for r in answers}
    assert len(answers) == 2 and set(by_key) == {b"ZZ:SUBMIT01:000004242", b"ZZ:SUBMIT01:000004243"}
    ack = by_key[b"ZZ:SUBMIT01:000004242"]
    assert headers_of(ack)["event-type"] == "x12.277ca"
    assert headers_of(ack)["correlation-id"] == "upload-1"
    assert headers_of(ack)["content-type"] == "application/edi-x12"
    assert headers_of(ack)["ce_type"] == "x12.277ca" and headers_of(ack)["ce_id"]
    document = ack.value.decode()
    assert read_interchange(document).valid
    assert document[:106].split("*")[15] == "T"  # the 837 is a test interchange
    assert document.count("*PT~") == 100
    rejected = sum(r.topic == settings.topic_rejected for r in outcomes)
    assert document.count("TRN*2*X12-") == 100
    assert f"QTY*AA*{rejected}~" in document
    error_report = by_key[b"ZZ:SUBMIT01:000004243"]
    assert headers_of(error_report)["event-type"] == "x12.999"
    assert "IK3*CLM*" in error_report.value.decode()
    assert headers_of(error_report)["ce_type"] == "x12.999"
