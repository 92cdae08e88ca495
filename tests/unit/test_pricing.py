"""Medicare national reference prices: PFS, OPPS J1 comprehensive, ASC, and honest nulls."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from contracts import ClaimSubmitted, Pricing
from service.adapters.reference_files import load_reference
from service.domain.engine import evaluate
from service.domain.policy import Policy
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
    assert priced.source is not None and "PPRRVU2026_Jul_nonQPP" in priced.source


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
    # in an office (11) the global row is billed: 92978's is status C
    pricing = pricing_of(
        event(
            line("92924", "LD", date="2025-05-01"),
            line("92978", date="2025-05-01"),
            place_of_service="11",
        )
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


# Hand-computed from the CMS rows (PPRRVU2025_Oct.csv, conversion factor 32.3465):
#   93458    global: facility total 29.77, MULT PROC 2, PCTC 1
#   93458-26 work 5.60, facility PE 1.94, MP 1.04, facility total 8.58, MULT PROC 2
#   92928    global: facility total 17.21, MULT PROC 2, PCTC 0
#   92978-26 status A, facility total 2.77 (the global row is status C)
# and GPCI2025.csv, Alabama (10112/00): PW 1.000, PE 0.869, MP 0.575.


def test_a_line_with_26_is_paid_the_professional_component_not_the_global_amount() -> None:
    pricing = pricing_of(event(line("93458", "26", date=JUNE_2025)))
    (priced,) = pricing.lines
    # 8.58 x 32.3465 = 277.532997 -> 277.53 (the global row: 29.77 x 32.3465 = 962.96)
    assert (priced.total_rvu, priced.allowed, priced.payable) == ("8.58", "277.53", "277.53")
    assert priced.source is not None and "PPRRVU2025_Oct.csv" in priced.source


def test_the_reduction_halves_the_lower_paid_line_once_26_prices_the_component() -> None:
    pricing = pricing_of(
        event(line("92928", "RC", date=JUNE_2025), line("93458", "XU", "26", date=JUNE_2025))
    )
    # 92928: 17.21 x 32.3465 = 556.683265 -> 556.68, paid in full (the higher line)
    # 93458-26: 277.53 x 50% = 138.765 -> 138.77 (half-up)
    assert [(p.procedure_code, p.allowed, p.payable) for p in pricing.lines] == [
        ("92928", "556.68", "556.68"),
        ("93458", "277.53", "138.77"),
    ]
    assert (pricing.total_allowed, pricing.total_payable) == ("834.21", "695.45")


def test_the_component_is_priced_by_locality_from_its_own_row() -> None:
    pricing = pricing_of(event(line("93458", "26", date=JUNE_2025), facility_zip=BIRMINGHAM))
    # (5.60 x 1.000 + 1.94 x 0.869 + 1.04 x 0.575) x 32.3465
    # = (5.60 + 1.68586 + 0.598) x 32.3465 = 7.88386 x 32.3465 = 255.015277 -> 255.02
    assert pricing.total_payable == "255.02"


def test_an_ivus_professional_component_is_priced_from_its_26_row_not_the_status_c_global() -> None:
    pricing = pricing_of(
        event(line("92928", "LD", date=JUNE_2025), line("92978", "LD", "26", date=JUNE_2025))
    )
    # 92978-26: 2.77 x 32.3465 = 89.599805 -> 89.60, an add-on (MULT PROC 0): not reduced
    # 92928: 17.21 x 32.3465 = 556.683265 -> 556.68
    assert [(p.allowed, p.payable) for p in pricing.lines] == [
        ("556.68", "556.68"),
        ("89.60", "89.60"),
    ]
    assert pricing.total_allowed == "646.28"  # 556.68 + 89.60


def test_a_component_with_no_row_for_its_year_is_null_and_says_so() -> None:
    # 2026: no CMS 2026 row for 93458-26 is shipped (the 2026 excerpt holds no PCI code)
    pricing = pricing_of(event(line("92928", "RC"), line("93458", "XU", "26")))
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["93458"].allowed is None
    assert by_code["93458"].note is not None and "93458-26" in by_code["93458"].note
    assert pricing.total_allowed is None


def test_2026_reduction_stands_on_the_indicator_carried_forward_from_2025() -> None:
    pricing = pricing_of(event(line("92924", "LD"), line("92920", "RC")))
    # 2026 facility totals (secondary) x 33.4009 (CMS 2026 non-QPP factor):
    # 92924: 14.05 x 33.4009 = 469.282645 -> 469.28 (100%)
    # 92920: 11.59 x 33.4009 = 387.116431 -> 387.12; x 50% = 193.56
    # MULT PROC 2 for both: PPRRVU2025_Oct.csv, carried forward (derived)
    assert [(p.procedure_code, p.payable) for p in pricing.lines] == [
        ("92924", "469.28"),
        ("92920", "193.56"),
    ]
    assert pricing.total_payable == "662.84"  # 469.28 + 193.56
    assert pricing.total_allowed == "856.40"  # 469.28 + 387.12, before the reduction
    (note,) = [n for n in pricing.notes if n.startswith("payable applies the multiple")]
    assert "carried forward from CMS 2025" in note and "PPRRVU2025_Oct.csv" in note


def test_a_reduction_that_cannot_be_applied_says_so() -> None:
    reference = load_reference()
    march = date(2026, 3, 2)
    ruleset = reference.ruleset_for(march)
    assert ruleset is not None
    # the same reference without the carried-forward indicator of 92920
    rvus = dict(ruleset.rvus)
    rvus["92920"] = tuple(dataclasses.replace(r, multiple_procedure="") for r in rvus["92920"])
    bare = dataclasses.replace(
        reference,
        rulesets=tuple(
            dataclasses.replace(r, rvus=rvus) if r is ruleset else r for r in reference.rulesets
        ),
    )
    outcome = evaluate(event(line("92924", "LD"), line("92920", "RC")), bare, Policy())
    assert outcome.pricing is not None
    assert [p.payable for p in outcome.pricing.lines] == ["469.28", "387.12"]
    assert any(
        "no multiple-procedure reduction" in note and "92920" in note
        for note in outcome.pricing.notes
    ), outcome.pricing.notes


def test_2026_locality_comes_from_gpci2026_and_the_carried_forward_zip_file() -> None:
    pricing = pricing_of(event(line("92924", "LD"), facility_zip=BIRMINGHAM))
    assert pricing.locality is not None
    assert (pricing.locality.work_gpci, pricing.locality.practice_expense_gpci) == (
        "1.000",
        "0.875",
    )
    assert pricing.locality.malpractice_gpci == "0.566"
    assert "GPCI2026.csv" in pricing.locality.source
    assert "ZIP5_OCT2025.txt" in pricing.locality.source
    # the shipped 2026 rows give no PE and MP RVUs: national amount, and a note says why
    assert pricing.total_payable == "469.28"
    assert any("no RVU components" in note for note in pricing.notes), pricing.notes


def test_2026_payable_applies_gpci2026_when_rvu_components_are_loaded() -> None:
    """No CMS 2026 row for 92924 is shipped; a user's 2026 file would give its components.
    Here 92924's 2025 CMS components (work 11.74, facility PE 4.07, MP 2.64) stand in for
    such a row, to show the 2026 locality and factor applied to them."""
    reference = load_reference()
    march = date(2026, 3, 2)
    ruleset = reference.ruleset_for(march)
    assert ruleset is not None
    (row,) = ruleset.rvus["92924"]
    stand_in = dataclasses.replace(
        row,
        work_rvu=Decimal("11.74"),
        facility_pe_rvu=Decimal("4.07"),
        malpractice_rvu=Decimal("2.64"),
        total_rvu=Decimal("18.45"),
    )
    rvus = {**ruleset.rvus, "92924": (stand_in,)}
    loaded = dataclasses.replace(
        reference,
        rulesets=tuple(
            dataclasses.replace(r, rvus=rvus) if r is ruleset else r for r in reference.rulesets
        ),
    )
    claim = event(line("92924", "LD"), facility_zip=BIRMINGHAM)
    outcome = evaluate(claim, loaded, Policy())
    assert outcome.pricing is not None
    # GPCI2026.csv Alabama: PW 1.000, PE 0.875, MP 0.566; 2026 non-QPP factor 33.4009
    # (11.74 x 1.000 + 4.07 x 0.875 + 2.64 x 0.566) x 33.4009
    # = (11.74 + 3.56125 + 1.49424) x 33.4009 = 16.79549 x 33.4009 = 560.984482 -> 560.98
    assert outcome.pricing.total_payable == "560.98"


def test_a_2026_row_that_only_carries_indicators_is_never_priced() -> None:
    # in an office (11), 93458 is billed globally; 2026 has no RVUs for it, only the
    # indicators carried forward from 2025
    pricing = pricing_of(
        event(line("92928", "RC"), line("93458", "XU"), place_of_service="11", proc=None)
    )
    by_code = {p.procedure_code: p for p in pricing.lines}
    assert by_code["93458"].allowed is None
    assert by_code["93458"].note is not None and "no RVUs loaded" in by_code["93458"].note
