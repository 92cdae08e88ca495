"""Writes a ClaimSubmitted claim as an 837P or 837I (005010) interchange, for tests and the
sample files: `python -m tests.x12_837` rewrites samples/x12/ (every worked sample as an
837P and as an 837I, and the documentation the 837 cannot carry, for `--documentation`);
tests/unit/test_x12.py checks they are up to date.

It writes what `claim-edit x12 to-events` reads, in the guide's order; what the 837 needs
and the contract does not hold (names, addresses, the tax id) is filled with the obvious
placeholders of a sample file below, taken from the claim when it carries them.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from service.adapters.x12.writing import Envelope, amount, segment

Form = Literal["837P", "837I"]
VERSIONS: dict[Form, str] = {"837P": "005010X222A1", "837I": "005010X223A2"}
FREQUENCY_CODES = {"original": "1", "replacement": "7", "void": "8"}
FILING = {"medicare": "MB", "medicare_advantage": "16", "medicaid": "MC", "commercial": "CI"}
SAMPLE_ZIP = "352030000"  # a ZIP+4 in the shipped ZIP5 file (Birmingham, AL: 35203)
CARDIAC_CATH_LAB = "0481"  # NUBC revenue code: cardiology, cardiac cath lab


def interchange_837(
    claims: Sequence[Mapping[str, Any]],
    form: Form,
    *,
    control_number: int = 1,
    at: datetime = datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
    sender: str = "SUBMIT01",
    usage: str = "T",
) -> str:
    """One interchange, one transaction set, every claim under its own billing provider and
    subscriber loops (HL 20 / HL 22). `sender` is the ISA06 and GS02 (the 1000A submitter
    stays SUBMIT01); `usage` the ISA15."""
    body = [
        segment(
            "BHT",
            "0019",
            "00",
            str(control_number),
            at.strftime("%Y%m%d"),
            at.strftime("%H%M"),
            "CH",
        ),
        segment("NM1", "41", "2", "SAMPLE BILLING SERVICE", "", "", "", "", "46", "SUBMIT01"),
        segment("PER", "IC", "BILLING CONTACT", "TE", "2055550100"),
        segment("NM1", "40", "2", "SAMPLE PAYER", "", "", "", "", "46", "PAYER01"),
    ]
    hl = 0
    for claim in claims:
        hl += 1
        provider = hl
        hl += 1
        body += _claim(claim, form, provider, hl)
    return Envelope(sender, "CLAIMEDIT", control_number, at, usage=usage).wrap(
        "HC", VERSIONS[form], body
    )


def _claim(claim: Mapping[str, Any], form: Form, provider: int, subscriber: int) -> list[str]:
    institutional = form == "837I"
    billing = claim["billing_provider"]
    patient = claim["patient"]
    zip_code = (claim.get("service_facility") or {}).get("zip") or SAMPLE_ZIP
    rows = [segment("HL", str(provider), "", "20", "1")]
    if claim["setting"] == "asc" and not institutional:
        rows.append(segment("PRV", "BI", "PXC", "261QA1200X"))
    rows += [
        segment(
            "NM1",
            "85",
            "2",
            billing.get("name", "SAMPLE HEART CENTER"),
            "",
            "",
            "",
            "",
            "XX",
            billing["npi"],
        ),
        segment("N3", "1 SAMPLE STREET"),
        segment("N4", "BIRMINGHAM", "AL", zip_code.ljust(9, "0")),
        segment("REF", "EI", "123456789"),
        segment("HL", str(subscriber), str(provider), "22", "0"),
        segment("SBR", "P", "18", "", "", "", "", "", "", FILING[claim["payer"]["kind"]]),
        segment(
            "NM1",
            "IL",
            "1",
            patient.get("last_name", "SAMPLE"),
            patient.get("first_name", "PATIENT"),
            "",
            "",
            "",
            "MI",
            patient["member_id"],
        ),
        segment("N3", "2 SAMPLE AVENUE"),
        segment("N4", "BIRMINGHAM", "AL", "35203"),
        segment("DMG", "D8", patient["birth_date"].replace("-", ""), patient["sex"]),
        segment("NM1", "PR", "2", "SAMPLE PAYER", "", "", "", "", "PI", claim["payer"]["payer_id"]),
    ]
    lines = claim["lines"]
    total = amount(sum((Decimal(str(line["charge"])) for line in lines), Decimal(0)))
    frequency = FREQUENCY_CODES[claim["frequency"]]
    dates = sorted(line["service_date"].replace("-", "") for line in lines)
    if institutional:
        rows.append(
            segment(
                "CLM", claim["claim_id"], total, "", "", ["13", "A", frequency], "", "A", "Y", "Y"
            )
        )
        rows.append(segment("DTP", "434", "RD8", f"{dates[0]}-{dates[-1]}"))
        rows.append(segment("CL1", "3", "", "01"))  # elective; discharged to home
    else:
        rows.append(
            segment(
                "CLM",
                claim["claim_id"],
                total,
                "",
                "",
                [claim["place_of_service"], "B", frequency],
                "Y",
                "A",
                "Y",
                "Y",
            )
        )
    if claim.get("payer_claim_control_number"):
        rows.append(segment("REF", "F8", claim["payer_claim_control_number"]))
    codes = [code.replace(".", "") for code in claim["diagnoses"]]
    if institutional:
        rows.append(segment("HI", ["ABK", codes[0]]))
        if codes[1:]:
            rows.append(segment("HI", *[["ABF", code] for code in codes[1:]]))
    else:
        rows.append(segment("HI", ["ABK", codes[0]], *[["ABF", code] for code in codes[1:]]))
    renderer = claim["rendering_provider"]["npi"]
    if institutional:
        rows.append(segment("NM1", "71", "1", "SAMPLE", "CARDIOLOGIST", "", "", "", "XX", renderer))
    elif renderer != billing["npi"]:
        rows.append(segment("NM1", "82", "1", "SAMPLE", "CARDIOLOGIST", "", "", "", "XX", renderer))
    if claim.get("service_facility") and not institutional:
        rows += [
            segment("NM1", "77", "2", "SAMPLE CATH LAB"),
            segment("N3", "3 SAMPLE ROAD"),
            segment("N4", "BIRMINGHAM", "AL", claim["service_facility"]["zip"]),
        ]
    for line in lines:
        procedure = ["HC", line["procedure_code"], *line.get("modifiers", [])]
        rows.append(segment("LX", str(line["line_number"])))
        if institutional:
            rows.append(
                segment(
                    "SV2",
                    CARDIAC_CATH_LAB,
                    procedure,
                    amount(line["charge"]),
                    "UN",
                    str(line["units"]),
                )
            )
        else:
            rows.append(
                segment(
                    "SV1",
                    procedure,
                    amount(line["charge"]),
                    "UN",
                    str(line["units"]),
                    "",
                    "",
                    [str(p) for p in line["diagnosis_pointers"]],
                )
            )
        rows.append(segment("DTP", "472", "D8", line["service_date"].replace("-", "")))
        if line.get("line_item_control_number"):
            rows.append(segment("REF", "6R", line["line_item_control_number"]))
    return rows


ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def numbered_sample_claims(count: int, prefix: str) -> list[dict[str, Any]]:
    """The worked samples' claims, repeated to `count`, with claim ids `<prefix>-<nnn>`."""
    samples = [
        json.loads(line)["claim"]
        for line in (SAMPLES / "claims.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return [
        {**samples[index % len(samples)], "claim_id": f"{prefix}-{index:03d}"}
        for index in range(count)
    ]


def written() -> dict[str, str]:
    claims = [
        json.loads(line)["claim"]
        for line in (SAMPLES / "claims.jsonl").read_text().splitlines()
        if line.strip()
    ]
    documentation = [
        json.dumps(
            {
                "claim_id": claim["claim_id"],
                "procedure": claim["procedure"],
                "rendering_provider": {
                    "qualifying_apm_participant": claim["rendering_provider"].get(
                        "qualifying_apm_participant", False
                    )
                },
            }
        )
        for claim in claims
        if claim.get("procedure")
    ]
    return {
        "samples.837p.x12": interchange_837(claims, "837P") + "\n",
        "samples.837i.x12": interchange_837(claims, "837I") + "\n",
        "documentation.jsonl": "\n".join(documentation) + "\n",
    }


def main() -> None:
    for name, text in written().items():
        (SAMPLES / "x12" / name).write_text(text)
        print(f"samples/x12/{name}")


if __name__ == "__main__":
    main()
