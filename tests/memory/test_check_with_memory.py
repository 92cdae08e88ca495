"""`claim-edit check --memory URL` on a real PostgreSQL: the worked memory samples, edited in
file order, give the outcomes the domain gives with a plain list; run again, the same
outcomes (a replay sees what it saw the first time)."""

import secrets
from pathlib import Path

import orjson
import pytest

from service.entrypoints.cli import main
from tests.history_cases import edit_in_order
from tests.unit.test_worked_memory_samples import EVENTS

pytestmark = pytest.mark.memory
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "memory-claims.jsonl"


def checked(url: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["check", "--memory", url, str(SAMPLES)]) == 0
    return [orjson.loads(text) for text in capsys.readouterr().out.splitlines() if text]


def test_check_with_a_memory_catches_the_duplicate_and_the_disagreement_and_replays_alike(
    memory_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", secrets.token_hex(16))  # patients of its own
    first = checked(memory_url, capsys)
    expected = edit_in_order(EVENTS)
    for document, event in zip(first, EVENTS, strict=True):
        outcome = expected[event.event_id]
        assert document["event_type"] == outcome.event_type
        assert [(f["edit_id"], f["line_numbers"]) for f in document["findings"]] == [  # type: ignore[attr-defined]
            (f.edit_id, list(f.line_numbers)) for f in outcome.findings
        ]
    shown = {f["edit_id"] for d in first for f in d["findings"]}  # type: ignore[attr-defined]
    assert {"PCI-HIST-001", "PCI-HIST-005"} <= shown
    again = checked(memory_url, capsys)
    assert [(d["event_id"], d["findings"]) for d in again] == [
        (d["event_id"], d["findings"]) for d in first
    ]


def test_check_without_the_secret_names_it_and_edits_nothing(
    memory_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAIM_EDIT_MEMORY_SECRET", raising=False)
    assert main(["check", "--memory", memory_url, str(SAMPLES)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "CLAIM_EDIT_MEMORY_SECRET" in captured.err
    assert memory_url not in captured.err  # a URL may carry a password


def test_check_with_a_memory_that_does_not_answer_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "a-secret-of-16-characters")
    closed = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
    assert main(["check", "--memory", closed, str(SAMPLES)]) == 2
    err = capsys.readouterr().err
    assert "claim memory unavailable" in err and len(err.strip().splitlines()) == 1
