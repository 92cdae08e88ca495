"""Hypothesis strategies for valid ClaimSubmitted documents over the codes in rule scope."""

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

CODES = [
    "92920",
    "92924",
    "92928",
    "92930",
    "92933",
    "92937",
    "92941",
    "92943",
    "92945",
    "92921",
    "92925",
    "92929",
    "92934",
    "C9600",
    "C9602",
    "C9604",
    "C9606",
    "C9607",
    "C9601",
    "92972",
    "92973",
    "92974",
    "92978",
    "92979",
    "93571",
    "93572",
    "93454",
    "93459",
    "93461",
    "99213",
    "J3490",
    "76000",
    "G0269",
    "93564",
    "99152",
    "C9603",
]
MODIFIERS = ["LC", "LD", "LM", "RC", "RI", "59", "XU", "XS", "XE", "25", "26"]
SEGMENTS = ["1", "2", "3", "11a", "11b", "12", "13", "15", "18", "19", "28", "99"]
TREATMENTS = [
    "balloon",
    "stent",
    "drug_eluting_stent",
    "atherectomy",
    "lithotripsy",
    "thrombectomy_mechanical",
    "thrombectomy_aspiration",
    "drug_coated_balloon",
]
EXCEPTIONS = [
    None,
    "no_prior_study",
    "condition_changed",
    "inadequate_visualization",
    "clinical_change_outside_target",
]
NPIS = ["1234567893", "1245319599", "1234567890"]


@st.composite
def lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 8))
    base_day = draw(
        st.sampled_from(
            [
                date(2024, 12, 30),
                date(2025, 6, 1),
                date(2025, 12, 31),
                date(2026, 1, 2),
                date(2026, 3, 2),
                date(2026, 10, 1),
            ]
        )
    )
    result = []
    for number in range(1, count + 1):
        day = base_day + timedelta(days=draw(st.sampled_from([0, 0, 0, 1])))
        result.append(
            {
                "line_number": draw(st.sampled_from([number, number, number, 1])),
                "procedure_code": draw(st.sampled_from(CODES)),
                "modifiers": draw(st.lists(st.sampled_from(MODIFIERS), max_size=4)),
                "units": draw(st.integers(1, 3)),
                "charge": draw(st.sampled_from(["0.00", "100.00", "1000.00", 250, 99.5])),
                "service_date": day.isoformat(),
                "diagnosis_pointers": draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)),
                **draw(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "line_item_control_number": st.from_regex(
                                r"[A-Z0-9-]{1,50}", fullmatch=True
                            )
                        },
                    )
                ),
            }
        )
    return result


@st.composite
def procedures(draw: st.DrawFn, line_count: int) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    lesions = [
        {
            "lesion_id": f"L{i}",
            "segments": draw(st.lists(st.sampled_from(SEGMENTS), max_size=3)),
            "via_graft": draw(st.booleans()),
            "treatments": draw(st.lists(st.sampled_from(TREATMENTS), max_size=3)),
            "calcification": draw(st.sampled_from(["none", "mild", "moderate", "severe"])),
            "resistant_to_balloon": draw(st.booleans()),
            "complex_anatomy": draw(st.booleans()),
            "balloon_inadequate": draw(st.booleans()),
            "cto": draw(st.booleans()),
            "acute_mi_culprit": draw(st.booleans()),
            "line_number": draw(st.none() | st.integers(1, line_count + 1)),
            **draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "graft_id": st.sampled_from(["SVG-1", "SVG-2", "LIMA"]) | st.none(),
                        "approach": st.sampled_from(["antegrade", "retrograde", "combined"])
                        | st.none(),
                        "bifurcation": st.booleans(),
                    },
                )
            ),
        }
        for i in range(draw(st.integers(0, 4)))
    ]
    return {
        "dominance": draw(st.sampled_from(["right", "left", "codominant"])),
        "prior_diagnostic_study": draw(st.sampled_from(["none", "available"])),
        "diagnostic_exception": draw(st.sampled_from(EXCEPTIONS)),
        "lesions": lesions,
    }


@st.composite
def claim_events(draw: st.DrawFn) -> dict[str, Any]:
    claim_lines = draw(lines())
    setting = draw(st.sampled_from(["professional", "hospital_outpatient", "asc"]))
    claim: dict[str, Any] = {
        "claim_id": draw(st.from_regex(r"CLM-[0-9]{1,6}", fullmatch=True)),
        "frequency": draw(st.sampled_from(["original", "replacement", "void"])),
        "payer": {
            "payer_id": draw(st.sampled_from(["MCR", "MA-1", "COMM-9"])),
            "kind": draw(
                st.sampled_from(["medicare", "medicare_advantage", "medicaid", "commercial"])
            ),
        },
        "setting": setting,
        "place_of_service": "22",
        "billing_provider": {"npi": draw(st.sampled_from(NPIS))},
        "rendering_provider": {
            "npi": "1234567893",
            "qualifying_apm_participant": draw(st.booleans()),
        },
        "patient": {"member_id": "M-1", "birth_date": "1950-01-01", "sex": "M"},
        "diagnoses": draw(
            st.lists(st.sampled_from(["I25.10", "I21.4", "I25.84"]), min_size=1, max_size=3)
        ),
        "lines": claim_lines,
        "procedure": draw(procedures(len(claim_lines))),
        **draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "payer_claim_control_number": st.from_regex(r"[A-Z0-9-]{1,50}", fullmatch=True),
                    "service_facility": st.fixed_dictionaries(
                        {"zip": st.sampled_from(["35203", "352031234", "10001", "00000", "94103"])}
                    ),
                },
            )
        ),
    }
    return {
        "event_id": draw(st.from_regex(r"evt-[a-z0-9]{1,12}", fullmatch=True)),
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": draw(st.sampled_from(["2026-11-20T10:00:00Z", "2026-01-01T00:00:00+05:00"])),
        "claim": claim,
    }
