"""The billing team's summary: counts by edit id, payer and provider; latest reasons."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from service.app.edit_event import ClaimProcessor, Source
from service.rejection_summary import RejectionSummary
from tests.builders import event_document, line
from tests.e2e_time import NOW


def rejected(
    processor: ClaimProcessor, *lines: dict[str, Any], payer_id: str = "PAYER-A"
) -> dict[str, Any]:
    raw = orjson.dumps(event_document(*lines, payer_id=payer_id))
    document: dict[str, Any] = orjson.loads(processor.process(raw, Source(), NOW).value)
    return document


def test_counts_by_edit_id_payer_provider_and_dead_letters(processor: ClaimProcessor) -> None:
    summary = RejectionSummary(timedelta(minutes=60))
    summary.add(rejected(processor, line("92924")), NOW)
    summary.add(rejected(processor, line("92924"), payer_id="PAYER-B"), NOW)
    summary.add(rejected(processor, line("92924", "LD", units=2)), NOW)
    summary.add(
        {
            "event_type": "claim.dead_letter",
            "error_kind": "undecodable",
            "errors": [{"loc": "event", "msg": "not JSON"}],
            "source": {"key": "K1"},
        },
        NOW,
    )
    text = summary.render(NOW)
    assert "rejected claims: 3   dead letters: 1" in text
    assert re.search(r"\b2\s+PCI-TERR-002\b", text)
    assert re.search(r"\b2\s+PAYER-A\b", text) and re.search(r"\b1\s+PAYER-B\b", text)
    assert re.search(r"\b3\s+1234567893\b", text)
    assert "dead letter (undecodable)" in text
    assert max(len(row) for row in text.splitlines()) <= 80


def test_events_older_than_the_window_drop_out(processor: ClaimProcessor) -> None:
    summary = RejectionSummary(timedelta(minutes=15))
    summary.add(rejected(processor, line("92924")), NOW - timedelta(minutes=20))
    summary.add(rejected(processor, line("92924")), NOW - timedelta(minutes=5))
    assert "rejected claims: 1" in summary.render(NOW)


def test_enriched_claims_are_not_counted_and_no_patient_data_is_shown(
    processor: ClaimProcessor,
) -> None:
    summary = RejectionSummary(timedelta(minutes=60))
    summary.add(rejected(processor, line("92924", "LD")), NOW)  # enriched, not rejected
    summary.add(rejected(processor, line("92924")), NOW)
    text = summary.render(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    assert "rejected claims: 1" in text
    assert "M-SECRET-4711" not in text


def test_control_characters_in_ids_are_shown_escaped() -> None:
    summary = RejectionSummary(timedelta(minutes=15))
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    summary.add(
        {
            "event_type": "claim.dead_letter",
            "error_kind": "undecodable",
            "errors": [{"loc": "event", "msg": "bad\x1b[2J"}],
            "source": {"key": "CLM\x1b]0;pwned\x07"},
        },
        at,
    )
    shown = summary.render(at)
    assert "\x1b" not in shown and "\x07" not in shown
    assert "CLM\\x1b]0;pwned\\x07" in shown


def test_rich_markup_in_a_payer_id_or_claim_id_is_shown_as_written(
    processor: ClaimProcessor,
) -> None:
    summary = RejectionSummary(timedelta(minutes=60))
    summary.add(rejected(processor, line("92924"), payer_id="[/]"), NOW)
    summary.add(
        {
            "event_type": "claim.dead_letter",
            "error_kind": "[bold]x[/bold]",
            "errors": [{"loc": "event", "msg": "[/]"}],
            "source": {"key": "[red]CLM[/]"},
        },
        NOW,
    )
    text = summary.render(NOW)
    assert re.search(r"\b1\s+\[/\]", text)
    assert "[red]CLM[/]" in text
    assert "dead letter ([bold]x[/bold])" in text
