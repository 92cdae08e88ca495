"""Every worked example in shared/samples/cases.jsonl produces its expected outcome."""

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import ClaimSubmitted
from tests.outcomes import final_lines, run

CASES_FILE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "cases.jsonl"
BUNDLED = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"


def _cases() -> list[dict[str, Any]]:
    source = CASES_FILE if CASES_FILE.exists() else None
    if source is None:
        pytest.skip("shared/samples is not beside this checkout")
    return [json.loads(text) for text in source.read_text().splitlines() if text.strip()]


CASES = _cases() if CASES_FILE.exists() else []


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_example(case: dict[str, Any]) -> None:
    outcome = run(ClaimSubmitted.model_validate(case["event"]))
    expect = case["expect"]
    assert outcome.event_type == expect["event_type"]
    reported = {f.edit_id for f in outcome.findings} | {c.edit_id for c in outcome.changes}
    assert set(expect.get("edit_ids", [])) <= reported
    if "final_lines" in expect:
        assert final_lines(outcome) == [(code, mods) for code, mods in expect["final_lines"]]
    if "total_allowed" in expect:
        assert outcome.pricing is not None
        assert outcome.pricing.total_allowed == expect["total_allowed"]


def test_bundled_samples_are_the_worked_examples_events() -> None:
    bundled = [json.loads(t) for t in BUNDLED.read_text().splitlines() if t.strip()]
    assert bundled == [case["event"] for case in CASES]
