"""Claim memory as the engine sees it: a patient's claims accepted earlier, as plain data.

The engine never reads a database. The application layer asks the memory port
(service/app/memory.py) for the remembered claims of the patients in a batch and hands each
claim's `ClaimHistory` to `evaluate`; after editing it hands back what the domain says is worth
remembering (`RememberedClaim`). What is stored is only what the history edits read: no name,
no member id (the adapter keys a patient by a keyed hash), no diagnosis.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Frequency = Literal["original", "replacement", "void"]
Setting = Literal["professional", "hospital_outpatient", "asc"]


@dataclass(frozen=True, slots=True)
class RememberedLine:
    line_number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    service_date: date


@dataclass(frozen=True, slots=True)
class RememberedClaim:
    """One accepted claim of a patient, in the order claims were first accepted (`sequence`,
    given by the memory; 0 until stored)."""

    claim_id: str
    memory_key: str
    """What makes an edit a replay of an earlier one: the input event's id and the claim id.
    A claim edited again with the same key sees the history it saw the first time."""
    frequency: Frequency
    replaces: str | None
    """The claim id a replacement or void names (the payer's claim control number)."""
    setting: Setting
    billing_npi: str
    rendering_npi: str
    outcome: Literal["claim.enriched", "claim.rejected"]
    lines: tuple[RememberedLine, ...]
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class ClaimHistory:
    """The patient's claims accepted before this one (lower sequence), oldest first; never
    the claim itself nor claims first accepted after it."""

    claims: tuple[RememberedClaim, ...] = ()
