"""Coding vocabulary the edits are written in (definitions, not reference figures)."""

from typing import Literal

from contracts.vocabulary import ChangeAction, Disposition

__all__ = ["ChangeAction", "Disposition"]

Action = Literal["correct", "reject", "warn", "off"]

BLOCKING: frozenset[Disposition] = frozenset({"claim_rejection", "line_rejection"})
SEVERITY_ORDER: dict[Disposition, int] = {
    "claim_rejection": 0,
    "line_rejection": 1,
    "correction": 2,
    "warning": 3,
    "info": 4,
}

# One major coronary artery and its branches (CPT PCI guidelines; the 92924 guide).
CORONARY_MODIFIERS: frozenset[str] = frozenset({"LC", "LD", "LM", "RC", "RI"})
# Distinct procedural service modifiers (NCCI Policy Manual ch. I).
DISTINCT_MODIFIERS: frozenset[str] = frozenset({"59", "XE", "XS", "XP", "XU"})
# The modifiers PCI-BUND-001 accepts as the distinct-session marker for angiography.
ANGIOGRAPHY_DISTINCT_MODIFIERS: frozenset[str] = frozenset({"59", "XU"})

# Facility places of service (CMS POS code set; edits.md, third release, "Professional
# component"): a physician's service there is its professional component (modifier 26).
FACILITY_PLACES_OF_SERVICE: frozenset[str] = frozenset(
    {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)
# PFS component modifiers: professional (26) and technical (TC) component.
COMPONENT_MODIFIERS: frozenset[str] = frozenset({"26", "TC"})

# HCPCS Level II C-codes are for hospital outpatient (OPPS) claims only (CMS HCPCS).
OPPS_ONLY_PREFIX = "C"

# Where an edit points in the X12 837 transaction, by the kind of claim.
X12_PATHS: dict[str, dict[str, str]] = {
    "professional": {
        "claim": "2300/CLM",
        "diagnoses": "2300/HI",
        "line": "2400/LX01",
        "code": "2400/SV101-2",
        "modifier": "2400/SV101-3",
        "units": "2400/SV104",
        "diagnosis_pointer": "2400/SV107",
        "service_date": "2400/DTP03",
        "billing_npi": "2010AA/NM109",
        "rendering_npi": "2310B/NM109",
        "claim_reference": "2300/REF02",
    },
    "institutional": {
        "claim": "2300/CLM",
        "diagnoses": "2300/HI",
        "line": "2400/LX01",
        "code": "2400/SV202-2",
        "modifier": "2400/SV202-3",
        "units": "2400/SV205",
        "diagnosis_pointer": "2300/HI",
        "service_date": "2400/DTP03",
        "billing_npi": "2010AA/NM109",
        "rendering_npi": "2310D/NM109",
        "claim_reference": "2300/REF02",
    },
}


def x12_paths(setting: str) -> dict[str, str]:
    """Element → X12 path for a claim of this setting (professional 837P, else 837I)."""
    return X12_PATHS["professional" if setting == "professional" else "institutional"]
