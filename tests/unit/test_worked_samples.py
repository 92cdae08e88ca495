"""Every worked sample (samples/claims.jsonl) produces the outcome samples/expected.jsonl
documents for it."""

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import ClaimSubmitted
from tests.outcomes import final_lines, run

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EVENTS = {
    event["event_id"]: event
    for event in (
        json.loads(text) for text in (SAMPLES / "claims.jsonl").read_text().splitlines() if text
    )
}
CASES = [json.loads(text) for text in (SAMPLES / "expected.jsonl").read_text().splitlines() if text]


def test_every_sample_has_one_documented_outcome() -> None:
    assert sorted(case["event_id"] for case in CASES) == sorted(EVENTS)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_example(case: dict[str, Any]) -> None:
    outcome = run(ClaimSubmitted.model_validate(EVENTS[case["event_id"]]))
    expect = case["expect"]
    assert outcome.event_type == expect["event_type"]
    reported = {f.edit_id for f in outcome.findings} | {c.edit_id for c in outcome.changes}
    assert set(expect.get("edit_ids", [])) <= reported
    if "final_lines" in expect:
        assert final_lines(outcome) == [(code, mods) for code, mods in expect["final_lines"]]
    if "pricing" in expect:  # the one value a sample documents for it: null (a void)
        assert expect["pricing"] is None
        assert outcome.pricing is None
    for documented in expect.get("findings", []):  # the remittance codes a sample shows
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
        assert documented in shown
    if "total_allowed" in expect:
        assert outcome.pricing is not None
        assert outcome.pricing.total_allowed == expect["total_allowed"]
    if "total_payable" in expect:
        assert outcome.pricing is not None
        assert outcome.pricing.total_payable == expect["total_payable"]
