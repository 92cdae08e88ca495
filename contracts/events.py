"""Events on the topics: one input shape, three output shapes, and what they carry."""

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from contracts.claim import PRINTABLE, Claim, Setting
from contracts.vocabulary import ChangeAction, Confidence, Disposition, ErrorKind

DecimalText = Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$")]
MoneyText = Annotated[str, StringConstraints(pattern=r"^-?[0-9]+\.[0-9]{2}$")]


class _Output(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClaimSubmitted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=PRINTABLE)]
    event_type: Literal["claim.submitted"]
    schema_version: Literal[1]
    occurred_at: AwareDatetime
    claim: Claim


# The parts of an outcome are plain dataclasses: the engine builds them as it decides (no
# validation cost per finding), orjson writes them as they are, and pydantic reads them for
# the JSON Schemas and for anyone validating an outcome. One definition. They are values:
# nothing changes one after it is built. Neither frozen nor slotted, measured: a frozen
# Finding takes 2.4 us to build against 0.55 us, and orjson writes a slotted one in 1.8 us
# against 0.4 us (it reads a plain instance's __dict__ directly).
_PART = ConfigDict(extra="forbid")


@dataclass(kw_only=True)
class ReferenceSource:
    """A file the claim was edited under: a CMS file as published, or the tables shipped
    with claim-edit for the ruleset."""

    __pydantic_config__ = _PART

    name: str
    release: str
    sha256: str = field(metadata={"description": "of the file's published bytes, hex"})


@dataclass(kw_only=True)
class RulesetRef:
    __pydantic_config__ = _PART

    version: str | None = field(
        metadata={"description": "null when no ruleset covers the service dates"}
    )
    as_of: date | None
    sources: tuple[ReferenceSource, ...] = ()


@dataclass(kw_only=True)
class Evidence:
    """The reference row an edit or a price stood on."""

    __pydantic_config__ = _PART

    table: str
    key: str
    source: str
    confidence: Confidence


@dataclass(kw_only=True)
class Finding:
    __pydantic_config__ = _PART

    edit_id: str
    disposition: Disposition
    line_numbers: tuple[int, ...]
    message: str
    fix: str | None
    carc: str | None
    rarc: str | None
    group_code: str | None
    x12_path: str
    citation: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(kw_only=True)
class LineSnapshot:
    __pydantic_config__ = _PART

    procedure_code: str
    modifiers: tuple[str, ...]
    units: int


@dataclass(kw_only=True)
class Change:
    __pydantic_config__ = _PART

    edit_id: str
    line_number: int
    action: ChangeAction
    before: LineSnapshot | None
    after: LineSnapshot | None
    reason: str


@dataclass(kw_only=True)
class PricedLine:
    __pydantic_config__ = _PART

    line_number: int
    procedure_code: str
    method: Literal["pfs", "opps", "asc"]
    allowed: MoneyText | None
    payable: MoneyText | None = field(
        default=None,
        metadata={
            "description": "what Medicare pays for the line: the locality (GPCI) and the "
            "multiple-procedure rules applied; the national amount when no locality could "
            "be found (a note says why)"
        },
    )
    work_rvu: DecimalText | None = None
    total_rvu: DecimalText | None = None
    conversion_factor: DecimalText | None = None
    status_indicator: str | None = None
    apc: str | None = None
    source: str | None
    confidence: Confidence | None
    note: str | None = None


@dataclass(kw_only=True)
class Locality:
    """The Medicare payment locality a professional claim was priced in (its service
    facility ZIP → carrier and locality → the GPCI row)."""

    __pydantic_config__ = _PART

    zip: str
    carrier: str
    locality: str
    name: str
    work_gpci: DecimalText
    practice_expense_gpci: DecimalText
    malpractice_gpci: DecimalText
    source: str
    confidence: Confidence


@dataclass(kw_only=True)
class Pricing:
    __pydantic_config__ = _PART

    setting: Setting
    currency: Literal["USD"]
    lines: tuple[PricedLine, ...]
    total_allowed: MoneyText | None
    notes: tuple[str, ...]
    total_payable: MoneyText | None = None
    locality: Locality | None = field(
        default=None, metadata={"description": "null: no locality adjustment (a note says why)"}
    )


class _Outcome(_Output):
    """Fields in the order they are written (json_codec encodes from this definition)."""

    event_id: str
    event_type: str
    schema_version: Literal[1]
    occurred_at: AwareDatetime
    source_event_id: str
    claim_id: str
    ruleset: RulesetRef


class ClaimEnriched(_Outcome):
    event_type: Literal["claim.enriched"]
    claim: Claim
    findings: list[Finding]
    changes: list[Change]
    pricing: Pricing | None = Field(
        description="null for a void (frequency `void`): nothing is paid (PCI-CLM-003)"
    )


class ClaimRejected(_Outcome):
    event_type: Literal["claim.rejected"]
    claim: Claim
    findings: list[Finding]
    proposed_changes: list[Change]


ClaimOutcomeEvent = Annotated[ClaimEnriched | ClaimRejected, Field(discriminator="event_type")]
CLAIM_OUTCOME: TypeAdapter[ClaimEnriched | ClaimRejected] = TypeAdapter(ClaimOutcomeEvent)
"""Reads an enriched or rejected event (a document or JSON) as its model."""


class ValidationProblem(_Output):
    loc: str
    msg: str


class DeadLetterSource(_Output):
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    file: str | None = None
    line: int | None = None


class DeadLetter(_Output):
    event_id: str
    event_type: Literal["claim.dead_letter"]
    schema_version: Literal[1]
    occurred_at: AwareDatetime
    error_kind: ErrorKind
    errors: list[ValidationProblem]
    source: DeadLetterSource
    original_base64: str | None = Field(
        description="the event's bytes; null when they are too large to carry (too_large, "
        "unpublishable): the original stays in the input topic at `source`"
    )
    original_size: int | None = Field(default=None, ge=0, description="bytes, when not carried")
    original_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="hex, when not carried"
    )
