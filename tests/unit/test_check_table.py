"""`claim-edit check --table`: a summary line, totals that say why they are missing, error
positions counted from 1, and long file names wrapped at their separators."""

import json
from pathlib import Path

import orjson
import pytest

from service.entrypoints.cli import main
from service.entrypoints.rendering import one_based, wrapped_where
from tests.builders import event_document, line

GOOD = event_document(line("92924", "LD", charge="1200.00"), event_id="good")
REJECTED = event_document(line("92924", charge="800.00"), event_id="rejected")
BAD_UNITS = event_document(line("92924", "LD", units=0), event_id="bad")


def table(tmp_path: Path, capsys: pytest.CaptureFixture[str], *documents: object) -> str:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in documents))
    assert main(["check", "--table", str(path)]) == 0
    return capsys.readouterr().out


def last_paragraph(out: str) -> str:
    """The summary after the closing rule, as one line."""
    return " ".join(out.rsplit("─" * 80, maxsplit=1)[-1].split())


def test_the_table_ends_with_counts_and_the_total_charge_and_payable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = last_paragraph(table(tmp_path, capsys, GOOD, GOOD))
    assert summary.startswith("2 claims: 2 enriched, 0 rejected, 0 dead letters;")
    assert "charge 2400.00;" in summary
    check_json = tmp_path / "good.jsonl"
    check_json.write_bytes(orjson.dumps(GOOD) + b"\n")
    main(["check", str(check_json)])
    payable = json.loads(capsys.readouterr().out)["pricing"]["total_payable"]
    assert summary.endswith(f"payable {2 * float(payable):.2f}")


def test_a_missing_payable_total_says_which_claims_lack_one_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = last_paragraph(table(tmp_path, capsys, GOOD, REJECTED, REJECTED))
    assert "payable n/a — 2 claims unpriced: 2 rejected; " in summary
    assert summary.endswith("for the 1 priced")
    assert "charge 2800.00;" in summary  # rejected claims still carry their charges


def test_a_dead_letter_makes_the_charge_unknown_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = last_paragraph(table(tmp_path, capsys, GOOD, BAD_UNITS))
    assert "1 dead letter;" in summary
    assert "charge n/a — 1 dead letter without a claim; 1200.00 for the 1 read" in summary
    assert "unpriced: 1 dead letter" in summary


def test_a_claim_with_an_unpriced_line_shows_why_under_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unpriced = event_document(line("92924", "LD"), line("92930", "RC"), event_id="unpriced")
    out = table(tmp_path, capsys, unpriced)
    assert " n/a" not in out.split("─" * 80)[1]  # no bare n/a in the rows
    assert "no price" in out
    assert "no total: line 2 (92930)" in " ".join(out.split())
    assert "unpriced: 1 with a line without a price" in last_paragraph(out)


def test_error_positions_count_from_1_in_the_table_and_from_0_in_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = table(tmp_path, capsys, BAD_UNITS)
    assert "claim.lines.1.units:" in out
    assert "claim.lines.0.units" not in out
    assert "count from 1" in out
    path = tmp_path / "bad.jsonl"
    path.write_bytes(orjson.dumps(BAD_UNITS) + b"\n")
    main(["check", str(path)])
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [e["loc"] for e in errors] == ["claim.lines.0.units"]


def test_only_list_positions_are_renumbered() -> None:
    assert one_based("claim.lines.0.modifiers.10") == "claim.lines.1.modifiers.11"
    assert one_based("claim.diagnoses") == "claim.diagnoses"
    assert one_based("event") == "event"


def test_a_long_file_name_wraps_at_its_separators_with_the_line_kept_on() -> None:
    wrapped = wrapped_where("cath-lab_march-2026.claims.jsonl:12", width=18).splitlines()
    assert wrapped == ["cath-lab_march-", "2026.claims.", "jsonl:12"]


def test_a_name_without_separators_is_cut_only_where_it_must_be() -> None:
    wrapped = wrapped_where("x" * 40 + ":3", width=18).splitlines()
    assert [len(text) for text in wrapped] == [18, 18, 6]


def test_the_table_with_a_long_file_name_still_fits_80_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a-very-long-file_name-of.some.claims-from-the-cath-lab.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n")
    assert main(["check", "--table", str(path)]) == 0
    out = capsys.readouterr().out
    assert max(len(text) for text in out.splitlines()) <= 80
    assert "a-very-long-file_" in out.splitlines()[2]
