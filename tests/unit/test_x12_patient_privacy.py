"""Patient values never reach stderr, logs or exception text, however invalid they are.

Every claim here carries distinctive secret values (member id, names, birth date, address,
all containing SECRET, the birth date 1951-04-03); each test makes one of them invalid in a
different way (too long, a bad character, a bad date, a wrong format) and runs the command
line as a user would: the report must say where the problem is (segment, element, line,
what kind of problem) and never the value."""

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from service.adapters.x12.claims_837 import Unconvertible, claim_events
from service.adapters.x12.interchange import read_interchange
from service.entrypoints.cli import main
from tests.x12_837 import interchange_837

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "samples" / "claims.jsonl").read_text().splitlines()[0])
MEMBER_ID = "M778899SECRET"
LAST_NAME = "ZEBRASECRET"
FIRST_NAME = "XYLOSECRET"
BIRTH_DATE = "19510403"
STREET = "77 HIDDENSECRET LANE"
CITY = "SECRETVILLE"
SECRETS = ["SECRET", MEMBER_ID, LAST_NAME, FIRST_NAME, BIRTH_DATE, "1951-04", "19510", "HIDDEN"]


def secret_claim() -> dict[str, Any]:
    claim: dict[str, Any] = json.loads(json.dumps(SAMPLE["claim"]))
    claim["patient"].update(
        member_id=MEMBER_ID, last_name=LAST_NAME, first_name=FIRST_NAME, birth_date="1951-04-03"
    )
    return claim


def secret_837(form: str = "837P") -> str:
    """A valid 837 whose subscriber (the patient) carries the secrets, address included."""
    text = interchange_837([secret_claim()], "837P" if form == "837P" else "837I")
    text = text.replace("N3*2 SAMPLE AVENUE~", f"N3*{STREET}~", 1)
    return text.replace("N4*BIRMINGHAM*AL*35203~", f"N4*{CITY}*AL*35203~", 1)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked: {text}"


# (what is wrong, the valid text, its hostile replacement, the segment, its element)
HOSTILE = [
    ("member id too long", f"*MI*{MEMBER_ID}", "*MI*M-778899SECRET" + "X" * 90, "NM1", "09"),
    ("member id with a control character", MEMBER_ID, "M778899\x07SECRET", "NM1", "09"),
    ("member id outside the character set", MEMBER_ID, "M778899\u00e9SECRET", "NM1", "09"),
    ("last name too long", LAST_NAME, LAST_NAME + "Y" * 60, "NM1", "03"),
    ("last name with a control character", LAST_NAME, "ZEBRA\x01SECRET", "NM1", "03"),
    ("last name in another script", LAST_NAME, "ZEBRA\u4e2d\u6587SECRET", "NM1", "03"),
    ("first name too long", FIRST_NAME, FIRST_NAME + "Q" * 30, "NM1", "04"),
    ("first name with a control character", FIRST_NAME, "XYLO\x1fSECRET", "NM1", "04"),
    ("birth date that does not exist", f"*D8*{BIRTH_DATE}", "*D8*19510431", "DMG", "02"),
    ("birth date on February 30th", f"*D8*{BIRTH_DATE}", "*D8*19510230", "DMG", "02"),
    ("birth date of letters", f"*D8*{BIRTH_DATE}", "*D8*SECRET51", "DMG", "02"),
    ("birth date too short", f"*D8*{BIRTH_DATE}", "*D8*1951043", "DMG", "02"),
    ("birth date with dashes", f"*D8*{BIRTH_DATE}", "*D8*1951-04-03", "DMG", "02"),
    ("street too long", STREET, STREET + " APT" + "9" * 60, "N3", "01"),
    ("street with a control character", STREET, "77 HIDDEN\x02SECRET LANE", "N3", "01"),
    ("city too long", CITY, CITY + "Z" * 30, "N4", "01"),
    ("zip code too long", f"{CITY}*AL*35203", f"{CITY}*AL*SECRET1234567890", "N4", "03"),
    ("state code too long", f"{CITY}*AL*35203", f"{CITY}*SECRETSTATE*35203", "N4", "02"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[case[0] for case in HOSTILE])
@pytest.mark.parametrize("form", ["837P", "837I"])
def test_an_invalid_patient_value_is_reported_by_where_it_is_never_by_the_value(
    form: str,
    case: tuple[str, str, str, str, str],
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, old, new, segment, element = case
    text = secret_837(form)
    assert old in text
    path = tmp_path / "hostile.x12"
    path.write_text(text.replace(old, new, 1))
    with caplog.at_level(logging.DEBUG):
        code = main(["x12", "to-events", str(path)])
    captured = capsysbinary.readouterr()
    assert code == 2
    assert captured.out == b""
    err = captured.err.decode()
    assert_no_secret(err)
    assert_no_secret(caplog.text)
    assert f"segment {segment}" in err
    assert f"element {element}" in err
    assert "X12 error" in err


@pytest.mark.parametrize(
    ("old", "new"), [case[1:3] for case in HOSTILE], ids=[case[0] for case in HOSTILE]
)
def test_the_problems_of_an_invalid_patient_value_hold_no_value_in_their_text_or_repr(
    old: str, new: str
) -> None:
    interchange = read_interchange(secret_837().replace(old, new, 1))
    assert not interchange.valid
    assert interchange.problems
    assert_no_secret(repr(interchange.problems))
    assert_no_secret(" ".join(p.describe() for p in interchange.problems))


def test_a_too_long_member_id_names_the_element_and_the_kind_of_problem(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "hostile.x12"
    path.write_text(secret_837().replace(MEMBER_ID, "M-778899SECRET" + "X" * 90, 1))
    assert main(["x12", "to-events", str(path)]) == 2
    err = capsysbinary.readouterr().err.decode()
    assert "element 09 (Subscriber Primary Identifier)" in err
    assert "data element too long" in err
    assert_no_secret(err)


def test_an_invalid_birth_date_says_invalid_date_and_its_line(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    text = secret_837()
    path = tmp_path / "hostile.x12"
    path.write_text(text.replace(f"*D8*{BIRTH_DATE}", "*D8*19510431", 1))
    assert main(["x12", "to-events", str(path)]) == 2
    err = capsysbinary.readouterr().err.decode()
    line = next(n for n, s in enumerate(text.split("~"), 1) if s.startswith("DMG*"))
    assert f"line {line}, segment DMG" in err
    assert "invalid date" in err
    assert "19510431" not in err


def test_a_documented_patient_value_the_contract_refuses_is_reported_by_field_and_kind(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """The 837 leaves out the birth date; the documentation fills it with a bad one: the
    claim is reported (exit 3) with the field and pydantic's error type, not the value."""
    text = secret_837().replace(f"DMG*D8*{BIRTH_DATE}*M~", "", 1)
    x12 = tmp_path / "claims.x12"
    x12.write_text(_recounted(text))
    documentation = tmp_path / "documentation.jsonl"
    claim_id = SAMPLE["claim"]["claim_id"]
    documentation.write_text(
        json.dumps({"claim_id": claim_id, "patient": {"birth_date": "1951-04-31SECRET"}}) + "\n"
    )
    code = main(["x12", "to-events", str(x12), "--documentation", str(documentation)])
    captured = capsysbinary.readouterr()
    assert code == 3, captured.err
    err = captured.err.decode()
    assert "claim.patient.birth_date" in err
    assert "[date_from_datetime_parsing]" in err or "date_" in err
    assert_no_secret(err)


def test_documentation_that_is_not_json_is_refused_without_its_content(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    x12 = tmp_path / "claims.x12"
    x12.write_text(secret_837())
    documentation = tmp_path / "documentation.jsonl"
    documentation.write_text('{"claim_id": "A", "patient": {"last_name": ZEBRASECRET}}\n')
    code = main(["x12", "to-events", str(x12), "--documentation", str(documentation)])
    assert code == 2
    captured = capsysbinary.readouterr()
    assert b"documentation.jsonl:1: not JSON" in captured.err
    assert_no_secret(captured.err.decode())


def test_an_unconvertible_claims_problems_and_description_hold_no_patient_value() -> None:
    """A claim of a valid file that cannot be converted (units in minutes, a frequency and
    filing indicator with no meaning here) is described by what and where only."""
    text = secret_837().replace("*UN*1***", "*MJ*1***", 1).replace("*UN*1*", "*UN*1.5*", 1)
    text = text.replace(":B:1*", ":B:9*", 1)
    results = claim_events(read_interchange(text))
    assert len(results) == 1
    result = results[0]
    assert isinstance(result, Unconvertible)
    assert_no_secret(result.describe())
    assert_no_secret(repr(result.problems))
    assert "units in minutes (MJ)" in result.describe()


def _recounted(text: str) -> str:
    """The SE01 segment count after segments were taken out."""
    segments = text.split("~")
    start = next(n for n, s in enumerate(segments) if s.startswith("ST*"))
    end = next(n for n, s in enumerate(segments) if s.startswith("SE*"))
    fields = segments[end].split("*")
    fields[1] = str(end - start + 1)
    segments[end] = "*".join(fields)
    return "~".join(segments)


HOSTILE_PATIENTS: list[tuple[str, dict[str, Any]]] = [
    ("member id too long", {"member_id": "M-778899SECRET" + "X" * 90}),
    ("member id empty", {"member_id": ""}),
    ("member id a number", {"member_id": 77889951040}),
    ("last name too long", {"last_name": LAST_NAME + "Y" * 60}),
    ("first name too long", {"first_name": FIRST_NAME + "Q" * 30}),
    ("birth date that does not exist", {"birth_date": "1951-04-31"}),
    ("birth date of letters", {"birth_date": "SECRET-04-03"}),
    ("birth date without dashes", {"birth_date": BIRTH_DATE}),
    ("sex out of its list", {"sex": "SECRETSEX"}),
    ("patient a list", {"__all__": [MEMBER_ID, LAST_NAME, "1951-04-03"]}),
]


def _hostile_event(change: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(SAMPLE))
    event["claim"] = secret_claim()
    if "__all__" in change:
        event["claim"]["patient"] = change["__all__"]
    else:
        event["claim"]["patient"].update(change)
    return event


@pytest.mark.parametrize(
    "change", [c for _, c in HOSTILE_PATIENTS], ids=[n for n, _ in HOSTILE_PATIENTS]
)
def test_check_reports_an_invalid_patient_without_its_value_outside_the_original(
    change: dict[str, Any], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """The dead letter carries the event as sent (`original`, like an output topic); its
    errors, stderr and the table say the field and the kind of problem only."""
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(_hostile_event(change)) + "\n")
    assert main(["check", str(events)]) == 0
    captured = capsysbinary.readouterr()
    letter = json.loads(captured.out)
    assert letter["event_type"] == "claim.dead_letter"
    assert letter["errors"]
    assert all("claim.patient" in str(e["loc"]) for e in letter["errors"]), letter["errors"]
    assert_no_secret(json.dumps({k: v for k, v in letter.items() if k != "original"}))
    assert_no_secret(captured.err.decode())
    assert main(["check", "--table", str(events)]) == 0
    table = capsysbinary.readouterr()
    assert_no_secret(table.out.decode() + table.err.decode())


def test_check_on_a_line_that_is_not_json_keeps_its_content_out_of_the_errors(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"claim": {"patient": {"member_id": M778899SECRET}}}\n')
    assert main(["check", str(events)]) == 0
    captured = capsysbinary.readouterr()
    letter = json.loads(captured.out)
    assert_no_secret(json.dumps({k: v for k, v in letter.items() if k != "original"}))
    assert_no_secret(captured.err.decode())


@pytest.mark.parametrize(
    "change",
    [
        {"member_id": "M778899SECRET~ST*277*0001~"},
        {"last_name": "ZEBRA*SECRET:^~"},
        {"member_id": "M-778899SECRET" + "X" * 90, "last_name": LAST_NAME + "Y" * 60},
        {"last_name": None},
        {"member_id": None},
    ],
    ids=["separators in the member id", "separators in the name", "too long", "no name", "no id"],
)
def test_277ca_on_hostile_patient_values_keeps_them_off_stderr(
    change: dict[str, Any], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Outcomes carrying hostile patient values, and the dead letters `check` wrote for
    hostile events: the 277CA (its own output) may name the patient, stderr never."""
    claim = secret_claim()
    claim["submitter"] = {"name": "SAMPLE BILLING SERVICE", "id": "SUBMIT01"}
    claim["billing_provider"]["name"] = "SAMPLE HEART CENTER"
    claim["patient"].update(change)
    claim["patient"] = {k: v for k, v in claim["patient"].items() if v is not None}
    outcome = {**SAMPLE, "event_type": "claim.rejected", "claim": claim, "findings": []}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(_hostile_event({"birth_date": "1951-04-31"})) + "\n")
    assert main(["check", str(events)]) == 0
    dead_letter = capsysbinary.readouterr().out
    outcomes = tmp_path / "outcomes.jsonl"
    outcomes.write_bytes(json.dumps(outcome).encode() + b"\n" + dead_letter)
    code = main(
        ["x12", "277ca", str(outcomes), "--receiver-name", "SUBMITTER", "--receiver-id", "S1"]
    )
    captured = capsysbinary.readouterr()
    assert code == 3  # the dead letter at least is reported
    err = captured.err.decode()
    assert "999-style rejection, not in the 277CA: dead letter" in err
    assert_no_secret(err)


def test_the_repr_of_an_interchange_and_its_claims_holds_no_patient_value() -> None:
    """An interchange or a claim result that ends up in an assertion, a log record or an
    exception shows where it is, never the patient."""
    valid = read_interchange(secret_837())
    results = claim_events(valid)
    text = secret_837().replace("*UN*1***", "*MJ*1***", 1)
    unconvertible = claim_events(read_interchange(text))
    invalid = read_interchange(secret_837().replace(MEMBER_ID, MEMBER_ID + "X" * 90, 1))
    assert isinstance(unconvertible[0], Unconvertible)
    assert_no_secret(repr([valid, *valid.segments, *results, *unconvertible, invalid]))
