"""837P/837I claims → ClaimSubmitted events: one event per CLM, in interchange order.

Walks the validated segments once, keeping what the hierarchy (HL) says about the billing
provider (2000A/2010AA), the subscriber and payer (2000B/2010BA/2010BB) and the patient
(2000C/2010CA), and builds each claim (2300) with its lines (2400). What the 837 does not
carry (the cath-lab documentation) comes from a documentation document keyed by claim id.

A claim that cannot become a valid ClaimSubmitted (minutes as units, an ICD-9 code, a type
of bill that is not outpatient) is reported on its own, with the CLM's position; the other
claims of the interchange are not affected.

Decisions where the 837 and the contract differ:
- setting: 837I with facility type 13 (hospital outpatient) → `hospital_outpatient`; an 837P
  whose billing provider taxonomy (2000A PRV03) is 261QA1200X (ambulatory surgical center)
  → `asc`; any other 837P → `professional`.
- rendering provider: 837P 2310B (NM1*82), else the billing provider (the guide sends 2310B
  only when the two differ); when every line names the same 2420A rendering provider, that
  one. 837I: 2310D rendering (NM1*82), else 2310A attending (NM1*71). A line's own 2420A
  NPI is kept on the line as `rendering_provider` (kept, not interpreted).
- 837I lines carry no diagnosis pointers: each line points to the principal diagnosis.
- DTP*472 as a range (RD8): the first date is the line's service date.
- kept beside the contract's fields (never interpreted by an edit; the 277CA needs them):
  `billing_provider.name` (2010AA NM103), `submitter` (1000A NM103 and NM109) and
  `total_charge` (CLM02: the 277CA reports it even when lines were removed).
- occurred_at: BHT04/BHT05 (the transaction's creation), read as UTC; event_id: a UUIDv5
  over sender, interchange, transaction set, claim position and claim id, so the same file
  converted twice gives the same events.

A claim that cannot be converted carries its own `excerpt`: a one-claim 837 made of the
sender's segments as sent: the envelope and header (ISA, GS, ST, BHT, submitter and
receiver loops: no patient in them), the claim's billing provider, subscriber and patient
loops (HL 20/22/23: its own patient), its 2300 loop with every loop under it (lines, other
payers); then SE (recounted), GE and IEA. Its HL01/HL02 are renumbered from 1 so that it
validates; no other segment of the file is in it, so no other patient.
"""

import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from contracts import ClaimSubmitted
from service.adapters.x12.interchange import Interchange, Segment

EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:claim-edit:x12-837")
MAX_EXCERPT_BYTES = 64 * 1024  # larger (a claim of ~1,000 lines): not carried, size and hash
ASC_TAXONOMY = "261QA1200X"  # NUCC: Clinic/Center, Ambulatory Surgical
OUTPATIENT_FACILITY_TYPE = "13"  # NUBC type of bill 13x: hospital outpatient
FREQUENCY = {"1": "original", "7": "replacement", "8": "void"}
# SBR09 claim filing indicator (X12 element 1032) → the contract's payer kind
PAYER_KIND = {
    "MA": "medicare",  # Medicare Part A
    "MB": "medicare",  # Medicare Part B
    "16": "medicare_advantage",  # Health Maintenance Organization (HMO) Medicare Risk
    "MC": "medicaid",
    "CI": "commercial",  # Commercial Insurance Co.
    "BL": "commercial",  # Blue Cross/Blue Shield
    "HM": "commercial",  # Health Maintenance Organization
    "12": "commercial",  # Preferred Provider Organization (PPO)
    "13": "commercial",  # Point of Service (POS)
    "14": "commercial",  # Exclusive Provider Organization (EPO)
    "15": "commercial",  # Indemnity Insurance
    "11": "commercial",  # Other Non-Federal Programs
}
PRINCIPAL = {"ABK"}
OTHER = {"ABF"}
ICD9 = {"BK", "BF"}


@dataclass(frozen=True, slots=True)
class Converted:
    claim_id: str
    event: dict[str, Any] = field(repr=False)  # the patient is in it: not in the repr
    line: int  # the CLM segment's line in the file


@dataclass(frozen=True, slots=True)
class Unconvertible:
    claim_id: str
    line: int
    number: int  # the CLM segment's position in its transaction set
    problems: list[str]
    # as far as it was read, for a 277CA; the claim's own one-claim 837 (see the module's
    # docstring): both hold the patient, so neither is in the repr
    claim: dict[str, Any] = field(default_factory=dict, repr=False)
    excerpt: str = field(default="", repr=False)

    def describe(self) -> str:
        return (
            f"claim {self.claim_id} (CLM at line {self.line}, position {self.number}): "
            + "; ".join(self.problems)
        )


ClaimResult = Converted | Unconvertible


@dataclass
class _Context:
    """What the hierarchy above a claim says."""

    version: str = ""
    sender: str = ""
    interchange: str = ""
    transaction: str = ""
    created: str | None = None
    submitter: dict[str, str] = field(default_factory=dict)
    billing: dict[str, str] = field(default_factory=dict)
    subscriber: dict[str, str] = field(default_factory=dict)
    patient: dict[str, str] = field(default_factory=dict)
    # the lines of the segments an excerpt carries: from ISA to the first HL, then each
    # hierarchical level's own (HL 20, 22, 23) up to the next HL or CLM
    header: list[int] = field(default_factory=list)
    levels: dict[str, list[int]] = field(default_factory=dict)
    group: str = ""  # GS06
    level: str | None = None  # the HL level segments are being read under


@dataclass
class _Claim:
    clm: Segment
    context: _Context
    ordinal: int
    segments: list[Segment] = field(default_factory=list)
    lines: list[list[Segment]] = field(default_factory=list)
    own: list[int] = field(default_factory=list)  # the lines of CLM and everything under it


def claim_events(
    interchange: Interchange, documentation: Mapping[str, Mapping[str, Any]] | None = None
) -> list[ClaimResult]:
    """Each claim of a valid interchange, converted or reported."""
    return [
        _convert(claim, (documentation or {}).get(claim.clm.value(1) or "", {}), interchange)
        for claim in _claims(interchange.segments)
    ]


def _claims(segments: Iterable[Segment]) -> Iterable[_Claim]:
    context = _Context()
    claim: _Claim | None = None
    ordinal = 0
    for seg in segments:
        if seg.id in {"CLM", "HL", "SE", "GE", "IEA"} and claim is not None:
            yield claim
            claim = None
        if seg.id == "ISA":
            context = _Context(sender=(seg.value(6) or "").strip(), interchange=seg.value(13) or "")
        elif seg.id == "GS":
            context.version = seg.value(8) or ""
            context.group = seg.value(6) or ""
            context.header = context.header[:1]  # the ISA
        elif seg.id == "ST":
            context.transaction = seg.value(2) or ""
            context.header, context.levels, context.level = context.header[:2], {}, None
        elif seg.id == "BHT":
            context.created = _timestamp(seg.value(4), seg.value(5))
        elif seg.id == "HL":
            level = seg.value(3) or ""  # 20 billing provider, 22 subscriber, 23 patient
            kept = {"20": (), "22": ("20",), "23": ("20", "22")}.get(level, ("20", "22"))
            context = dataclasses.replace(
                context,
                billing={} if level == "20" else context.billing,
                subscriber={} if level in {"20", "22"} else context.subscriber,
                patient={},
                levels={**{k: v for k, v in context.levels.items() if k in kept}, level: []},
                level=level,
            )
        elif seg.loop == "1000A" and seg.id == "NM1":
            context.submitter = {"name": seg.value(3) or "", "id": seg.value(9) or ""}
        elif seg.loop in {"2000A", "2010AA"}:
            _billing(seg, context.billing)
        elif seg.loop in {"2000B", "2010BA", "2010BB"}:
            _subscriber(seg, context.subscriber)
        elif seg.loop in {"2000C", "2010CA"}:
            _patient(seg, context.patient)
        elif seg.id == "CLM":
            ordinal += 1
            claim = _Claim(seg, context, ordinal)
        elif claim is not None and seg.id == "LX":
            claim.lines.append([seg])
        elif claim is not None and claim.lines and (seg.loop == "2400" or seg.loop[:3] == "242"):
            claim.lines[-1].append(seg)  # the line and its providers, not 2410/2430/2440
        elif claim is not None and (seg.loop == "2300" or seg.loop[:3] == "231"):
            claim.segments.append(seg)  # the claim and its providers, not the other payers
        if claim is not None:
            claim.own.append(seg.line)
        elif seg.id not in {"SE", "GE", "IEA"}:
            (context.header if context.level is None else context.levels[context.level]).append(
                seg.line
            )
    if claim is not None:
        yield claim


def _billing(seg: Segment, into: dict[str, str]) -> None:
    if seg.id == "PRV" and seg.value(1) == "BI":
        into["taxonomy"] = seg.value(3) or ""
    elif seg.id == "NM1" and seg.value(1) == "85" and seg.value(8) == "XX":
        into.update(npi=seg.value(9) or "", name=seg.value(3) or "")
    elif seg.id == "N4":
        into["zip"] = seg.value(3) or ""


def _subscriber(seg: Segment, into: dict[str, str]) -> None:
    if seg.id == "SBR":
        into["filing"] = seg.value(9) or ""
    elif seg.id == "NM1" and seg.value(1) == "IL":
        into.update(last=seg.value(3) or "", first=seg.value(4) or "", member=seg.value(9) or "")
    elif seg.id == "NM1" and seg.value(1) == "PR":
        into["payer"] = seg.value(9) or ""
    elif seg.id == "DMG" and seg.loop == "2010BA":
        into.update(birth=seg.value(2) or "", sex=seg.value(3) or "")


def _patient(seg: Segment, into: dict[str, str]) -> None:
    if seg.id == "NM1" and seg.value(1) == "QC":
        into.update(last=seg.value(3) or "", first=seg.value(4) or "")
    elif seg.id == "DMG":
        into.update(birth=seg.value(2) or "", sex=seg.value(3) or "")


def _excerpt(claim: _Claim, interchange: Interchange) -> str:
    """The claim's one-claim 837 (see the module's docstring)."""
    context, separator = claim.context, interchange.separator
    levels = [context.levels[level] for level in ("20", "22", "23") if level in context.levels]
    texts: list[str] = []
    renumbered: dict[str, str] = {}
    for line in [*context.header, *(line for level in levels for line in level), *claim.own]:
        text = interchange.text_at(line)
        elements = text.split(separator)
        if elements[0] == "HL" and len(elements) > 2:
            renumbered[elements[1]] = str(len(renumbered) + 1)
            elements[1:3] = [renumbered[elements[1]], renumbered.get(elements[2], "")]
            text = separator.join(elements)
        texts.append(text)
    in_set = len(texts) - len(context.header[:2]) + 1  # ST ... SE
    texts += [
        separator.join(["SE", str(in_set), context.transaction]),
        separator.join(["GE", "1", context.group]),
        separator.join(["IEA", "1", context.interchange]),
    ]
    return "".join(text + interchange.terminator for text in texts)


def _convert(
    claim: _Claim, documentation: Mapping[str, Any], interchange: Interchange
) -> ClaimResult:
    clm = claim.clm
    claim_id = clm.value(1) or ""
    problems: list[str] = []
    document = _claim_document(claim, problems)
    for key, value in documentation.items():
        if key != "claim_id":
            document[key] = _filled(document.get(key), value)
    context = claim.context
    event = {
        "event_id": str(
            uuid.uuid5(
                EVENT_NAMESPACE,
                "|".join(
                    (
                        context.sender,
                        context.interchange,
                        context.transaction,
                        str(claim.ordinal),
                        claim_id,
                    )
                ),
            )
        ),
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": context.created or "1970-01-01T00:00:00Z",
        "claim": document,
    }
    if not problems:
        try:
            ClaimSubmitted.model_validate(event)
        except ValidationError as error:
            problems.extend(_invalid(error))
    if problems:
        return Unconvertible(
            claim_id or "(no CLM01)",
            clm.line,
            clm.number,
            problems[:20],
            document,
            _excerpt(claim, interchange),
        )
    return Converted(claim_id, event, clm.line)


# where the contract's patient fields come from in the 837 (a problem names its place)
SENT_IN = {
    "claim.patient.member_id": "2010BA NM109",
    "claim.patient.last_name": "2010CA NM103, else 2010BA NM103",
    "claim.patient.first_name": "2010CA NM104, else 2010BA NM104",
    "claim.patient.birth_date": "2010CA DMG02, else 2010BA DMG02",
    "claim.patient.sex": "2010CA DMG03, else 2010BA DMG03",
}


def _invalid(error: ValidationError) -> list[str]:
    """pydantic's errors by field, message and error type, without the input (it may be
    patient data), nor its context (a pattern may be built from it)."""
    found: list[str] = []
    for e in error.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(p) for p in e["loc"])
        sent = f" (from {SENT_IN[loc]})" if loc in SENT_IN else ""
        found.append(f"{loc}{sent}: {e['msg']} [{e['type']}]")
    return found


def _claim_document(claim: _Claim, problems: list[str]) -> dict[str, Any]:
    clm, context = claim.clm, claim.context
    institutional = clm.value(5, 2) == "A" or "X223" in context.version
    facility = clm.value(5, 1)
    billing, subscriber = context.billing, context.subscriber
    patient = {**subscriber, **{k: v for k, v in context.patient.items() if v}}
    if institutional:
        setting = "hospital_outpatient"
        if facility != OUTPATIENT_FACILITY_TYPE:
            problems.append(
                "CLM05-1 type of bill is not hospital outpatient (13x); "
                "only outpatient institutional claims are edited"
            )
    elif billing.get("taxonomy") == ASC_TAXONOMY:
        setting = "asc"
    else:
        setting = "professional"
    frequency = FREQUENCY.get(clm.value(5, 3) or "")
    if frequency is None:
        problems.append("CLM05-3 frequency is not 1, 7 or 8")
    kind = PAYER_KIND.get(subscriber.get("filing", ""))
    if kind is None:
        problems.append(
            "SBR09 claim filing indicator has no payer kind "
            f"here (known: {', '.join(sorted(PAYER_KIND))})"
        )
    renderer = _npi_of(claim.segments, "82") or (
        _npi_of(claim.segments, "71") if institutional else billing.get("npi")
    )
    lines = [_line(line, institutional, claim.segments, problems) for line in claim.lines]
    line_renderers = {line.get("rendering_provider", {}).get("npi") for line in lines}
    if len(line_renderers) == 1 and None not in line_renderers:
        renderer = line_renderers.pop()
    document: dict[str, Any] = {
        "claim_id": clm.value(1),
        "frequency": frequency,
        "payer": {"payer_id": subscriber.get("payer"), "kind": kind},
        "setting": setting,
        "billing_provider": {"npi": billing.get("npi"), "name": billing.get("name") or None},
        "submitter": {"name": context.submitter.get("name"), "id": context.submitter.get("id")},
        "total_charge": _money(clm.value(2)),
        "rendering_provider": {"npi": renderer},
        "patient": {
            "member_id": subscriber.get("member"),
            "birth_date": _date(patient.get("birth")),
            "sex": patient.get("sex"),
            "last_name": patient.get("last") or None,
            "first_name": patient.get("first") or None,
        },
        "diagnoses": _diagnoses(claim.segments, problems),
        "lines": lines,
    }
    if not institutional:
        document["place_of_service"] = facility
    reference = _ref(claim.segments, "F8")
    if reference:
        document["payer_claim_control_number"] = reference
    zip_code = _facility_zip(claim.segments) or billing.get("zip")
    if zip_code:
        document["service_facility"] = {"zip": zip_code}
    return _without_none(document)


def _line(
    segments: list[Segment],
    institutional: bool,
    claim_segments: list[Segment],
    problems: list[str],
) -> dict[str, Any]:
    lx = segments[0]
    service = next((s for s in segments if s.id in {"SV1", "SV2"}), None)
    number = _integer(lx.value(1))
    line: dict[str, Any] = {"line_number": number}
    if service is None:
        problems.append(f"line {lx.value(1)}: no SV1/SV2")
        return line
    procedure = service.components(1 if service.id == "SV1" else 2)
    charge, basis, units = (
        (service.value(2), service.value(3), service.value(4))
        if service.id == "SV1"
        else (service.value(3), service.value(4), service.value(5))
    )
    if basis == "MJ":
        problems.append(f"line {lx.value(1)}: units in minutes (MJ) cannot be edited")
    line["procedure_code"] = procedure[1] if len(procedure) > 1 else None
    line["modifiers"] = [m for m in procedure[2:6] if m]
    line["units"] = _integer(units)
    if line["units"] is None:
        problems.append(f"line {lx.value(1)}: units ({service.id}) are not a whole number")
    line["charge"] = _money(charge)
    served = _service_date(segments) or _service_date(claim_segments)
    line["service_date"] = served
    if served is None:
        problems.append(f"line {lx.value(1)}: no service date (DTP*472)")
    if institutional:
        line["diagnosis_pointers"] = [1]
    else:
        line["diagnosis_pointers"] = [_integer(p) for p in service.components(7) if p] or None
    control = _ref(segments, "6R")
    if control:
        line["line_item_control_number"] = control
    renderer = _npi_of([s for s in segments if s.loop.startswith("242")], "82")
    if renderer:
        line["rendering_provider"] = {"npi": renderer}
    return _without_none(line)


def _npi_of(segments: Iterable[Segment], entity: str) -> str | None:
    for seg in segments:
        if seg.id == "NM1" and seg.value(1) == entity and seg.value(8) == "XX":
            return seg.value(9)
    return None


def _facility_zip(segments: list[Segment]) -> str | None:
    facility_loop = None
    for seg in segments:
        if seg.id == "NM1" and seg.value(1) == "77":
            facility_loop = seg.loop
        elif seg.id == "N4" and facility_loop is not None and seg.loop == facility_loop:
            return seg.value(3)
    return None


def _ref(segments: Iterable[Segment], qualifier: str) -> str | None:
    return next((s.value(2) for s in segments if s.id == "REF" and s.value(1) == qualifier), None)


def _service_date(segments: Iterable[Segment]) -> str | None:
    for seg in segments:
        if seg.id == "DTP" and seg.value(1) == "472":
            return _date((seg.value(3) or "").split("-")[0])
    return None


def _diagnoses(segments: Iterable[Segment], problems: list[str]) -> list[str]:
    principal: list[str] = []
    others: list[str] = []
    for seg in segments:
        if seg.id != "HI":
            continue
        for element in range(1, 13):
            qualifier, code = seg.value(element, 1), seg.value(element, 2)
            if qualifier is None or code is None:
                continue
            if qualifier in ICD9:  # the code itself is not repeated: it is patient data
                problems.append(
                    f"HI{element:02d} qualifier {qualifier}: ICD-9 codes are not edited (ABK/ABF)"
                )
            elif qualifier in PRINCIPAL:
                principal.append(_dotted(code))
            elif qualifier in OTHER:
                others.append(_dotted(code))
    return principal + others


def _dotted(code: str) -> str:
    """ICD-10-CM codes travel without their dot in X12: I2510 → I25.10."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def _date(value: str | None) -> str | None:
    if value is None or len(value) != 8 or not value.isdigit():
        return None
    return f"{value[:4]}-{value[4:6]}-{value[6:]}"


def _timestamp(day: str | None, time: str | None) -> str | None:
    date = _date(day)
    if date is None:
        return None
    clock = (time or "0000").ljust(6, "0")[:6]
    return f"{date}T{clock[:2]}:{clock[2:4]}:{clock[4:6]}Z"


def _integer(value: str | None) -> int | None:
    try:
        number = Decimal(value or "")
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else None


def _money(value: str | None) -> str | None:
    try:
        return f"{Decimal(value or ''):.2f}"
    except InvalidOperation:
        return value


def _filled(sent: Any, documented: Any) -> Any:
    """The documentation fills what the 837 did not say; the 837 wins where both speak."""
    if sent is None:
        return documented
    if isinstance(sent, dict) and isinstance(documented, dict):
        return {
            **documented,
            **{k: _filled(v, documented.get(k)) if k in documented else v for k, v in sent.items()},
        }
    return sent


def _without_none(document: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _without_none(value) if isinstance(value, dict) else value
        for key, value in document.items()
        if value is not None
    }
