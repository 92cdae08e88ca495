"""Property: any claim the contract allows and the 837 can carry comes back from its 837
as the same claim, and its outcome's 277CA validates.

What the 837 cannot carry is given as documentation (`procedure`, the APM flag) or set
aside when comparing: the event envelope, the names the writer adds, the 837I's missing
place of service and diagnosis pointers, and a ZIP+4 the 837I's 2010AA requires."""

import copy
import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.x12.ack_277ca import acknowledgement, acknowledgements
from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import read_interchange
from service.adapters.x12.writing import Envelope
from service.app.edit_event import ClaimProcessor, Source
from tests.outcomes import typed
from tests.strategies import claim_events as claim_documents
from tests.x12_837 import SAMPLES, interchange_837

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# every worked sample as its 837P gives it (a 277CA names the patient: the JSON has no name)
SAMPLE_CLAIMS = [
    result
    for result in claim_events(read_interchange((SAMPLES / "x12" / "samples.837p.x12").read_text()))
    if isinstance(result, Converted)
]


def sendable(claim: dict[str, Any]) -> dict[str, Any]:
    """The claim with its lines numbered 1..n (the 837's LX must count up)."""
    claim = copy.deepcopy(claim)
    for number, line in enumerate(claim["lines"], start=1):
        line["line_number"] = number
    return claim


def comparable(claim: dict[str, Any], institutional: bool) -> dict[str, Any]:
    claim = copy.deepcopy(claim)
    claim.pop("submitter", None)
    claim.pop("total_charge", None)
    claim["billing_provider"].pop("name", None)
    for name in ("last_name", "first_name"):
        claim["patient"].pop(name, None)
    for line in claim["lines"]:
        line["charge"] = str(Decimal(str(line["charge"])).quantize(Decimal("0.01")))
        line.setdefault("modifiers", [])
        line.pop("rendering_provider", None)
        if institutional:
            line.pop("diagnosis_pointers")
    if institutional:
        claim.pop("place_of_service", None)
    facility = claim.pop("service_facility", None)
    if facility is not None:
        claim["zip5"] = facility["zip"][:5]
    return claim


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_documents())
def test_a_claim_comes_back_from_its_837_and_its_277ca_validates(
    processor: ClaimProcessor, event: dict[str, Any]
) -> None:
    claim = sendable(event["claim"])
    institutional = claim["setting"] == "hospital_outpatient"
    text = interchange_837([claim], "837I" if institutional else "837P")
    interchange = read_interchange(text)
    assert interchange.valid, [p.describe() for p in interchange.problems]
    documentation = {
        claim["claim_id"]: {
            "procedure": claim.get("procedure"),
            "rendering_provider": {
                "qualifying_apm_participant": claim["rendering_provider"][
                    "qualifying_apm_participant"
                ]
            },
        }
    }
    (result,) = claim_events(interchange, documentation)
    assert isinstance(result, Converted), result
    back = result.event["claim"]
    if claim.get("procedure") is None:
        back.pop("procedure", None)
        claim.pop("procedure", None)
    original = comparable(claim, institutional)
    if "zip5" not in original:  # the 837 always names the billing provider's ZIP
        back.pop("service_facility", None)
    assert comparable(back, institutional) == original
    outcome = orjson.loads(processor.process(orjson.dumps(result.event), Source(), NOW).value)
    answer = acknowledgement(typed([outcome]), 1, NOW)
    assert answer.accepted + answer.rejected == 1
    assert read_interchange(answer.document).valid


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=4_000, max_value=60_000), st.integers(min_value=1, max_value=150))
def test_every_part_of_a_split_277ca_fits_validates_and_each_claim_is_in_one(
    processor: ClaimProcessor, limit: int, count: int
) -> None:
    samples = [
        orjson.loads(processor.process(orjson.dumps(result.event), Source(), NOW).value)
        for result in SAMPLE_CLAIMS
    ]
    outcomes = [
        {**outcome, "claim": {**outcome["claim"], "claim_id": f"P-{n:03d}"}}
        for n, outcome in zip(range(count), itertools.cycle(samples))
    ]
    envelope = Envelope("CLAIMEDIT", "SUBMIT01", 0, NOW, usage="T")
    answer = acknowledgements(
        typed(outcomes), envelope, max_bytes=limit, control_number=lambda n: n + 1
    )
    acknowledged: list[str] = []
    for document in answer.documents:
        assert len(document.encode()) <= limit
        assert read_interchange(document).valid
        acknowledged += re.findall(r"~TRN\*2\*(P-\d+)~", document)
    assert sorted(acknowledged) == sorted(o["claim"]["claim_id"] for o in outcomes)
