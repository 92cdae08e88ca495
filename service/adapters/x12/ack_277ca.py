"""Outcome events → one 277CA (005010X214) claim acknowledgement.

An enriched claim is acknowledged `STC*A2:20` (accepted into adjudication: accepted for
processing). A rejected claim gets one claim-level STC per distinct status its blocking
findings map to, STC12 naming the edits and the lines they fired on; each line a blocking
finding names gets a 2220D service line (SVC) with up to three statuses (STC01, STC10,
STC11), traced by `REF*FJ` (the 837 REF*6R line item control number) when it had one. The
edit → status table is `reference/x12/claim_status.csv`, each row with its source.

A claim of an interchange that could not be read as a ClaimSubmitted (the stream knows
them) is acknowledged too, as the table's `claim.unreadable` row, with the reason in STC12.

Dead letters are not claims and are not rows; nor is a claim without what a 277CA must name
(the patient's last name and member id, the billing provider's name and NPI): nothing is
guessed. Each is listed in `Acknowledged.unacknowledged` for the caller to report.

`acknowledgements` writes the 277CA in the envelope it is given (the stream's mirrors the
837's) and, when it would exceed a size (a topic's limit), in parts: each part a whole
277CA interchange with its own control number and totals, the claims in consecutive runs
(by billing provider), each claim in exactly one part.
"""

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

from contracts import Claim, Finding
from contracts.vocabulary import EventType
from service.adapters.x12.writing import Envelope, amount, segment

VERSION = "005010X214"
BLOCKING = {"claim_rejection", "line_rejection"}
UNREADABLE = "claim.unreadable"  # the status row of a claim that could not be read
MAX_LINE_STATUSES = 3  # STC01, STC10, STC11
MAX_MESSAGE = 264  # STC12


class ClaimOutcome(Protocol):
    """What a 277CA row is made of: the engine's Outcome (the stream) and a parsed
    ClaimEnriched or ClaimRejected event (`claim-edit x12 277ca`) both are one."""

    @property
    def event_type(self) -> str: ...

    @property
    def event_id(self) -> str: ...

    @property
    def claim(self) -> Claim: ...

    @property
    def findings(self) -> Sequence[Finding]: ...


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


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A claim of an interchange that did not become a ClaimSubmitted: what the 837 said
    of it (the `claim` document as far as it was read) and why."""

    claim: Mapping[str, Any]
    reason: str


@dataclass
class Acknowledged:
    documents: list[str]  # one 277CA interchange, or its parts (see `acknowledgements`)
    accepted: int = 0
    rejected: int = 0
    unacknowledged: list[str] = field(default_factory=list)  # why each was left out

    @property
    def document(self) -> str:
        """The 277CA, when it is one part."""
        (document,) = self.documents
        return document


@dataclass(frozen=True, slots=True)
class _Line:
    procedure: list[str]
    charge: str
    units: str
    served: str
    control_number: str | None
    statuses: list[ClaimStatus]


@dataclass(frozen=True, slots=True)
class _Row:
    claim_id: str
    last_name: str
    first_name: str
    member_id: str
    billing_npi: str
    billing_name: str
    charge: Decimal
    first_day: str | None
    last_day: str | None
    accepted: bool
    statuses: list[ClaimStatus]
    message: str
    payer_reference: str | None
    lines: list[_Line]


def acknowledgement(
    outcomes: Iterable[ClaimOutcome],
    control_number: int,
    at: datetime,
    parties: Parties = Parties(),
    unreadable: Sequence[Unreadable] = (),
) -> Acknowledged:
    """One 277CA for the outcomes (and the unreadable claims), from `parties.source_id` to
    the receiver; raises NoReceiverError when nothing names its receiver."""
    rows, left_out, receiver = _rows(outcomes, unreadable, parties)
    envelope = Envelope(parties.source_id, receiver[1], control_number, at)
    return _acknowledged(rows, left_out, [_document(rows, envelope, parties, receiver)])


def acknowledgements(
    outcomes: Iterable[ClaimOutcome],
    envelope: Envelope,
    parties: Parties = Parties(),
    unreadable: Sequence[Unreadable] = (),
    *,
    max_bytes: int,
    control_number: Callable[[int], int],
) -> Acknowledged:
    """The 277CA in `envelope` (its control number aside), in as many parts as keep each
    under `max_bytes`: each part a whole interchange with its own control number
    (`control_number(part)`, parts counted from 0), its own totals and a share of the
    claims, each claim in exactly one part. One part unless the claims do not fit."""
    rows, left_out, receiver = _rows(outcomes, unreadable, parties)
    parts = _packed(rows, envelope, parties, receiver, max_bytes)
    documents = [
        _document(part, replace(envelope, control_number=control_number(n)), parties, receiver)
        for n, part in enumerate(parts)
    ]
    return _acknowledged(rows, left_out, documents)


def _acknowledged(rows: list[_Row], left_out: list[str], documents: list[str]) -> Acknowledged:
    accepted = sum(row.accepted for row in rows)
    return Acknowledged(documents, accepted, len(rows) - accepted, left_out)


def _rows(
    outcomes: Iterable[ClaimOutcome], unreadable: Sequence[Unreadable], parties: Parties
) -> tuple[list[_Row], list[str], tuple[str, str]]:
    rows: list[_Row] = []
    left_out: list[str] = []
    submitters: list[Mapping[str, Any]] = []
    for outcome in outcomes:
        missing = _not_a_row(outcome)
        if missing:
            left_out.append(missing)
            continue
        rows.append(_outcome_row(outcome))
        submitters.append(_extra(outcome.claim, "submitter") or {})
    for claim in unreadable:
        row = _unreadable_row(claim)
        if row is None:
            left_out.append(f"claim {claim.claim.get('claim_id')}: {claim.reason}")
        else:
            rows.append(row)
            submitters.append(claim.claim.get("submitter") or {})
    ordered = [row for group in _by_billing_provider(rows).values() for row in group]
    return ordered, left_out, _receiver(submitters, parties)


def _packed(
    rows: list[_Row],
    envelope: Envelope,
    parties: Parties,
    receiver: tuple[str, str],
    max_bytes: int,
) -> list[list[_Row]]:
    """The rows in consecutive parts, each part's 277CA at most `max_bytes` (a row larger
    than that alone is a part of its own). Sizes are upper bounds: each row and billing
    provider is measured with a hierarchy number at least its own (the part's rows and
    providers so far, and the two levels above) and the widest total."""
    widest = replace(envelope, control_number=999_999_999)
    day = envelope.at.strftime("%Y%m%d")
    fixed = len(_document([], widest, parties, receiver).encode()) + _TOTALS_SLACK
    parts: list[list[_Row]] = [[]]
    size = fixed
    providers: set[tuple[str, str]] = set()
    for row in rows:
        provider = (row.billing_npi, row.billing_name)
        number = 2 * (len(parts[-1]) + 2) + 2  # > 2 + its providers + its rows, even if new
        claim = _size(_claim_segments(row, number, number, day))
        header = _size(_provider_segments(number, provider, _WIDEST_AMOUNT))
        cost = claim + (0 if provider in providers else header)
        if parts[-1] and size + cost > max_bytes:
            parts.append([])
            size, providers, cost = fixed, set(), claim + header
        parts[-1].append(row)
        size += cost
        providers.add(provider)
    return parts


_WIDEST_AMOUNT = "9" * 15
_TOTALS_SLACK = 256  # the totals and counts of the header, measured at zero


def _size(segments: list[str]) -> int:
    return sum(len(text.encode()) for text in segments)


def _provider_segments(number: int, provider: tuple[str, str], total: str) -> list[str]:
    npi, name = provider
    return [
        segment("HL", str(number), "2", "19", "1"),
        segment("NM1", "85", "2", name, "", "", "", "", "XX", npi),
        segment("TRN", "1", "0"),
        segment("STC", ["A1", "20"], "", "WQ", total),
    ]


def _document(
    rows: list[_Row], envelope: Envelope, parties: Parties, receiver: tuple[str, str]
) -> str:
    receiver_name, receiver_id = receiver
    at, control_number = envelope.at, envelope.control_number
    day = at.strftime("%Y%m%d")
    accepted = [r for r in rows if r.accepted]
    rejected = [r for r in rows if not r.accepted]
    body = [
        segment("BHT", "0085", "08", str(control_number), day, at.strftime("%H%M"), "TH"),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "AY", "2", parties.source_name, "", "", "", "", "46", parties.source_id),
        segment("TRN", "1", str(control_number)),
        segment("DTP", "050", "D8", day),
        segment("DTP", "009", "D8", day),
        segment("HL", "2", "1", "21", "1" if rows else "0"),
        segment("NM1", "41", "2", receiver_name, "", "", "", "", "46", receiver_id),
        segment("TRN", "2", str(control_number)),
        segment("STC", ["A1", "20"], day, "WQ", _total(rows)),
        segment("QTY", "90", str(len(accepted))),
        segment("QTY", "AA", str(len(rejected))),
        segment("AMT", "YU", _total(accepted)),
        segment("AMT", "YY", _total(rejected)),
    ]
    counter = 2
    for provider, group in _by_billing_provider(rows).items():
        counter += 1
        parent = counter
        body += _provider_segments(parent, provider, _total(group))
        for row in group:
            counter += 1
            body += _claim_segments(row, counter, parent, day)
    return envelope.wrap("HN", VERSION, body)


def _outcome_row(outcome: ClaimOutcome) -> _Row:
    claim = outcome.claim
    accepted = outcome.event_type == EventType.ENRICHED
    blocking = [f for f in outcome.findings if f.disposition in BLOCKING]
    by_line: dict[int, list[ClaimStatus]] = {}
    for finding in blocking:
        if finding.disposition == "line_rejection":
            for number in finding.line_numbers:
                by_line.setdefault(number, []).append(_status(finding.edit_id))
    message = "; ".join(
        f.edit_id + (f" line {','.join(map(str, f.line_numbers))}" if f.line_numbers else "")
        for f in blocking
    )
    lines = [
        _Line(
            ["HC", line.procedure_code, *line.modifiers],
            amount(line.charge),
            str(line.units),
            line.service_date.isoformat(),
            line.line_item_control_number,
            _distinct(by_line.get(line.line_number, []))[:MAX_LINE_STATUSES],
        )
        for line in claim.lines
    ]
    days = sorted(line.service_date.isoformat() for line in claim.lines)
    billing = claim.billing_provider
    return _Row(
        claim_id=claim.claim_id,
        last_name=claim.patient.last_name or "",
        first_name=claim.patient.first_name or "",
        member_id=claim.patient.member_id,
        billing_npi=billing.npi,
        billing_name=str(_extra(billing, "name") or ""),
        charge=_claim_charge(claim),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        accepted=accepted,
        statuses=[] if accepted else _distinct(_status(f.edit_id) for f in blocking),
        message=message[:MAX_MESSAGE],
        payer_reference=claim.payer_claim_control_number,
        lines=[line for line in lines if line.statuses],
    )


def _extra(model: Any, name: str) -> Any:
    """A field the contract does not name but the 837 conversion keeps (the submitter, the
    billing provider's name, CLM02): from the model's extras."""
    return (model.model_extra or {}).get(name)


def _unreadable_row(unreadable: Unreadable) -> _Row | None:
    claim = unreadable.claim
    if _absent(claim):
        return None
    try:
        charge = Decimal(str(claim["total_charge"]))
    except (KeyError, InvalidOperation):
        return None
    days = sorted(
        line["service_date"] for line in claim.get("lines", []) if line.get("service_date")
    )
    return _row(
        claim,
        charge=charge,
        days=days,
        accepted=False,
        statuses=[_status(UNREADABLE)],
        message=unreadable.reason,
        lines=[],
    )


def _row(
    claim: Mapping[str, Any],
    *,
    charge: Decimal,
    days: list[str],
    accepted: bool,
    statuses: list[ClaimStatus],
    message: str,
    lines: list[_Line],
) -> _Row:
    patient, billing = claim["patient"], claim["billing_provider"]
    return _Row(
        claim_id=claim["claim_id"],
        last_name=patient["last_name"],
        first_name=patient.get("first_name") or "",
        member_id=patient["member_id"],
        billing_npi=billing["npi"],
        billing_name=billing["name"],
        charge=charge,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        accepted=accepted,
        statuses=statuses,
        message=message[:MAX_MESSAGE],
        payer_reference=claim.get("payer_claim_control_number"),
        lines=lines,
    )


def _claim_segments(row: _Row, number: int, parent: int, day: str) -> list[str]:
    charge = amount(row.charge)
    rows = [
        segment("HL", str(number), str(parent), "PT"),
        segment("NM1", "QC", "1", row.last_name, row.first_name, "", "", "", "MI", row.member_id),
        segment("TRN", "2", row.claim_id),
    ]
    if row.accepted:
        rows.append(segment("STC", ["A2", "20"], day, "WQ", charge))
    for status in row.statuses:
        stc = [status.category, status.code]
        rows.append(segment("STC", stc, day, "U", charge, *[""] * 7, row.message))
    if row.payer_reference:
        rows.append(segment("REF", "1K", row.payer_reference))
    first, last = row.first_day or day, row.last_day or day
    rows.append(
        segment("DTP", "472", "D8", _d8(first))
        if first == last
        else segment("DTP", "472", "RD8", f"{_d8(first)}-{_d8(last)}")
    )
    for line in row.lines:
        head, *more = line.statuses
        rows += [
            segment("SVC", line.procedure, line.charge, "", "", "", "", line.units),
            segment(
                "STC",
                [head.category, head.code],
                day,
                "U",
                *[""] * 6,
                *[[s.category, s.code] for s in more],
            ),
        ]
        if line.control_number:
            rows.append(segment("REF", "FJ", line.control_number))
        rows.append(segment("DTP", "472", "D8", _d8(line.served)))
    return rows


def _status(edit_id: str) -> ClaimStatus:
    status = claim_statuses().get(edit_id)
    if status is None:  # an edit the table does not know: say so, never a made-up code
        return claim_statuses()[UNREADABLE]
    return status


def _distinct(statuses: Iterable[ClaimStatus]) -> list[ClaimStatus]:
    seen: dict[tuple[str, str], ClaimStatus] = {}
    for status in statuses:
        seen.setdefault((status.category, status.code), status)
    return list(seen.values())


def _absent(claim: Mapping[str, Any]) -> list[str]:
    patient = claim.get("patient") or {}
    billing = claim.get("billing_provider") or {}
    needs = {
        "claim_id": claim.get("claim_id"),
        "patient.last_name": patient.get("last_name"),
        "patient.member_id": patient.get("member_id"),
        "billing_provider.name": billing.get("name"),
        "billing_provider.npi": billing.get("npi"),
    }
    return [name for name, value in needs.items() if not value]


def _not_a_row(outcome: ClaimOutcome) -> str | None:
    if outcome.event_type not in {EventType.ENRICHED, EventType.REJECTED}:
        return f"{outcome.event_type} {outcome.event_id}: not a claim outcome"
    claim = outcome.claim
    needs = {
        "patient.last_name": claim.patient.last_name,
        "billing_provider.name": _extra(claim.billing_provider, "name"),
    }
    absent = [name for name, value in needs.items() if not value]
    if absent:
        return f"claim {claim.claim_id}: no {', '.join(absent)} for the 277CA"
    return None


def _receiver(submitters: list[Mapping[str, Any]], parties: Parties) -> tuple[str, str]:
    submitter = next((s for s in submitters if s.get("id")), {})
    name = parties.receiver_name or submitter.get("name")
    identifier = parties.receiver_id or submitter.get("id")
    if not name or not identifier:
        raise NoReceiverError(
            "the 277CA's receiver (2100B) is unknown: no claim carries the 837 submitter; "
            "name it (--receiver-name, --receiver-id)"
        )
    return name, identifier


def _by_billing_provider(rows: list[_Row]) -> dict[tuple[str, str], list[_Row]]:
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.billing_npi, row.billing_name), []).append(row)
    return groups


def _claim_charge(claim: Claim) -> Decimal:
    """CLM02 as the 837 sent it (kept through the edits), else the lines' charges: an
    enriched claim's lines are the corrected ones, which may be fewer."""
    try:
        return Decimal(str(_extra(claim, "total_charge")))
    except InvalidOperation:
        return sum((line.charge for line in claim.lines), Decimal(0))


def _total(rows: Iterable[_Row]) -> str:
    return amount(sum((row.charge for row in rows), Decimal(0)))


def _d8(day: str) -> str:
    return day.replace("-", "")
