"""A reproducible corpus of realistic claims: 1 to 8 lines, mixed codes and documentation."""

import random
from typing import Any

TERRITORY_SEGMENTS = {
    "LD": ["12", "13", "15"],
    "LC": ["18", "19", "20"],
    "RC": ["1", "2", "3"],
    "LM": ["11a", "11b"],
    "RI": ["28"],
}
BASE_BY_TREATMENT = [
    ("92920", ["balloon"]),
    ("92924", ["atherectomy", "balloon"]),
    ("92928", ["stent"]),
    ("92933", ["atherectomy", "drug_eluting_stent"]),
    ("92943", ["stent"]),
]
ADD_ONS = ["92972", "92978", "92979", "93571", "92973"]


def claim_event(rng: random.Random, index: int) -> dict[str, Any]:
    territories = rng.sample(sorted(TERRITORY_SEGMENTS), rng.randint(1, 3))
    lines: list[dict[str, Any]] = []
    lesions: list[dict[str, Any]] = []
    for territory in territories:
        code, treatments = rng.choice(BASE_BY_TREATMENT)
        modifiers = [territory] if rng.random() > 0.1 else []
        lines.append(_line(code, modifiers))
        lesions.append(
            {
                "lesion_id": f"L{len(lesions) + 1}",
                "segments": [rng.choice(TERRITORY_SEGMENTS[territory])],
                "via_graft": False,
                "treatments": treatments,
                "calcification": rng.choice(["none", "moderate", "severe"]),
                "resistant_to_balloon": rng.random() > 0.5,
                "complex_anatomy": False,
                "balloon_inadequate": rng.random() > 0.7,
                "cto": code == "92943",
                "acute_mi_culprit": False,
                "line_number": len(lines),
            }
        )
        if rng.random() < 0.25:
            lines.append(_line("92920", [territory]))
    if rng.random() < 0.3:
        lines.insert(0, _line("93459", rng.choice([[], ["XU"], ["59"]])))
    while len(lines) < 8 and rng.random() < 0.4:
        lines.append(_line(rng.choice(ADD_ONS), []))
    if rng.random() < 0.1:
        lines.append(_line("92925", [territories[0]]))
    for number, item in enumerate(lines[:8], start=1):
        item["line_number"] = number
    claim: dict[str, Any] = {
        "claim_id": f"CLM-{index:08d}",
        "frequency": "original",
        "payer": rng.choice(
            [
                {"payer_id": "MEDICARE-JL", "kind": "medicare"},
                {"payer_id": "ACME-HEALTH", "kind": "commercial"},
                {"payer_id": "MA-PLAN-7", "kind": "medicare_advantage"},
            ]
        ),
        "setting": rng.choice(["professional", "professional", "hospital_outpatient"]),
        "place_of_service": "22",
        "billing_provider": {"npi": "1234567893"},
        "rendering_provider": {
            "npi": "1245319599",
            "qualifying_apm_participant": rng.random() < 0.2,
        },
        "patient": {
            "member_id": f"M{rng.randint(10**7, 10**8)}",
            "birth_date": "1948-07-01",
            "sex": rng.choice(["F", "M"]),
        },
        "diagnoses": ["I25.10", "I25.84"],
        "lines": lines[:8],
    }
    if rng.random() < 0.7:
        claim["procedure"] = {
            "dominance": "right",
            "prior_diagnostic_study": "available",
            "diagnostic_exception": rng.choice([None, None, "condition_changed"]),
            "lesions": lesions,
        }
    return {
        "event_id": f"bench-{index:08d}",
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": "2026-11-20T10:00:00Z",
        "claim": claim,
    }


def _line(code: str, modifiers: list[str]) -> dict[str, Any]:
    return {
        "line_number": 0,
        "procedure_code": code,
        "modifiers": modifiers,
        "units": 1,
        "charge": "1000.00",
        "service_date": "2026-03-02",
        "diagnosis_pointers": [1],
    }


def corpus(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [claim_event(rng, index) for index in range(count)]
