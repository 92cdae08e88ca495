"""X12: 837P/837I in, 277CA out. Real third-party files, every worked sample in both forms,
and the same outcome whether a claim arrives as JSON or as an 837."""

import itertools
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.adapters.x12.ack_277ca import acknowledgement, acknowledgements, claim_statuses
from service.adapters.x12.claims_837 import Converted, Unconvertible, claim_events
from service.adapters.x12.interchange import interchange_of, read_interchange
from service.adapters.x12.writing import Envelope
from service.app.edit_event import Source
from service.config import ServiceSettings
from service.domain.registry import catalog_for
from service.entrypoints.cli import main
from tests.integration.running_service import PROCESSOR
from tests.outcomes import typed
from tests.x12_837 import interchange_837, written

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "x12-linuxforhealth"
SAMPLES = [
    json.loads(line) for line in (ROOT / "samples" / "claims.jsonl").read_text().splitlines()
]
EXPECTED = [
    json.loads(line) for line in (ROOT / "samples" / "expected.jsonl").read_text().splitlines()
]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def documentation() -> dict[str, dict[str, Any]]:
    lines = (ROOT / "samples" / "x12" / "documentation.jsonl").read_text().splitlines()
    return {json.loads(line)["claim_id"]: json.loads(line) for line in lines if line}


def outcomes_of(text: str) -> list[dict[str, Any]]:
    results = claim_events(read_interchange(text), documentation())
    assert all(isinstance(r, Converted) for r in results), [
        r.describe() for r in results if isinstance(r, Unconvertible)
    ]
    return [
        json.loads(PROCESSOR.process(json.dumps(r.event).encode(), Source(), NOW).value)
        for r in results
        if isinstance(r, Converted)
    ]


def x12valid(tmp_path: Path, text: str) -> str:
    """pyx12's own validator, as a separate program: its verdict line."""
    path = tmp_path / "document.x12"
    path.write_text(text)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "x12valid"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stderr.strip()


def test_the_committed_sample_files_are_what_the_samples_give() -> None:
    for name, text in written().items():
        assert (ROOT / "samples" / "x12" / name).read_text() == text, name


@pytest.mark.parametrize("name", ["samples.837p.x12", "samples.837i.x12"])
def test_every_sample_file_passes_the_validator(tmp_path: Path, name: str) -> None:
    text = (ROOT / "samples" / "x12" / name).read_text()
    assert x12valid(tmp_path, text).endswith(": OK")
    assert len(claim_events(read_interchange(text))) == len(SAMPLES)


def test_every_sample_as_an_837p_gets_the_outcome_its_json_gets() -> None:
    """Differential: the JSON sample and its 837P (plus the documentation file) are edited
    alike: same outcome, same findings, same lines billed, same national price. A hospital
    outpatient sample is compared with its 837I (an 837P is a professional claim)."""
    from_x12 = outcomes_of((ROOT / "samples" / "x12" / "samples.837p.x12").read_text())
    from_837i = outcomes_of((ROOT / "samples" / "x12" / "samples.837i.x12").read_text())
    for sample, expected, professional, institutional in zip(
        SAMPLES, EXPECTED, from_x12, from_837i, strict=True
    ):
        hospital = sample["claim"]["setting"] == "hospital_outpatient"
        outcome = institutional if hospital else professional
        direct = json.loads(PROCESSOR.process(json.dumps(sample).encode(), Source(), NOW).value)
        assert outcome["event_type"] == direct["event_type"] == expected["expect"]["event_type"]
        assert [
            (f["edit_id"], f["disposition"], f["line_numbers"]) for f in outcome["findings"]
        ] == [(f["edit_id"], f["disposition"], f["line_numbers"]) for f in direct["findings"]], (
            sample["event_id"]
        )
        assert outcome.get("changes") == direct.get("changes")
        if direct.get("pricing"):
            assert outcome["pricing"]["total_allowed"] == direct["pricing"]["total_allowed"]


@pytest.mark.parametrize("form", ["837P", "837I"])
def test_every_sample_round_trips_837_to_outcome_to_a_valid_277ca(
    tmp_path: Path, form: str
) -> None:
    claims = [sample["claim"] for sample in SAMPLES]
    outcomes = outcomes_of(interchange_837(claims, form))  # type: ignore[arg-type]
    answer = acknowledgement(typed(outcomes), 7, NOW)
    assert answer.unacknowledged == []
    assert answer.accepted + answer.rejected == len(SAMPLES)
    assert x12valid(tmp_path, answer.document).endswith(": OK")
    document = answer.document
    for outcome in outcomes:
        assert f"TRN*2*{outcome['claim']['claim_id']}~" in document
    assert document.count("STC*A2:20*") == answer.accepted
    assert f"QTY*AA*{answer.rejected}~" in document


def test_a_rejected_line_is_traced_by_its_line_item_control_number_and_status() -> None:
    claim = json.loads(json.dumps(SAMPLES[2]["claim"]))  # no territory modifier: line rejected
    claim["lines"][0]["line_item_control_number"] = "LINE-REF-1"
    outcomes = outcomes_of(interchange_837([claim], "837P"))
    assert outcomes[0]["event_type"] == "claim.rejected"
    document = acknowledgement(typed(outcomes), 1, NOW).document
    assert "SVC*HC:92924*1000*****1~STC*A7:453*20261127*U~REF*FJ*LINE-REF-1~" in document
    assert "STC*A7:453*20261127*U*1000********PCI-TERR-002 line 1~" in document


def test_every_edit_has_a_claim_status_with_its_source() -> None:
    statuses = claim_statuses()
    assert {spec.edit_id for spec in catalog_for(None)} <= set(statuses)
    assert all(s.category in {"A3", "A7"} and s.code and s.source for s in statuses.values())


def test_real_third_party_837_files_convert_or_are_reported() -> None:
    """The LinuxForHealth x12 fixtures (Apache-2.0, copied unmodified): 18 837P and 4 837I.
    12 do not validate (composites sent with '>' where ISA16 says ':', 837I values the
    guide marks not used, a missing 2330B); the claims of the 10 that do all use ICD-9
    (BK/BF), which the contract does not take, and are reported one by one, each with its
    CLM position."""
    files = sorted(p for p in FIXTURES.iterdir() if p.suffix in {".837", ".837i"})
    assert len(files) == 22
    valid = [read_interchange(p.read_text()) for p in files]
    assert sum(not i.valid for i in valid) == 12
    results = [r for i in valid if i.valid for r in claim_events(i)]
    assert len(results) == 10
    assert all(isinstance(r, Unconvertible) for r in results)
    example1 = next(r for r in results if r.claim_id == "26463774")
    assert isinstance(example1, Unconvertible)
    assert example1.problems == [
        "HI01 qualifier BK: ICD-9 codes are not edited (ABK/ABF)",
        "HI02 qualifier BF: ICD-9 codes are not edited (ABK/ABF)",
    ]


def test_a_third_party_file_with_its_diagnoses_in_icd10_converts_field_by_field() -> None:
    text = (FIXTURES / "demo.example1.837").read_text()
    text = text.replace("HI*BK:0340*BF:V7389~", "HI*ABK:I2510*ABF:I2584~")
    (result,) = claim_events(read_interchange(text))
    assert isinstance(result, Converted)
    claim = result.event["claim"]
    assert claim["claim_id"] == "26463774"
    assert claim["payer"] == {"payer_id": "999996666", "kind": "commercial"}
    assert claim["billing_provider"]["npi"] == "1912301953"
    assert claim["patient"]["member_id"] == "JS00111223333"
    assert (claim["patient"]["last_name"], claim["patient"]["birth_date"]) == (
        "SMITH",
        "1973-05-01",
    )
    assert claim["diagnoses"] == ["I25.10", "I25.84"]
    assert claim["place_of_service"] == "11"
    assert [
        (line["procedure_code"], line["charge"], line["diagnosis_pointers"])
        for line in claim["lines"]
    ] == [
        ("99213", "40.00", [1]),
        ("87070", "15.00", [1]),
        ("99214", "35.00", [2]),
        ("86663", "10.00", [2]),
    ]
    assert claim["service_facility"] == {"zip": "331110000"}  # 2010AA N403 (no 2310C)


def test_a_claim_in_minutes_is_reported_and_the_others_still_convert() -> None:
    claims = [sample["claim"] for sample in SAMPLES[:3]]
    text = interchange_837(claims, "837P").replace("*UN*1***", "*MJ*1***", 1)
    results = claim_events(read_interchange(text))
    assert [type(r).__name__ for r in results] == ["Unconvertible", "Converted", "Converted"]
    assert isinstance(results[0], Unconvertible)
    assert "units in minutes (MJ)" in results[0].describe()


def test_to_events_on_an_invalid_file_writes_nothing_and_names_segment_and_position(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    good = tmp_path / "good.x12"
    good.write_text((ROOT / "samples" / "x12" / "samples.837p.x12").read_text())
    bad = tmp_path / "bad.x12"
    bad.write_text(good.read_text().replace("CLM*SAMPLE-void*", "CLM**", 1))
    ack = tmp_path / "ack.999"
    code = main(["x12", "to-events", str(good), str(bad), "--ack", str(ack)])
    captured = capsysbinary.readouterr()
    assert code == 2
    assert captured.out == b""
    assert b"segment CLM, position" in captured.err
    assert "IK3*CLM*" in ack.read_text()


def test_to_events_then_check_then_277ca_on_the_command_line(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    sample = ROOT / "samples" / "x12" / "samples.837i.x12"
    assert main(["x12", "to-events", str(sample)]) == 0
    events = tmp_path / "events.jsonl"
    events.write_bytes(capsysbinary.readouterr().out)
    assert len(events.read_bytes().splitlines()) == len(SAMPLES)
    assert main(["check", str(events)]) == 0
    outcomes = tmp_path / "outcomes.jsonl"
    dead_letter = {
        "event_type": "claim.dead_letter",
        "event_id": "d1",
        "error_kind": "undecodable",
        "source": {"file": "x", "line": 3},
        "errors": [],
    }
    outcomes.write_bytes(capsysbinary.readouterr().out + json.dumps(dead_letter).encode() + b"\n")
    assert main(["x12", "277ca", str(outcomes)]) == 3  # the dead letter is reported
    captured = capsysbinary.readouterr()
    assert b"999-style rejection, not in the 277CA: dead letter d1 (undecodable)" in captured.err
    assert read_interchange(captured.out.decode()).valid


def test_bytes_that_are_not_x12_are_invalid_without_a_999() -> None:
    for raw in [b"", b"\xff\xfe\x00", b"{}", b"ISA*00*" + b"x" * 10]:
        interchange = interchange_of(raw)
        assert not interchange.valid
        assert interchange.problems


def test_a_999_for_a_later_errata_file_names_the_version_the_sender_used(tmp_path: Path) -> None:
    interchange = read_interchange((FIXTURES / "demo.example6.837").read_text())
    assert not interchange.valid
    assert "AK1*HC*1*005010X222A2~" in interchange.acknowledgement
    assert "AK2*837*3701*005010X222A2~" in interchange.acknowledgement
    assert x12valid(tmp_path, interchange.acknowledgement).endswith(": OK")


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("a line break after each segment", lambda t: t.replace("~", "~\n")),
        ("CRLF after each segment", lambda t: t.replace("~", "~\r\n")),
        ("a UTF-8 byte-order mark", lambda t: "\ufeff" + t),
    ],
)
def test_common_file_shapes_read_the_same(name: str, shape: Any) -> None:
    text = (ROOT / "samples" / "x12" / "samples.837p.x12").read_text()
    plain = [r.event for r in claim_events(read_interchange(text)) if isinstance(r, Converted)]
    interchange = interchange_of(shape(text).encode())
    assert interchange.valid, name
    shaped = [r.event for r in claim_events(interchange) if isinstance(r, Converted)]
    assert shaped == plain


def test_another_payers_loops_do_not_speak_for_the_claim() -> None:
    """2320/2330 describe another payer (coordination of benefits): their REF*F8 is that
    payer's claim number, not the claim's."""
    claim = SAMPLES[0]["claim"]
    text = interchange_837([claim], "837P")
    other_payer = (
        "SBR*S*18*******CI~OI***Y***Y~NM1*IL*1*DOE*JANE****MI*OTHER1~"
        "NM1*PR*2*OTHER PAYER*****PI*OP1~REF*F8*OTHERPAYERCCN~"
    )
    text = text.replace("~LX*1~", f"~{other_payer}LX*1~", 1)
    count = re.search(r"~SE\*(\d+)\*", text)
    assert count is not None
    text = text.replace(count.group(0), f"~SE*{int(count.group(1)) + 5}*")  # 5 more segments
    interchange = read_interchange(text)
    assert interchange.valid, [p.describe() for p in interchange.problems]
    (result,) = claim_events(interchange)
    assert isinstance(result, Converted)
    assert "payer_claim_control_number" not in result.event["claim"]
    assert result.event["claim"]["payer"]["payer_id"] == claim["payer"]["payer_id"]


def test_a_claim_past_the_contracts_limits_is_reported_with_the_limit() -> None:
    """837I allows 999 lines; the contract 50: the claim is reported, not the file."""
    claim = json.loads(json.dumps(SAMPLES[1]["claim"]))
    claim["lines"] = [dict(claim["lines"][0], line_number=n) for n in range(1, 52)]
    text = interchange_837([claim, SAMPLES[0]["claim"]], "837I")
    results = claim_events(read_interchange(text))
    assert [type(r).__name__ for r in results] == ["Unconvertible", "Converted"]
    assert isinstance(results[0], Unconvertible)
    assert any("claim.lines" in p and "50" in p for p in results[0].problems), results[0]


def test_an_accepted_claim_with_a_line_removed_is_acknowledged_for_its_whole_charge() -> None:
    """The enriched claim bills one line of two (PCI-TERR-001 removed 92920); the 277CA
    acknowledges the claim as sent: CLM02, kept through the edits as `total_charge`."""
    claim = SAMPLES[1]["claim"]
    (outcome,) = outcomes_of(interchange_837([claim], "837P"))
    assert outcome["event_type"] == "claim.enriched"
    assert len(outcome["claim"]["lines"]) == 1
    sent = sum(float(line["charge"]) for line in claim["lines"])
    document = acknowledgement(typed([outcome]), 1, NOW).document
    assert f"STC*A2:20*20261127*WQ*{sent:g}~" in document


def test_a_277ca_of_thousands_of_claims_is_split_under_the_default_limit_each_claim_once() -> None:
    """The default 1 MiB topic limit is reached by a 277CA of roughly 4,500-8,600 claims:
    9,000 claims (the samples, numbered) give parts each under the default setting, each a
    valid 277CA, every claim in exactly one."""
    limit = ServiceSettings.model_fields["topic_277ca_max_bytes"].default
    samples = outcomes_of(interchange_837([sample["claim"] for sample in SAMPLES], "837P"))
    outcomes = [
        {**outcome, "claim": {**outcome["claim"], "claim_id": f"BIG-{n:05d}"}}
        for n, outcome in zip(range(9000), itertools.cycle(samples))
    ]
    envelope = Envelope("CLAIMEDIT", "SUBMIT01", 0, NOW, usage="T")
    answer = acknowledgements(
        typed(outcomes), envelope, max_bytes=limit, control_number=lambda part: 500 + part
    )
    assert len(answer.documents) >= 2
    assert answer.accepted + answer.rejected == len(outcomes)
    acknowledged: list[str] = []
    for number, document in enumerate(answer.documents, start=500):
        assert len(document.encode()) <= limit
        interchange = read_interchange(document)
        assert interchange.valid, [p.describe() for p in interchange.problems[:3]]
        assert interchange.control_number == f"{number:09d}"
        acknowledged += re.findall(r"~TRN\*2\*(BIG-\d+)~", document)
    assert sorted(acknowledged) == [f"BIG-{n:05d}" for n in range(9000)]


def test_two_claims_of_one_subscriber_are_both_read_each_with_its_own_excerpt() -> None:
    """2300 repeats under one subscriber (HL 22): the first claim was dropped when the
    second CLM began; a claim's excerpt holds its own CLM loop, not its neighbour's."""
    claim = SAMPLES[0]["claim"]
    text = interchange_837([claim], "837P").replace("*UN*1***", "*MJ*1***")
    start, end = text.index("CLM*"), text.index("~SE*") + 1
    second = text[start:end].replace(f"CLM*{claim['claim_id']}*", "CLM*SECOND-CLAIM*", 1)
    count = re.search(r"~SE\*(\d+)\*", text)
    assert count is not None
    added = second.count("~")
    text = (
        text[:end]
        + second
        + text[end:].replace(count.group(1), str(int(count.group(1)) + added), 1)
    )
    interchange = read_interchange(text)
    assert interchange.valid, [p.describe() for p in interchange.problems]
    results = claim_events(interchange)
    assert [r.claim_id for r in results] == [claim["claim_id"], "SECOND-CLAIM"]
    first, other = results
    assert isinstance(first, Unconvertible) and isinstance(other, Unconvertible)
    assert "SECOND-CLAIM" not in first.excerpt
    assert f"CLM*{claim['claim_id']}*" not in other.excerpt
    assert read_interchange(other.excerpt).valid
