"""An output's event_id names what was decided: the same for an exact replay, another for a
different claim, ruleset sources or policy (consumers drop repeats by it)."""

import dataclasses
import json

import orjson

from contracts import ReferenceSource
from service.app.edit_event import ClaimProcessor, Source
from service.domain.policy import Policy
from service.domain.reference import ReferenceData
from tests.builders import event_document, line
from tests.e2e_time import NOW

SOURCE = Source(topic="claims.submitted", partition=0, offset=7)


def output_id(processor: ClaimProcessor, document: dict[str, object]) -> str:
    value = processor.process(orjson.dumps(document), SOURCE, NOW).value
    return str(orjson.loads(value)["event_id"])


def test_an_exact_replay_gets_the_same_id(processor: ClaimProcessor) -> None:
    document = event_document(line("92924", "LD"))
    assert output_id(processor, document) == output_id(processor, document)


def test_the_same_claim_sent_with_other_whitespace_gets_the_same_id(
    processor: ClaimProcessor,
) -> None:
    document = event_document(line("92924", "LD"))
    spaced = json.dumps(document, indent=3).encode()
    value = processor.process(spaced, SOURCE, NOW).value
    assert orjson.loads(value)["event_id"] == output_id(processor, document)


def test_two_different_claims_under_one_event_id_get_different_ids(
    processor: ClaimProcessor,
) -> None:
    first = event_document(line("92924", "LD"), event_id="same")
    second = event_document(line("92924", "LD", charge="900.00"), event_id="same")
    assert output_id(processor, first) != output_id(processor, second)


def test_a_reference_swap_changes_the_id(processor: ClaimProcessor) -> None:
    document = event_document(line("92924", "LD"))
    reference = processor.reference
    swapped = ReferenceData(
        tuple(
            dataclasses.replace(
                ruleset,
                sources=(
                    *ruleset.sources,
                    ReferenceSource(name="PPRRVU.csv", release="CMS", sha256="ab" * 32),
                ),
            )
            for ruleset in reference.rulesets
        ),
        reference.known_codes,
        reference.coronary_codes,
    )
    assert output_id(processor, document) != output_id(
        ClaimProcessor(swapped, processor.policy), document
    )


def test_a_policy_change_changes_the_id(processor: ClaimProcessor) -> None:
    document = event_document(line("92924", "LD"))
    lowered = Policy(actions={"PCI-TERR-002": "warn"})
    assert output_id(processor, document) != output_id(
        ClaimProcessor(processor.reference, lowered), document
    )
    assert Policy(actions={"PCI-TERR-002": "warn"}).digest == lowered.digest


def test_a_dead_letter_id_names_the_place_and_the_bytes(processor: ClaimProcessor) -> None:
    def letter_id(raw: bytes, source: Source = SOURCE) -> str:
        return str(orjson.loads(processor.process(raw, source, NOW).value)["event_id"])

    assert letter_id(b"{broken") == letter_id(b"{broken")
    assert letter_id(b"{broken") != letter_id(b"{broken!")
    assert letter_id(b"{broken") != letter_id(b"{broken", dataclasses.replace(SOURCE, offset=8))
