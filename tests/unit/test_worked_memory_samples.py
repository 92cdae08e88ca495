"""The claim-memory worked samples (samples/memory-claims.jsonl, edited in file order with
one claim memory) produce the outcomes samples/memory-expected.jsonl documents: a duplicate
caught and a physician/facility disagreement. The memory here is a plain list per patient
(tests/history_cases.py); `claim-edit check --memory` edits the same file against a real
one."""

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import ClaimSubmitted
from tests.history_cases import edit_in_order
from tests.outcomes import final_lines

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EVENTS = [
    ClaimSubmitted.model_validate_json(text)
    for text in (SAMPLES / "memory-claims.jsonl").read_text().splitlines()
    if text
]
CASES = [
    json.loads(text)
    for text in (SAMPLES / "memory-expected.jsonl").read_text().splitlines()
    if text
]
OUTCOMES = edit_in_order(EVENTS)


def test_every_memory_sample_has_one_documented_outcome() -> None:
    assert sorted(case["event_id"] for case in CASES) == sorted(e.event_id for e in EVENTS)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_memory_example(case: dict[str, Any]) -> None:
    outcome = OUTCOMES[case["event_id"]]
    expect = case["expect"]
    assert outcome.event_type == expect["event_type"]
    reported = {f.edit_id for f in outcome.findings}
    assert set(expect.get("edit_ids", [])) <= reported
    assert not {f.edit_id for f in outcome.findings if f.edit_id.startswith("PCI-HIST-")} - set(
        expect.get("edit_ids", [])
    )
    if "final_lines" in expect:
        assert final_lines(outcome) == [(code, mods) for code, mods in expect["final_lines"]]
    shown = [
        {
            "edit_id": f.edit_id,
            "disposition": f.disposition,
            "line_numbers": list(f.line_numbers),
            "carc": f.carc,
            "rarc": f.rarc,
        }
        for f in outcome.findings
    ]
    for documented in expect.get("findings", []):
        assert documented in shown
    if "names_claim" in expect:
        (history,) = [f for f in outcome.findings if f.edit_id in expect["edit_ids"]]
        assert expect["names_claim"] in history.message
        assert [e.key for e in history.evidence] == [expect["names_claim"]]
