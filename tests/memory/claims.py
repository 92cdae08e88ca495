"""Remembered claims for the claim-memory tests, dated relative to today (the memory reads
claims within the retention window of the server's date)."""

from datetime import date, timedelta
from decimal import Decimal

from service.app.memory import PatientRef
from service.domain.history import Frequency, RememberedClaim, RememberedLine

TODAY = date.today()
KEY_SPACE = [""]
"""Memory keys are unique on a server (an input event's id and a claim id): each test
writes its keys under a prefix of its own (tests/memory/conftest.py), and reads them back
without it."""
PATIENT = PatientRef(payer_id="PAYER-77", member_id="MEMBER-0042-XYZ")
OTHER_PATIENT = PatientRef(payer_id="PAYER-77", member_id="MEMBER-0099-QRS")


def remembered(
    key: str,
    claim_id: str | None = None,
    *,
    frequency: Frequency = "original",
    replaces: str | None = None,
    code: str = "92928",
    days_ago: tuple[int, ...] = (10,),
    units: int = 1,
) -> RememberedClaim:
    return RememberedClaim(
        claim_id=claim_id or f"CLM-{key}",
        memory_key=KEY_SPACE[0] + key,
        frequency=frequency,
        replaces=replaces,
        setting="professional",
        billing_npi="1234567893",
        rendering_npi="1245319599",
        outcome="claim.enriched",
        lines=tuple(
            RememberedLine(
                line_number=n,
                procedure_code=code,
                modifiers=("LD", "59") if n == 1 else (),
                units=units,
                charge=Decimal("1234.50"),
                service_date=TODAY - timedelta(days=ago),
            )
            for n, ago in enumerate(days_ago, start=1)
        ),
    )


def key(name: str) -> str:
    return KEY_SPACE[0] + name


def keys(claims: tuple[RememberedClaim, ...]) -> list[str]:
    return [claim.memory_key.removeprefix(KEY_SPACE[0]) for claim in claims]
