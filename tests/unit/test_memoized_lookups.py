"""Look-ups kept from one claim to the next give each claim the answer its own facts give."""

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from contracts import PricedLine
from service.domain.payable import _paying
from service.domain.policy import PayerPolicy, Policy
from service.domain.working_claim import View, WorkingClaim
from tests.builders import event, lesion, line, procedure
from tests.outcomes import REFERENCE, run

JUNE_2025 = "2025-06-10"
BIRMINGHAM = "35203"


def test_a_line_starts_from_the_ruleset_row_and_knowledge_its_code_and_date_give() -> None:
    cases = [
        ("92928", date(2026, 3, 2)),
        ("92928", date(2025, 6, 16)),
        ("99999", date(2026, 3, 2)),  # a code no table knows
        ("92928", date(1990, 1, 1)),  # a date no ruleset covers
    ]
    for _ in range(2):  # the first call fills the memo, the second reads it
        for code, when in cases:
            ruleset = REFERENCE.ruleset_for(when)
            row = ruleset.code(code, when) if ruleset is not None else None
            assert REFERENCE.for_line(code, when) == (ruleset, row, REFERENCE.knows(code))


def test_a_priced_line_given_its_payable_keeps_every_other_field() -> None:
    values = {
        f.name: f"value of {f.name}" for f in dataclasses.fields(PricedLine) if f.name != "payable"
    }
    priced = PricedLine(**values)  # type: ignore[arg-type]
    paying = _paying(priced, "12.34")
    assert paying == dataclasses.replace(priced, payable="12.34")
    assert priced.payable is None  # a copy: the line given is left as it was
    assert _paying(paying, "12.34") is paying  # a line that pays the amount already is kept


def test_claims_in_turn_get_the_locality_and_notes_of_their_own_zip() -> None:
    def located(facility_zip: str | None) -> tuple[object, tuple[str, ...]]:
        claim = event(line("92924", "LD", date=JUNE_2025), facility_zip=facility_zip)
        pricing = run(claim).pricing
        assert pricing is not None
        return pricing.locality, pricing.notes

    zips = (BIRMINGHAM, "00000", None, "352031234")
    first = [located(z) for z in zips]
    again = [located(z) for z in reversed(zips)]
    assert again == first[::-1]
    birmingham, unknown, without, nine_digit = first
    assert birmingham[0] is not None and birmingham == nine_digit
    assert unknown[0] is None and any("no ZIP-to-locality row for 00000" in n for n in unknown[1])
    assert without[0] is None and any("no service facility" in n for n in without[1])


def test_each_setting_reads_its_own_mue_and_ptp_table_whichever_asked_first() -> None:
    when = date(2026, 3, 2)
    ruleset = REFERENCE.ruleset_for(when)
    assert ruleset is not None

    def in_force(rows: tuple[Any, ...]) -> Any:
        return next((r for r in rows if r.provenance.covers(when)), None)

    pairs = list(ruleset.ptp_practitioner)[:20] + list(ruleset.ptp_outpatient)[:20]
    codes = list(ruleset.mue_practitioner)[:20] + list(ruleset.mue_outpatient)[:20]
    for setting in ("hospital_outpatient", "professional", "hospital_outpatient"):
        professional = setting == "professional"
        ptp = ruleset.ptp_practitioner if professional else ruleset.ptp_outpatient
        mue = ruleset.mue_practitioner if professional else ruleset.mue_outpatient
        for column_1, column_2 in pairs:
            found = ruleset.ptp(column_1, column_2, when, setting)
            assert found == in_force(ptp.get((column_1, column_2), ()))
        for code in codes:
            assert ruleset.mue(code, when, setting) == in_force(mue.get(code, ()))


def test_every_claim_of_a_payer_gets_its_merged_policy_read_only() -> None:
    policy = Policy(
        actions={"PCI-DOC-002": "reject"},
        payers={"MEDICARE-JL": PayerPolicy(strict=True, actions={"PCI-BUND-001": "warn"})},
    )
    merged = policy.for_payer("MEDICARE-JL")
    assert (merged.strict, dict(merged.actions)) == (
        True,
        {"PCI-DOC-002": "reject", "PCI-BUND-001": "warn"},
    )
    with pytest.raises(TypeError):
        merged.actions["PCI-DOC-002"] = "off"  # type: ignore[index]
    assert policy.for_payer("MEDICARE-JL") == merged
    assert (policy.for_payer("OTHER").strict, dict(policy.for_payer("OTHER").actions)) == (
        False,
        {"PCI-DOC-002": "reject"},
    )


def _sets(working: WorkingClaim, view: View) -> object:
    kept = working.view
    working.view = view  # lesions are read through the working claim's view
    lesions = [working.lesions_of(line) for line in working.lines]
    working.view = kept
    by_date = {day: [line.index for line in found] for day, found in view.base_by_date.items()}
    return (
        [line.index for line in view.active],
        [line.index for line in view.base],
        by_date,
        [[line.index for line in group] for group in view.groups],
        lesions,
    )


def test_after_each_correction_the_line_sets_are_those_of_the_claim_as_it_stands() -> None:
    claim = event(
        line("92928", "LD"),
        line("92920", "RC"),
        line("92921", "RC"),
        line("92921", "LC"),
        line("93458"),
        proc=procedure(
            lesion("7", treatments=("stent",), line_number=1),
            lesion("1", treatments=("balloon",), lesion_id="L2"),
            lesion("13", treatments=("stent",), lesion_id="L3"),
        ),
    ).claim
    working = WorkingClaim(claim, REFERENCE)
    first, second, addon, other, diagnostic = working.lines
    corrections: list[Callable[[], None]] = [
        lambda: working.set_units(first, 2),
        lambda: working.set_modifiers(second, ("RC", "59")),  # the same territory
        lambda: working.set_modifiers(second, ("LC",)),  # another territory
        lambda: working.replace_code(first, "92933"),  # another PCI base code
        lambda: working.replace_code(addon, "92920"),  # an add-on becomes a base code
        lambda: working.replace_code(other, "92929"),  # add-on for add-on
        lambda: working.replace_code(diagnostic, "99999"),  # out of rule scope
        lambda: working.set_modifiers(addon, ()),  # a base line loses its territory
        lambda: working.replace_code(second, "92929"),  # a base code becomes an add-on
        lambda: working.remove(first, "PCI-TEST"),
    ]
    for correct in corrections:
        [working.lesions_of(line) for line in working.lines]  # the view as an edit reads it
        correct()
        fresh = View(working.lines, working.grafts)
        assert _sets(working, working.view) == _sets(working, fresh)
        assert [line.active for line in working.lines] == [
            line.removed_by is None for line in working.lines
        ]


def test_a_ruleset_made_from_another_answers_from_its_own_tables_not_the_others_memo() -> None:
    when = date(2026, 3, 2)
    ruleset = REFERENCE.ruleset_for(when)
    assert ruleset is not None
    assert ruleset.mue("92920", when, "professional") is not None  # now in its memo
    emptied = dataclasses.replace(ruleset, mue_practitioner={})
    assert emptied.mue("92920", when, "professional") is None


def test_reference_data_made_from_another_dates_lines_under_its_own_rulesets() -> None:
    when = date(2026, 3, 2)
    assert REFERENCE.ruleset_for(when) is not None  # now in its memo
    renamed = tuple(dataclasses.replace(r, version=f"{r.version}-new") for r in REFERENCE.rulesets)
    made = dataclasses.replace(REFERENCE, rulesets=renamed)
    ruleset = made.ruleset_for(when)
    assert ruleset is not None and ruleset.version.endswith("-new")
    line_ruleset = made.for_line("92920", when)[0]
    assert line_ruleset is not None and line_ruleset.version.endswith("-new")
