"""Medicare national reference prices: PFS, OPPS J1 comprehensive, ASC, and honest nulls."""

import pytest

from contracts import ClaimSubmitted, Pricing
from tests.builders import event, line
from tests.outcomes import run


def pricing_of(claim_event: ClaimSubmitted) -> Pricing:
    outcome = run(claim_event)
    assert outcome.pricing is not None, [f.message for f in outcome.findings]
    return outcome.pricing


@pytest.mark.parametrize(
    ("name", "claim_event", "total"),
    [
        ("92924 professional", event(line("92924", "LD")), "469.28"),
        (
            "92924 qualifying APM participant",
            event(line("92924", "LD"), qualifying_apm=True),
            "471.62",
        ),
        ("two territories", event(line("92933", "LD"), line("92928", "RC")), "1017.39"),
        (
            "92924 outpatient, J1 comprehensive",
            event(line("92924", "LD"), line("92978"), setting="hospital_outpatient"),
            "11794.00",
        ),
        ("92924 in an ASC", event(line("92924", "LD"), setting="asc"), "8448.00"),
        ("a code without an RVU row", event(line("92930", "LD")), None),
        (
            "2025 date: no 2025 RVU table is loaded",
            event(line("92924", "LD", date="2025-05-01")),
            None,
        ),
        (
            "outpatient code without an OPPS row",
            event(line("92933", "LD"), setting="hospital_outpatient"),
            None,
        ),
    ],
)
def test_total_allowed(name: str, claim_event: ClaimSubmitted, total: str | None) -> None:
    assert pricing_of(claim_event).total_allowed == total


def test_professional_line_names_rvus_factor_source_and_weakest_confidence() -> None:
    (priced,) = pricing_of(event(line("92924", "LD"))).lines
    assert (priced.work_rvu, priced.total_rvu, priced.conversion_factor, priced.allowed) == (
        "9.88",
        "14.05",
        "33.4009",
        "469.28",
    )
    assert priced.confidence == "secondary"
    assert priced.source is not None and "CY2026 PFS final rule" in priced.source


def test_missing_price_is_null_with_a_note_never_invented() -> None:
    pricing = pricing_of(event(line("92924", "LD"), line("92930", "RC")))
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["92924"].allowed == "469.28"
    assert by_code["92930"].allowed is None
    assert by_code["92930"].note is not None and "no RVU row" in by_code["92930"].note
    assert any("total_allowed is null" in note for note in pricing.notes)


def test_j1_pays_the_highest_line_and_packages_every_other() -> None:
    pricing = pricing_of(event(line("92924", "LD"), line("92978"), setting="hospital_outpatient"))
    assert [(p.procedure_code, p.allowed) for p in pricing.lines] == [
        ("92924", "11794.00"),
        ("92978", "0.00"),
    ]
    assert any("packaged" in note for note in pricing.notes)


def test_notes_say_the_amounts_are_unadjusted_national() -> None:
    assert any("no geographic" in n for n in pricing_of(event(line("92924", "LD"))).notes)


def test_asc_price_carries_the_guide_confidence() -> None:
    (priced,) = pricing_of(event(line("92924", "LD"), setting="asc")).lines
    assert (priced.method, priced.confidence) == ("asc", "guide")
