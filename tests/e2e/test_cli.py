"""`claim-edit check` and `claim-edit rules` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from service.entrypoints.cli import main
from tests.builders import event_document, line

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"
GOOD = event_document(line("92924", "LD"), event_id="good")
REJECTED = event_document(line("92924"), event_id="rejected")


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["check", *args])
    out = capsys.readouterr().out
    return code, [json.loads(text) for text in out.splitlines() if text.strip()]


def test_json_lines_file_gives_one_output_per_line_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n\n{broken\n" + orjson.dumps(REJECTED) + b"\n")
    code, outputs = check(capsys, str(path))
    assert code == 0
    assert [o["event_type"] for o in outputs] == [
        "claim.enriched",
        "claim.dead_letter",
        "claim.rejected",
    ]
    assert outputs[1]["source"] == {
        "topic": None,
        "partition": None,
        "offset": None,
        "key": None,
        "file": str(path),
        "line": 3,
    }


def test_a_whole_file_array_is_its_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([GOOD, REJECTED], indent=2))
    _, outputs = check(capsys, str(path))
    assert [o["source_event_id"] for o in outputs] == ["good", "rejected"]


def test_a_whole_file_object_is_one_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(GOOD, indent=2))
    _, outputs = check(capsys, str(path))
    assert [o["event_type"] for o in outputs] == ["claim.enriched"]


def test_fail_on_reject_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n" + orjson.dumps(REJECTED) + b"\n")
    assert check(capsys, "--fail-on-reject", str(path))[0] == 3
    only_good = tmp_path / "good.jsonl"
    only_good.write_bytes(orjson.dumps(GOOD) + b"\n")
    assert check(capsys, "--fail-on-reject", str(only_good))[0] == 0


def test_outputs_are_deterministic_apart_from_occurred_at(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, first = check(capsys, str(SAMPLES))
    _, second = check(capsys, str(SAMPLES))
    for a, b in zip(first, second, strict=True):
        a.pop("occurred_at")
        b.pop("occurred_at")
    assert first == second


def test_table_fits_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--table", str(SAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "SAMPLE-two-territories" in out and "1017.39" in out
    assert max(len(text) for text in out.splitlines()) <= 80


def test_a_bad_policy_file_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[actions]\n"PCI-NOPE-001" = "off"\n')
    assert main(["check", "--policy", str(policy), str(SAMPLES)]) == 2
    assert "PCI-NOPE-001" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_rules_lists_every_edit(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.count("PCI-") >= 23


def test_rules_as_of_2025_omits_the_2026_only_edit(capsys: pytest.CaptureFixture[str]) -> None:
    main(["rules", "--as-of", "2025-06-01", "--format", "json"])
    catalog = json.loads(capsys.readouterr().out)
    assert catalog["ruleset"] == "pci-2025"
    assert "PCI-TERR-004" not in [e["edit_id"] for e in catalog["edits"]]


def test_installed_command_reads_stdin() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "claim-edit"), "check"],
        input=orjson.dumps(GOOD) + b"\n",
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout)["event_type"] == "claim.enriched"


def test_a_bom_and_crlf_line_ends_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + orjson.dumps(GOOD) + b"\r\n" + orjson.dumps(REJECTED) + b"\r\n"
    )
    _, outputs = check(capsys, str(path))
    assert [o["event_type"] for o in outputs] == ["claim.enriched", "claim.rejected"]


def test_array_elements_are_numbered_from_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps([GOOD, "not an event"]))
    _, outputs = check(capsys, str(path))
    source = outputs[1]["source"]
    assert isinstance(source, dict) and source["offset"] == 2


def test_dead_letters_of_a_json_array_each_have_their_own_event_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps(["not an event", 7, {"event_type": "x"}]))
    _, outputs = check(capsys, str(path))
    assert [o["event_type"] for o in outputs] == ["claim.dead_letter"] * 3
    assert len({o["event_id"] for o in outputs}) == 3


@pytest.mark.parametrize("form", ["line", "array", "object"])
def test_an_event_over_the_limit_is_the_same_too_large_dead_letter_in_every_form(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    form: str,
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MAX_EVENT_BYTES", "4096")
    big = {**GOOD, "padding": "x" * 8000}
    content = {
        "line": orjson.dumps(big) + b"\n",
        "array": orjson.dumps([big]),
        "object": orjson.dumps(big),
    }[form]
    path = tmp_path / "big.json"
    path.write_bytes(content)
    _, [letter] = check(capsys, str(path))
    assert letter["error_kind"] == "too_large"
    assert letter["original_base64"] is None


def test_empty_input_says_so_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (0, "")
    assert "empty.jsonl: no events in it" in captured.err


def test_a_missing_policy_file_is_the_same_error_as_for_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--policy", str(tmp_path / "nope.toml"), str(SAMPLES)])
    assert code == 2
    assert capsys.readouterr().err.startswith(
        "claim-edit: configuration error: CLAIM_EDIT_POLICY_FILE: no such file"
    )


def test_a_closed_pipe_ends_check_quietly() -> None:
    claim_edit = Path(sys.executable).parent / "claim-edit"
    many = SAMPLES.read_bytes() * 200
    done = subprocess.run(
        f"{claim_edit} check | head -c 100 > /dev/null; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        input=many,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["rejections", "--once"], ["demo"]], ids=lambda c: c[0])
def test_no_broker_is_one_line_naming_the_address(command: list[str]) -> None:
    claim_edit = Path(sys.executable).parent / "claim-edit"
    done = subprocess.run(
        [str(claim_edit), *command],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"claim-edit {command[0]}: no Kafka broker answered at 127.0.0.1:9 within 10s "
        "(set KAFKA_BOOTSTRAP_SERVERS)"
    )
