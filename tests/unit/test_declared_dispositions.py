"""Each edit fires only with the dispositions its registration declares (`default`, before
policy), and every declared disposition is one it really fires with: the catalog that
`claim-edit rules` prints is the one that runs.

Every claim a test runs through tests.outcomes.run is checked the first way too; here the
worked samples, the edit tests' tables of built claims and generated claims are."""

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from contracts import ClaimSubmitted
from service.domain.registry import Firing, catalog
from service.domain.vocabulary import Disposition
from tests.builders import event, lesion, line, procedure
from tests.history_cases import run_after
from tests.outcomes import NaturalDispositions, reference_where, run
from tests.strategies import claim_events
from tests.unit import (
    test_bundling_edits,
    test_claim_integrity_edits,
    test_documentation_edits,
    test_history_edits,
    test_modifier_setting_scope_edits,
    test_official_fact_edits,
    test_territory_edits,
)

SAMPLES = [
    ClaimSubmitted.model_validate_json(text)
    for text in (Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl")
    .read_text()
    .splitlines()
    if text
]
EDIT_TABLES = (
    test_bundling_edits,
    test_claim_integrity_edits,
    test_documentation_edits,
    test_modifier_setting_scope_edits,
    test_official_fact_edits,
    test_territory_edits,
)
BUILT = [claim_event for table in EDIT_TABLES for _, claim_event, _, _ in table.CASES]
# Cases the edit tables leave to tests of their own.
BUILT += [
    event(line("92924", "LD"), frequency="replacement"),
    event(line("C9600", "LC")),
    event(line("C9601", "LC", date="2025-03-02")),
    event(line("92928", "LD"), line("92978", "LD", "XU", "76", "77")),  # no room for 26
    event(
        line("92924", "LD"),
        proc=procedure(lesion("12", line_number=1, calcification="moderate")),
        diagnoses=("I25.10",),
    ),
]


def test_every_worked_sample_fires_only_declared_dispositions() -> None:
    for sample in SAMPLES:
        run(sample)  # asserts it


def test_every_built_claim_fires_only_declared_dispositions() -> None:
    for claim_event in BUILT:
        run(claim_event)


def test_every_claim_edited_after_others_fires_only_declared_dispositions() -> None:
    for _, earlier, claim_event, _, _ in test_history_edits.HISTORY_CASES:
        run_after(earlier, claim_event)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_events())
def test_any_generated_claim_fires_only_declared_dispositions(document: dict[str, Any]) -> None:
    run(ClaimSubmitted.model_validate(document))


def test_every_declared_disposition_is_one_the_edit_fires_with(tmp_path: Path) -> None:
    natural = NaturalDispositions()
    for claim_event in SAMPLES + BUILT:
        run(claim_event, natural=natural)
    for _, earlier, claim_event, _, _ in test_history_edits.HISTORY_CASES:
        run_after(earlier, claim_event, natural=natural)
    # Every base code of the shipped tables has a rank; a table without one is rejected.
    unranked = reference_where(
        tmp_path / "reference",
        "pci-2026.1/hierarchy.csv",
        lambda text: "".join(row for row in text.splitlines(True) if not row.startswith("92920,")),
    )
    run(event(line("92920", "LD"), line("92924", "LD")), reference=unranked, natural=natural)

    # CMS lists no PCI add-on as contractor-defined (type 2), and ships rows for every one.
    def as_type_2(text: str) -> str:
        kept = [row for row in text.splitlines(True) if not row.startswith("92972,")]
        return "".join(kept) + "92972,CCCCC,2,2013-04-01,,test row (type 2 form),confirmed\n"

    contractor = reference_where(tmp_path / "type2", "pci-2026.1/aoc.csv", as_type_2)
    run(event(line("93458"), line("92972")), reference=contractor, natural=natural)
    unlisted = reference_where(
        tmp_path / "no-aoc",
        "pci-2026.1/aoc.csv",
        lambda text: "".join(r for r in text.splitlines(True) if not r.startswith("92972,")),
    )
    run(event(line("92920", "LD"), line("92972")), reference=unlisted, natural=natural)
    never = {
        spec.edit_id: sorted(set(spec.default) - natural.seen.get(spec.edit_id, set()))
        for spec in catalog()
    }
    assert {edit_id: left for edit_id, left in never.items() if left} == {}


def test_the_check_flags_a_firing_outside_the_declared_set_and_only_that() -> None:
    natural = NaturalDispositions()
    spec = catalog()[0]
    natural(spec, Firing(spec.default[0], (), "a firing it declares"))
    assert natural.undeclared == []
    candidates: tuple[Disposition, ...] = ("info", "warning")
    other = next(d for d in candidates if d not in spec.default)
    natural(spec, Firing(other, (), "a firing it does not declare"))
    assert len(natural.undeclared) == 1
