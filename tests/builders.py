"""Readable builders for ClaimSubmitted events in tests."""

from typing import Any

from contracts import ClaimSubmitted

SERVICE_DATE = "2026-03-02"
VALID_NPI = "1234567893"


def line(
    code: str,
    *modifiers: str,
    n: int = 1,
    units: int = 1,
    date: str = SERVICE_DATE,
    pointers: tuple[int, ...] = (1,),
    charge: str = "1000.00",
) -> dict[str, Any]:
    return {
        "line_number": n,
        "procedure_code": code,
        "modifiers": list(modifiers),
        "units": units,
        "charge": charge,
        "service_date": date,
        "diagnosis_pointers": list(pointers),
    }


def lesion(
    *segments: str,
    treatments: tuple[str, ...] = ("balloon",),
    line_number: int | None = None,
    lesion_id: str = "L1",
    **flags: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "lesion_id": lesion_id,
        "segments": list(segments),
        "treatments": list(treatments),
        "line_number": line_number,
    }
    document.update(flags)
    return document


def procedure(*lesions: dict[str, Any], exception: str | None = None) -> dict[str, Any]:
    return {
        "dominance": "right",
        "prior_diagnostic_study": "available",
        "diagnostic_exception": exception,
        "lesions": list(lesions),
    }


def numbered(*lines: dict[str, Any]) -> list[dict[str, Any]]:
    """Give lines 1..n as line numbers, in order."""
    return [{**item, "line_number": i} for i, item in enumerate(lines, start=1)]


def event_document(
    *lines: dict[str, Any],
    proc: dict[str, Any] | None = None,
    payer_kind: str = "medicare",
    payer_id: str = "PAYER-MEDICARE",
    setting: str = "professional",
    qualifying_apm: bool = False,
    event_id: str = "evt-1",
    occurred_at: str = "2026-11-20T10:00:00Z",
    billing_npi: str = VALID_NPI,
    diagnoses: tuple[str, ...] = ("I25.10", "I25.84"),
    renumber: bool = True,
    facility_zip: str | None = None,
    frequency: str = "original",
    claim_reference: str | None = None,
    place_of_service: str = "22",
) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "claim_id": "CLM-TEST-1",
        "frequency": frequency,
        "payer": {"payer_id": payer_id, "kind": payer_kind},
        "setting": setting,
        "place_of_service": place_of_service,
        "billing_provider": {"npi": billing_npi},
        "rendering_provider": {"npi": VALID_NPI, "qualifying_apm_participant": qualifying_apm},
        "patient": {"member_id": "M-SECRET-4711", "birth_date": "1951-04-03", "sex": "F"},
        "diagnoses": list(diagnoses),
        "lines": numbered(*lines) if renumber else list(lines),
    }
    if proc is not None:
        claim["procedure"] = proc
    if claim_reference is not None:
        claim["payer_claim_control_number"] = claim_reference
    if facility_zip is not None:
        claim["service_facility"] = {"zip": facility_zip}
    return {
        "event_id": event_id,
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": occurred_at,
        "claim": claim,
    }


def event(*lines: dict[str, Any], **options: Any) -> ClaimSubmitted:
    return ClaimSubmitted.model_validate(event_document(*lines, **options))
