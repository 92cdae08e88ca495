"""The claim as a billing platform submits it (837P/837I abstracted to JSON).

Frozen models; integers and booleans are strict so that `"1"` or `1` for `true` is a
schema error the sender hears about instead of a silent coercion. Unknown fields are kept
and echoed, never interpreted, so a sender may add its own references. Semantic checks
(pointer ranges, duplicate line numbers, NPI check digits) are edits, not schema.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

MAX_LINES = 50
MAX_MODIFIERS = 4
MAX_DIAGNOSES = 12
MAX_POINTERS = 4

Modifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]
ProcedureCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5}$")]
Npi = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
DiagnosisCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
]
# No control characters in an identifier: no sender means one, X12 forbids them, and a NUL
# cannot be stored by PostgreSQL (the claim memory keeps claim and event ids).
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=PRINTABLE)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str, when_used="json"),
]

Treatment = Literal[
    "balloon",
    "stent",
    "drug_eluting_stent",
    "atherectomy",
    "lithotripsy",
    "thrombectomy_mechanical",
    "thrombectomy_aspiration",
    "drug_coated_balloon",
]
DiagnosticException = Literal[
    "no_prior_study",
    "condition_changed",
    "inadequate_visualization",
    "clinical_change_outside_target",
]
PayerKind = Literal["medicare", "medicare_advantage", "medicaid", "commercial"]
Setting = Literal["professional", "hospital_outpatient", "asc"]


class _Frozen(BaseModel):
    # Fields the contract does not name are kept as sent and echoed in the enriched claim
    # (a billing platform's own references must survive the trip); never interpreted.
    model_config = ConfigDict(frozen=True, extra="allow")


class Payer(_Frozen):
    payer_id: Identifier
    kind: PayerKind


class Provider(_Frozen):
    npi: Npi


class RenderingProvider(_Frozen):
    npi: Npi
    qualifying_apm_participant: StrictBool = False


class Patient(_Frozen):
    """Protected health information: echoed to output topics, never logged."""

    member_id: Identifier
    birth_date: date
    sex: Literal["F", "M", "U"]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = Field(
        default=None,
        description="837 2010CA (else 2010BA) NM103; the 277CA names the patient with it "
        "(second release)",
    )
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=35)] | None = Field(
        default=None, description="837 2010CA (else 2010BA) NM104 (second release)"
    )


class ServiceFacility(_Frozen):
    """Where the service was performed (837P 2310C N403, else 2010AA N403): its ZIP selects
    the Medicare payment locality."""

    zip: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}([0-9]{4})?$")]


class ClaimLine(_Frozen):
    line_number: StrictInt = Field(ge=1, le=999)
    procedure_code: ProcedureCode
    modifiers: tuple[Modifier, ...] = Field(default=(), max_length=MAX_MODIFIERS)
    units: StrictInt = Field(ge=1, le=9999)
    charge: Money
    service_date: date
    # Bounded so that no integer the contract carries overflows a consumer (or JSON encoder);
    # the range check against the diagnoses is an edit (PCI-CLM-002), not the schema.
    diagnosis_pointers: tuple[Annotated[StrictInt, Field(ge=-999, le=999)], ...] = Field(
        min_length=1, max_length=MAX_POINTERS
    )
    line_item_control_number: (
        Annotated[str, StringConstraints(min_length=1, max_length=50)] | None
    ) = Field(
        default=None,
        description="the sender's reference for the line (837 2400 REF*6R), echoed in outputs "
        "(second release)",
    )


class Lesion(_Frozen):
    lesion_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    segments: tuple[Annotated[str, StringConstraints(min_length=1, max_length=8)], ...] = Field(
        default=(), max_length=40
    )
    via_graft: StrictBool = False
    treatments: tuple[Treatment, ...] = Field(default=(), max_length=10)
    calcification: Literal["none", "mild", "moderate", "severe"] = "none"
    resistant_to_balloon: StrictBool = False
    complex_anatomy: StrictBool = False
    balloon_inadequate: StrictBool = False
    cto: StrictBool = False
    acute_mi_culprit: StrictBool = False
    line_number: Annotated[StrictInt, Field(ge=-999, le=999)] | None = None
    graft_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None,
        description="which bypass graft, when `via_graft` (second release): each graft is its "
        "own vessel in the territory groups",
    )
    approach: Literal["antegrade", "retrograde", "combined"] | None = Field(
        default=None,
        description="for a chronic total occlusion (second release): `combined` → 92945",
    )
    bifurcation: StrictBool = Field(
        default=False,
        description="the lesion is a bifurcation lesion (main vessel and side branch treated as "
        "one lesion; third release): a stented bifurcation is 92930 in 2026, as two or more "
        "stented lesions are",
    )


class Procedure(_Frozen):
    """Structured cath-lab documentation abstracted from the procedure report."""

    dominance: Literal["right", "left", "codominant"] | None = None
    prior_diagnostic_study: Literal["none", "available"] | None = None
    diagnostic_exception: DiagnosticException | None = None
    lesions: tuple[Lesion, ...] = Field(default=(), max_length=50)


class Claim(_Frozen):
    claim_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]
    frequency: Literal["original", "replacement", "void"]
    payer: Payer
    setting: Setting
    place_of_service: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")] | None = None
    billing_provider: Provider
    rendering_provider: RenderingProvider
    patient: Patient
    diagnoses: tuple[DiagnosisCode, ...] = Field(min_length=1, max_length=MAX_DIAGNOSES)
    lines: tuple[ClaimLine, ...] = Field(min_length=1, max_length=MAX_LINES)
    procedure: Procedure | None = None
    service_facility: ServiceFacility | None = None
    payer_claim_control_number: (
        Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=PRINTABLE)] | None
    ) = Field(
        default=None,
        description="the payer's number for the claim a replacement or void refers to "
        "(837 2300 REF*F8); required for `replacement` and `void` (PCI-CLM-004)",
    )

    @model_validator(mode="after")
    def _place_of_service_outside_hospital(self) -> "Claim":
        if self.setting != "hospital_outpatient" and self.place_of_service is None:
            raise ValueError("place_of_service is required unless setting is hospital_outpatient")
        return self
