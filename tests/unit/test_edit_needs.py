"""An edit runs only where the claim shows what it needs (`needs=` in its registration), and
skipping the others never moves a byte: the benchmark corpus, every worked sample, every
edit-case table and generated claims give the same encoded outcome with skipping and
without, and no edit fires on a claim whose facts miss its declared need."""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.corpus import corpus
from contracts import ClaimSubmitted
from service.adapters.json_codec import encode_outcome
from service.adapters.reference_files import load_reference
from service.domain import engine
from service.domain.engine import evaluate
from service.domain.needs import ALWAYS, Needs, claim_facts
from service.domain.policy import Policy
from service.domain.reference import ReferenceData
from service.domain.registry import EditSpec, Firing, catalog
from service.domain.working_claim import WorkingClaim
from tests.builders import event, lesion, line, procedure
from tests.e2e_time import NOW
from tests.outcomes import REFERENCE, findings
from tests.strategies import claim_events
from tests.unit import (
    test_bundling_edits,
    test_claim_integrity_edits,
    test_documentation_edits,
    test_modifier_setting_scope_edits,
    test_official_fact_edits,
    test_territory_edits,
    test_third_release_coder_edits,
)

ROOT = Path(__file__).resolve().parents[2]
TABLES_OF_THE_REPLACED_ENGINE = ROOT / "tests" / "fixtures" / "reference-9a2e3b5"
CORPUS_SIZE = 2_000


class Unmet:
    """Each firing of an edit whose declared need the claim's facts did not meet."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, spec: EditSpec, firing: Firing) -> None:
        self.seen.append(f"{spec.edit_id} fired ({firing.message}) where its need was not met")


def _same_bytes_either_way(claim: ClaimSubmitted, reference: ReferenceData = REFERENCE) -> bytes:
    unmet = Unmet()
    skipping = evaluate(claim, reference, Policy())
    everything = evaluate(claim, reference, Policy(), skip_unneeded=False, unmet=unmet)
    assert not unmet.seen, unmet.seen
    encoded = encode_outcome(skipping, NOW)
    assert encoded == encode_outcome(everything, NOW), claim.event_id
    return encoded


def _table_claims() -> list[tuple[str, ClaimSubmitted]]:
    found: list[tuple[str, ClaimSubmitted]] = []
    for module in (
        test_bundling_edits,
        test_claim_integrity_edits,
        test_documentation_edits,
        test_modifier_setting_scope_edits,
        test_official_fact_edits,
        test_territory_edits,
    ):
        found += [(f"{module.__name__}: {case[0]}", case[1]) for case in module.CASES]
    for table in (
        test_third_release_coder_edits.BIFURCATION,
        test_third_release_coder_edits.DRUG_COATED_BALLOON,
    ):
        found += [(f"third release: {name}", claim) for name, claim, *_ in table]
    return found


@pytest.mark.parametrize(("name", "claim"), _table_claims(), ids=lambda v: str(v)[:60])
def test_skipping_unneeded_edits_changes_no_byte_of_an_edit_case_claim(
    name: str, claim: ClaimSubmitted
) -> None:
    _same_bytes_either_way(claim)


def test_skipping_unneeded_edits_changes_no_byte_of_a_worked_sample() -> None:
    documents = [
        json.loads(text)
        for text in (ROOT / "samples" / "claims.jsonl").read_text().splitlines()
        if text.strip()
    ]
    assert documents
    for document in documents:
        _same_bytes_either_way(ClaimSubmitted.model_validate(document))


@pytest.mark.parametrize("tables", ["shipped", "the replaced engine's"])
def test_skipping_unneeded_edits_changes_no_byte_of_the_benchmark_corpus(tables: str) -> None:
    reference = REFERENCE if tables == "shipped" else load_reference(TABLES_OF_THE_REPLACED_ENGINE)
    for document in corpus(CORPUS_SIZE):
        _same_bytes_either_way(ClaimSubmitted.model_validate(document), reference)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(claim_events())
def test_skipping_unneeded_edits_changes_no_byte_of_a_generated_claim(
    document: dict[str, Any],
) -> None:
    _same_bytes_either_way(ClaimSubmitted.model_validate(document))


def test_an_edit_declared_narrower_than_its_code_is_caught_where_it_fires() -> None:
    """The audit is not vacuous: PCI-TERR-002 declared to need an asc claim is heard firing
    on a professional one, and skipping it there would lose its finding."""
    spec = next(s for s in catalog() if s.edit_id == "PCI-TERR-002")
    wrong = Needs(settings=frozenset({"asc"}))
    claim = event(line("92928"), proc=procedure(lesion("13", line_number=1)))
    unmet = Unmet()
    declared = spec.needs
    object.__setattr__(spec, "needs", wrong)  # the frozen spec, for this test only
    try:
        engine._runnable.cache_clear()
        engine._needs_index.cache_clear()
        skipped = evaluate(claim, REFERENCE, Policy())
        audited = evaluate(claim, REFERENCE, Policy(), skip_unneeded=False, unmet=unmet)
    finally:
        object.__setattr__(spec, "needs", declared)
        engine._runnable.cache_clear()
        engine._needs_index.cache_clear()
    assert findings(audited, "PCI-TERR-002") and not findings(skipped, "PCI-TERR-002")
    assert unmet.seen


def test_an_edit_that_reports_an_absence_runs_when_the_thing_is_absent() -> None:
    """PCI-DOC-004 says documentation is missing: it runs on a claim without it."""
    claim = event(line("92928", "LD"))
    assert claim.claim.procedure is None
    assert findings(evaluate(claim, REFERENCE, Policy()), "PCI-DOC-004")


def test_an_edit_without_a_declared_need_runs_on_every_claim() -> None:
    assert ALWAYS.met_by(frozenset())
    integrity = [s for s in catalog() if s.edit_id in ("PCI-CLM-001", "PCI-CLM-002")]
    assert all(spec.needs == ALWAYS for spec in integrity)


def test_the_engines_clause_bits_say_what_each_need_says() -> None:
    """The engine judges needs by bits (one per distinct clause); each need's own reading of
    the same facts (`Needs.met_by`) agrees, edit by edit, on the corpus and the table claims."""
    claims = [ClaimSubmitted.model_validate(document) for document in corpus(500)]
    claims += [claim for _, claim in _table_claims()]
    index = engine._needs_index()
    for claim in claims:
        working = WorkingClaim(claim.claim, REFERENCE)
        versions = frozenset([ln.ruleset.version for ln in working.lines if ln.ruleset])
        facts = claim_facts(working)
        runnable = engine._runnable(versions, index.met(facts))
        for (spec, _), run_it in zip(engine._edits_for(versions), runnable, strict=True):
            assert run_it == spec.needs.met_by(facts), (spec.edit_id, claim.event_id)
