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
            "10087.35",
        ),
        ("92924 in an ASC", event(line("92924", "LD"), setting="asc"), "8447.98"),
        ("a code without an RVU row", event(line("92930", "LD")), None),
        (
            "2025 professional, from the 2025 PFS relative value file",
            event(line("92924", "LD", date="2025-05-01")),
            "596.79",
        ),
        (
            "92941 has no OPPS row in the files loaded",
            event(line("92941", "LD"), setting="hospital_outpatient"),
            None,
        ),
        (
            "92924 was not on the 2025 ASC list (a commercial payer: priced, not rejected)",
            event(line("92924", "LD", date="2025-05-01"), setting="asc", payer_kind="commercial"),
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
        ("92924", "10087.35"),
        ("92978", "0.00"),
    ]
    assert any("packaged" in note for note in pricing.notes)


def test_notes_say_the_amounts_are_unadjusted_national() -> None:
    assert any("no geographic" in n for n in pricing_of(event(line("92924", "LD"))).notes)


def test_asc_price_names_the_official_addendum_it_comes_from() -> None:
    (priced,) = pricing_of(event(line("92924", "LD"), setting="asc")).lines
    assert (priced.method, priced.confidence) == ("asc", "confirmed")
    assert priced.source is not None and "ASC Addendum AA, January 2026" in priced.source


def test_a_2025_branch_add_on_is_bundled_at_zero_with_a_note() -> None:
    pricing = pricing_of(
        event(line("92928", "LD", date="2025-05-01"), line("92929", "LD", date="2025-05-01"))
    )
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["92929"].allowed == "0.00"
    assert by_code["92929"].note is not None and "status B" in by_code["92929"].note
    assert pricing.total_allowed == by_code["92928"].allowed


def test_an_asc_packaged_line_is_zero_and_says_why() -> None:
    pricing = pricing_of(event(line("92924", "LD"), line("92978"), setting="asc"))
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["92978"].allowed == "0.00"
    assert by_code["92978"].note is not None and "N1" in by_code["92978"].note
    assert pricing.total_allowed == "8447.98"


def test_a_carrier_priced_code_has_no_national_amount() -> None:
    pricing = pricing_of(
        event(line("92924", "LD", date="2025-05-01"), line("92978", date="2025-05-01"))
    )
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["92978"].allowed is None
    assert by_code["92978"].note is not None and "status C" in by_code["92978"].note
    assert pricing.total_allowed is None


JUNE_2025 = "2025-06-10"
BIRMINGHAM = "35203"


def test_payable_applies_the_locality_of_the_service_facility_zip() -> None:
    pricing = pricing_of(event(line("92924", "LD", date=JUNE_2025), facility_zip=BIRMINGHAM))
    (priced,) = pricing.lines
    # (11.74 + 4.07 x 0.869 + 2.64 x 0.575) x 32.3465, the spec's worked example
    assert (priced.allowed, priced.payable, pricing.total_payable) == ("596.79", "543.25", "543.25")
    assert pricing.locality is not None
    assert (pricing.locality.carrier, pricing.locality.locality, pricing.locality.name) == (
        "10112",
        "00",
        "ALABAMA",
    )
    assert "GPCI2025.csv" in pricing.locality.source
    assert "ZIP5_OCT2025.txt" in pricing.locality.source


def test_a_nine_digit_zip_selects_the_locality_of_its_first_five() -> None:
    pricing = pricing_of(event(line("92924", "LD", date=JUNE_2025), facility_zip="352031234"))
    assert pricing.total_payable == "543.25"


def test_indicator_2_lines_on_one_date_pay_100_and_50_percent_add_ons_in_full() -> None:
    claim = event(
        line("92924", "LD", date=JUNE_2025),
        line("92920", "RC", date=JUNE_2025),
        line("92972", date=JUNE_2025),
        facility_zip=BIRMINGHAM,
    )
    pricing = pricing_of(claim)
    assert [(p.procedure_code, p.payable) for p in pricing.lines] == [
        ("92924", "543.25"),
        ("92920", "228.02"),  # 456.04 adjusted, halved
        ("92972", "131.07"),  # an add-on (indicator 0): not reduced
    ]
    assert pricing.total_payable == "902.34"
    assert pricing.total_allowed == "1237.25"  # allowed keeps its v1 meaning
    assert any("multiple-procedure reduction" in note for note in pricing.notes)


@pytest.mark.parametrize(
    ("name", "claim_event", "missing"),
    [
        ("no service facility", event(line("92924", "LD", date=JUNE_2025)), "no service facility"),
        (
            "a ZIP the 2025 file does not hold",
            event(line("92924", "LD", date=JUNE_2025), facility_zip="00000"),
            "no ZIP-to-locality row for 00000",
        ),
        (
            "2026: no 2026 GPCI or ZIP5 file is shipped",
            event(line("92924", "LD"), facility_zip=BIRMINGHAM),
            "no ZIP-to-locality row for 35203 on 2026",
        ),
    ],
)
def test_without_a_locality_payable_is_the_national_amount_and_a_note_says_why(
    name: str, claim_event: ClaimSubmitted, missing: str
) -> None:
    pricing = pricing_of(claim_event)
    (priced,) = pricing.lines
    assert priced.payable == priced.allowed
    assert pricing.locality is None
    assert any(missing in note for note in pricing.notes), pricing.notes


def test_asc_discounting_pays_the_highest_rate_in_full_and_halves_the_others() -> None:
    pricing = pricing_of(event(line("92920", "RC"), line("92924", "LD"), setting="asc"))
    assert [(p.procedure_code, p.allowed, p.payable) for p in pricing.lines] == [
        ("92920", "3849.47", "1924.74"),
        ("92924", "8447.98", "8447.98"),
    ]
    assert pricing.total_payable == "10372.72"


def test_bundled_and_comprehensive_lines_pay_what_they_allow() -> None:
    bundled = pricing_of(
        event(
            line("92928", "LD", date=JUNE_2025),
            line("92929", "LD", date=JUNE_2025),
            facility_zip=BIRMINGHAM,
        )
    )
    assert [p.payable for p in bundled.lines if p.procedure_code == "92929"] == ["0.00"]
    outpatient = pricing_of(
        event(line("92924", "LD"), line("92978"), setting="hospital_outpatient")
    )
    assert [p.payable for p in outpatient.lines] == ["10087.35", "0.00"]
    assert outpatient.total_payable == "10087.35"
