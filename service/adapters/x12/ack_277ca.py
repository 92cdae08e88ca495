"""Outcome events → one 277CA (005010X214) claim acknowledgement.

An enriched claim is acknowledged `STC*A2:20` (accepted into adjudication: accepted for
processing). A rejected claim gets one claim-level STC per distinct status its blocking
findings map to, and each line a blocking finding names gets its own 2220D service line
with its status (up to three: STC01, STC10, STC11), traced by `REF*FJ` (the 837 REF*6R line
item control number) when the line had one, else by its SVC position and LX number in
STC12... which X214 leaves unused at line level, so the claim-level STC12 says which edits
fired on which line numbers. The edit → status table is `reference/x12/claim_status.csv`.

Dead letters are not claims: they are not 277CA rows (`Acknowledged.unacknowledged` counts
them, and the caller reports them). A claim without what a 277CA must name (the patient's
last name, the billing provider's name and NPI) is not guessed: it is left out and
reported the same way.
"""

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from service.adapters.x12.writing import Envelope, amount, segment

VERSION = "005010X214"
BLOCKING = {"claim_rejection", "line_rejection"}
MAX_LINE_STATUSES = 3  # STC01, STC10, STC11
MAX_MESSAGE = 264  # STC12


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    category: str
    code: str
    text: str
    source: str


@cache
def claim_statuses() -> dict[str, ClaimStatus]:
    """edit id → the claim status category and code its blocking finding is reported as."""
    table = files("reference").joinpath("x12", "claim_status.csv")
    with table.open(encoding="utf-8") as handle:
        return {
            row["edit_id"]: ClaimStatus(
                row["category"], row["status_code"], row["status_text"], row["source"]
            )
            for row in csv.DictReader(handle)
        }


class NoReceiverError(ValueError):
    """Nothing says who the 277CA goes to."""


@dataclass(frozen=True, slots=True)
class Parties:
    """The 277CA's information source (us) and receiver (who sent the 837)."""

    source_name: str = "CLAIM EDIT"
    source_id: str = "CLAIMEDIT"
    receiver_name: str | None = None
    receiver_id: str | None = None


@dataclass
class Acknowledged:
    document: str
    accepted: int = 0
    rejected: int = 0
    unacknowledged: list[str] = field(default_factory=list)  # why each was left out


def acknowledgement(
    outcomes: Iterable[Mapping[str, Any]],
    control_number: int,
    at: datetime,
    parties: Parties = Parties(),
) -> Acknowledged:
    """One 277CA for the outcomes; raises NoReceiverError when nothing names its receiver."""
    claims: list[Mapping[str, Any]] = []
    left_out: list[str] = []
    for outcome in outcomes:
        missing = _missing(outcome)
        if missing:
            left_out.append(missing)
        else:
            claims.append(outcome)
    receiver_name, receiver_id = _receiver(claims, parties)
    envelope = Envelope(parties.source_id, receiver_id, control_number, at)
    day = envelope.at.strftime("%Y%m%d")
    charges = [_charge(o["claim"]) for o in claims]
    rejected = [o["event_type"] == "claim.rejected" for o in claims]
    body = [
        segment(
            "BHT",
            "0085",
            "08",
            str(envelope.control_number),
            day,
            envelope.at.strftime("%H%M"),
            "TH",
        ),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "AY", "2", parties.source_name, "", "", "", "", "46", parties.source_id),
        segment("TRN", "1", str(envelope.control_number)),
        segment("DTP", "050", "D8", day),
        segment("DTP", "009", "D8", day),
        segment("HL", "2", "1", "21", "1" if claims else "0"),
        segment("NM1", "41", "2", receiver_name, "", "", "", "", "46", receiver_id),
        segment("TRN", "2", str(envelope.control_number)),
        segment("STC", ["A1", "20"], day, "WQ", amount(sum(charges, Decimal(0)))),
        segment("QTY", "90", str(rejected.count(False))),
        segment("QTY", "AA", str(rejected.count(True))),
        segment(
            "AMT",
            "YU",
            amount(sum((c for c, r in zip(charges, rejected, strict=True) if not r), Decimal(0))),
        ),
        segment(
            "AMT",
            "YY",
            amount(sum((c for c, r in zip(charges, rejected, strict=True) if r), Decimal(0))),
        ),
    ]
    counter = 2
    for npi, group in _by_billing_provider(claims).items():
        counter += 1
        provider = counter
        group_charges = [_charge(o["claim"]) for o in group]
        body += [
            segment("HL", str(provider), "2", "19", "1"),
            segment(
                "NM1",
                "85",
                "2",
                group[0]["claim"]["billing_provider"]["name"],
                "",
                "",
                "",
                "",
                "XX",
                npi,
            ),
            segment("TRN", "1", "0"),
            segment("STC", ["A1", "20"], "", "WQ", amount(sum(group_charges, Decimal(0)))),
        ]
        for outcome in group:
            counter += 1
            body += _claim_rows(outcome, counter, provider, day)
    document = envelope.wrap("HN", VERSION, body)
    return Acknowledged(document, rejected.count(False), rejected.count(True), left_out)


def _claim_rows(outcome: Mapping[str, Any], number: int, parent: int, day: str) -> list[str]:
    claim = outcome["claim"]
    patient = claim["patient"]
    lines = claim["lines"]
    charge = amount(_charge(claim))
    dates = sorted(line["service_date"] for line in lines)
    rows = [
        segment("HL", str(number), str(parent), "PT"),
        segment(
            "NM1",
            "QC",
            "1",
            patient["last_name"],
            patient.get("first_name") or "",
            "",
            "",
            "",
            "MI",
            patient["member_id"],
        ),
        segment("TRN", "2", claim["claim_id"]),
    ]
    blocking = [f for f in outcome.get("findings", []) if f["disposition"] in BLOCKING]
    if outcome["event_type"] == "claim.enriched":
        rows.append(segment("STC", ["A2", "20"], day, "WQ", charge))
    else:
        statuses = _distinct(_status(f) for f in blocking)
        message = "; ".join(
            f["edit_id"]
            + (f" line {','.join(map(str, f['line_numbers']))}" if f["line_numbers"] else "")
            for f in blocking
        )[:MAX_MESSAGE]
        for status in statuses:
            rows.append(
                segment(
                    "STC",
                    [status.category, status.code],
                    day,
                    "U",
                    charge,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    message,
                )
            )
    if claim.get("payer_claim_control_number"):
        rows.append(segment("REF", "1K", claim["payer_claim_control_number"]))
    rows.append(
        segment("DTP", "472", "RD8", f"{_d8(dates[0])}-{_d8(dates[-1])}")
        if dates[0] != dates[-1]
        else segment("DTP", "472", "D8", _d8(dates[0]))
    )
    if outcome["event_type"] == "claim.rejected":
        by_line: dict[int, list[ClaimStatus]] = {}
        for finding in blocking:
            if finding["disposition"] != "line_rejection":
                continue
            for line_number in finding["line_numbers"]:
                by_line.setdefault(line_number, []).append(_status(finding))
        for line in lines:
            statuses = _distinct(by_line.get(line["line_number"], []))[:MAX_LINE_STATUSES]
            if statuses:
                rows += _line_rows(line, statuses, day)
    return rows


def _line_rows(line: Mapping[str, Any], statuses: list[ClaimStatus], day: str) -> list[str]:
    first, *more = statuses
    extra = [[s.category, s.code] for s in more]
    rows = [
        segment(
            "SVC",
            ["HC", line["procedure_code"], *line.get("modifiers", [])],
            amount(line["charge"]),
            "",
            "",
            "",
            "",
            str(line["units"]),
        ),
        segment("STC", [first.category, first.code], day, "U", "", "", "", "", "", "", *extra),
    ]
    if line.get("line_item_control_number"):
        rows.append(segment("REF", "FJ", line["line_item_control_number"]))
    rows.append(segment("DTP", "472", "D8", _d8(line["service_date"])))
    return rows


def _status(finding: Mapping[str, Any]) -> ClaimStatus:
    status = claim_statuses().get(finding["edit_id"])
    if status is None:  # an edit the table does not know: say so, never a made-up code
        return ClaimStatus("A3", "21", "Missing or invalid information", "no row for the edit")
    return status


def _distinct(statuses: Iterable[ClaimStatus]) -> list[ClaimStatus]:
    seen: dict[tuple[str, str], ClaimStatus] = {}
    for status in statuses:
        seen.setdefault((status.category, status.code), status)
    return list(seen.values())


def _missing(outcome: Mapping[str, Any]) -> str | None:
    kind = outcome.get("event_type")
    if kind not in {"claim.enriched", "claim.rejected"}:
        what = kind or "an event without event_type"
        return f"{what} {outcome.get('event_id', '')}: not a claim outcome"
    claim = outcome.get("claim") or {}
    needs = {
        "patient.last_name": (claim.get("patient") or {}).get("last_name"),
        "billing_provider.name": (claim.get("billing_provider") or {}).get("name"),
        "lines": claim.get("lines"),
    }
    absent = [name for name, value in needs.items() if not value]
    if absent:
        return f"claim {claim.get('claim_id')}: no {', '.join(absent)} for the 277CA"
    return None


def _receiver(claims: list[Mapping[str, Any]], parties: Parties) -> tuple[str, str]:
    submitter = (
        next((o["claim"].get("submitter") for o in claims if o["claim"].get("submitter")), None)
        or {}
    )
    name = parties.receiver_name or submitter.get("name")
    identifier = parties.receiver_id or submitter.get("id")
    if not name or not identifier:
        raise NoReceiverError(
            "the 277CA's receiver (2100B) is unknown: no claim carries the 837 submitter; "
            "name it (--receiver-name, --receiver-id)"
        )
    return name, identifier


def _by_billing_provider(
    claims: list[Mapping[str, Any]],
) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for outcome in claims:
        groups.setdefault(outcome["claim"]["billing_provider"]["npi"], []).append(outcome)
    return groups


def _charge(claim: Mapping[str, Any]) -> Decimal:
    return sum((Decimal(str(line["charge"])) for line in claim["lines"]), Decimal(0))


def _d8(day: str) -> str:
    return day.replace("-", "")
