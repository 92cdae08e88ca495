"""A differential test against the engine this one replaced (commit 9a2e3b5, before the
lean engine): on the same reference data (that commit's tables, kept as a fixture so later
changes of the facts do not move it) and default policy, the outcome bytes of the benchmark
corpus are the same, byte for byte, once what the second release adds to an outcome is taken
out again: `ruleset.sources`, `payable`, `total_payable` and `locality`, the notes that explain
`payable` (each starts with "payable "), and the new optional input fields
`service_facility`, `payer_claim_control_number`, the patient's names, the lines'
`line_item_control_number` and the lesions' `graft_id` and `approach`
(echoed as null when not sent, as the other optional fields are). The new edits
(PCI-SET-002, PCI-REF-003) do not fire on this corpus with those tables (no ASC claims, no
PFS status column).

The digest below was printed by that commit's engine over the same 3,000 claims with the
same clock value, then moved once, on purpose, by the third release's corrections of what
findings say (nothing else in an outcome changed; the lesions' new `bifurcation`, echoed as
false when not sent, is taken out like the second release's fields): warnings, like infos,
carry no CARC/RARC/group code; the shipped PTP pairs are called "derived pair (PCI
hierarchy)", not NCCI, in PCI-BUND-002's message, change reason and citation; PCI-BUND-001's
fix names the documented exception and 59/XU on the diagnostic line. The replaced engine's
digest was 2fbcfd4ae15c1b91b320f59c652a180e15c9b20aec6bb995d96b8f77016abc09.
The add-on edit (PCI-BUND-004) stands on CMS's NCCI add-on code edit rows (aoc.csv), which
that commit's tables do not have, so an add-on there is reported as not checked (info)
instead of checked against the `primary` column codes.csv no longer has.
The claim-memory edits (PCI-HIST-*) run without a memory here: the one info finding that
says so (PCI-HIST-004, "Not checked: no claim memory") is taken out like the second
release's fields; nothing else of an outcome moves.
A change that moves any byte of any outcome (a field, its order, a message, a price) fails
here; an intended change must say so by recording a new digest.
"""

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from benchmarks.corpus import corpus
from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor, Source
from service.domain.engine import OUTPUT_NAMESPACE
from service.domain.policy import Policy

DIGEST_OF_THE_REPLACED_ENGINE = "addef4e51be6fa11ba20486cb6d388afbec689502fd60b993df133118fea72dd"
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
TABLES_OF_THE_REPLACED_ENGINE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "reference-9a2e3b5"
)


def _first_release_fields(value: bytes) -> bytes:
    """The output as the replaced engine wrote it: without the second release's additions
    (orjson writes the rest back byte for byte: keys keep their order, there are no floats)."""
    event = orjson.loads(value)
    if "source_event_id" in event:
        # The third release derives the id from the claim's content, ruleset sources and
        # policy (tests/unit/test_output_identity.py); the replaced engine's id was a UUIDv5
        # over the input event id and ruleset version: written back as it was.
        version = (event.get("ruleset") or {}).get("version") or "-"
        old_name = f"{event['source_event_id']}\x1f{version}"
        event["event_id"] = str(uuid.uuid5(OUTPUT_NAMESPACE, old_name))
    if "ruleset" in event:
        del event["ruleset"]["sources"]
    claim = event.get("claim", {})
    for added in ("service_facility", "payer_claim_control_number"):
        if claim.get(added, "sent") is None:
            del claim[added]
    for added in ("last_name", "first_name"):
        if claim.get("patient", {}).get(added, "sent") is None:
            del claim["patient"][added]
    for line in claim.get("lines", []):
        if line.get("line_item_control_number", "sent") is None:
            del line["line_item_control_number"]
    for lesion in (claim.get("procedure") or {}).get("lesions", []):
        for added in ("graft_id", "approach"):
            if lesion.get(added, "sent") is None:
                del lesion[added]
        if lesion.get("bifurcation", "sent") is False:
            del lesion["bifurcation"]
    if "findings" in event:
        event["findings"] = [f for f in event["findings"] if f["edit_id"] != "PCI-HIST-004"]
    pricing = event.get("pricing")
    if pricing is not None:
        del pricing["total_payable"], pricing["locality"]
        pricing["notes"] = [n for n in pricing["notes"] if not n.startswith("payable ")]
        for priced in pricing["lines"]:
            del priced["payable"]
    return orjson.dumps(event)


def test_the_benchmark_corpus_gets_the_same_outcome_bytes_as_from_the_replaced_engine() -> None:
    processor = ClaimProcessor(load_reference(TABLES_OF_THE_REPLACED_ENGINE), Policy())
    digest = hashlib.sha256()
    for offset, document in enumerate(corpus(3000)):
        source = Source(topic="claims.submitted", partition=0, offset=offset)
        value = processor.process(orjson.dumps(document), source, NOW).value
        digest.update(_first_release_fields(value) + b"\n")
    assert digest.hexdigest() == DIGEST_OF_THE_REPLACED_ENGINE
