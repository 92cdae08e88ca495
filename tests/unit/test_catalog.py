"""The catalog is generated from the edits' own metadata and matches the specification's
ids and remittance codes (tests/fixtures/catalog-remittance.tsv, carried over from it)."""

from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest

from service.app.edit_event import ClaimProcessor
from service.domain import engine
from service.domain.policy import PayerPolicy, Policy, RefusedPolicyError
from service.domain.registry import EVALUATION_ORDER, catalog, edit
from service.domain.vocabulary import Action, Disposition
from tests.builders import event, line
from tests.outcomes import reference_where, run

ACTIONS: tuple[Action, ...] = get_args(Action)
IN_2024 = "2024-12-30"
IN_2025 = "2025-03-02"
DELETE_92925 = ("92925,branch_addon,active", "92925,branch_addon,deleted")  # counterfactual

SPECIFIED = dict(
    line.split("\t")
    for line in (Path(__file__).resolve().parents[1] / "fixtures" / "catalog-remittance.tsv")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
)


def test_every_edit_in_the_evaluation_order_is_registered_once() -> None:
    assert [spec.edit_id for spec in catalog()] == list(EVALUATION_ORDER)


def test_catalog_ids_are_exactly_the_specified_ids() -> None:
    assert set(SPECIFIED) == set(EVALUATION_ORDER)


@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.edit_id)
def test_every_edit_cites_its_source(spec: object) -> None:
    from service.domain.registry import EditSpec

    assert isinstance(spec, EditSpec)
    assert spec.citation.strip()
    assert "Source" in spec.docstring or "source" in spec.docstring, spec.edit_id


@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.edit_id)
def test_remittance_codes_match_the_specification(spec: object) -> None:
    from service.domain.registry import EditSpec

    assert isinstance(spec, EditSpec)
    codes = SPECIFIED[spec.edit_id]
    expected = [c.strip() for c in codes.split("/")] if codes != "—" else []
    assert [c for c in (spec.carc, spec.rarc) if c] == expected


def test_checked_in_catalog_document_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    from service.entrypoints.cli import main

    main(["rules", "--format", "markdown"])
    document = Path(__file__).resolve().parents[2] / "docs" / "edit-catalog.md"
    assert document.read_text() == capsys.readouterr().out, (
        "docs/edit-catalog.md is stale: run `make catalog` and commit the result"
    )


@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.edit_id)
def test_an_edit_that_reads_another_edits_findings_declares_it(spec: object) -> None:
    import inspect
    import re

    from service.domain.registry import EditSpec

    assert isinstance(spec, EditSpec)
    read = set(re.findall(r'flagged_lines\("([A-Z0-9-]+)"\)', inspect.getsource(spec.run)))
    assert read == set(spec.reads)
    assert all(EVALUATION_ORDER.index(other) < spec.order for other in spec.reads)


def test_an_edit_does_not_run_on_a_claim_of_a_ruleset_it_is_not_in(tmp_path: Path) -> None:
    deleted_in_2025 = reference_where(
        tmp_path / "reference", "pci-2025/codes.csv", lambda text: text.replace(*DELETE_92925)
    )
    in_2026 = run(event(line("92924", "LD"), line("92925", "LD")))
    in_2025 = run(
        event(line("92924", "LD", date=IN_2025), line("92925", "LD", date=IN_2025)),
        reference=deleted_in_2025,
    )
    only_2026 = {spec.edit_id for spec in catalog() if "pci-2025" not in spec.rulesets}
    assert {f.edit_id for f in in_2026.findings} & only_2026  # its condition holds in 2026
    assert not {f.edit_id for f in in_2025.findings} & only_2026


def test_on_a_claim_spanning_two_rulesets_an_edit_reports_only_lines_of_its_own(
    tmp_path: Path,
) -> None:
    deleted_in_2025 = reference_where(
        tmp_path / "reference", "pci-2025/codes.csv", lambda text: text.replace(*DELETE_92925)
    )
    outcome = run(
        event(
            line("92924", "LD", date="2025-12-31"),
            line("92925", "LD", date="2025-12-31"),
            line("92924", "LD", date="2026-01-02"),
            line("92925", "LD", date="2026-01-02"),
        ),
        reference=deleted_in_2025,
    )
    only_2026 = {spec.edit_id for spec in catalog() if "pci-2025" not in spec.rulesets}
    reported = [f.line_numbers for f in outcome.findings if f.edit_id in only_2026]
    assert outcome.rejected  # a claim under two rulesets is split by its sender
    assert reported == [(4,)]


def test_a_line_outside_every_ruleset_rejects_the_claim_with_that_finding_alone() -> None:
    outcome = run(event(line("92924"), line("92924", "LD", units=2), line("92920", date=IN_2024)))
    assert outcome.rejected
    assert [(f.disposition, f.line_numbers) for f in outcome.findings] == [
        ("claim_rejection", (3,))
    ]


@pytest.mark.parametrize("action", ACTIONS)
def test_no_policy_can_change_the_rejection_of_a_line_outside_every_ruleset(action: Action) -> None:
    outcome = run(event(line("92924", "LD", date=IN_2024)))
    (edit_id,) = {f.edit_id for f in outcome.findings}
    with pytest.raises(RefusedPolicyError, match=edit_id):
        Policy(actions={edit_id: action})
    with pytest.raises(RefusedPolicyError, match=edit_id):
        PayerPolicy(actions={edit_id: action})


def test_a_halting_edit_stops_the_run_once_it_has_fired_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claim_event = event(line("92924"), line("99213", "LD"))
    first, second, *_ = sorted(
        {f.edit_id for f in run(claim_event).findings}, key=EVALUATION_ORDER.index
    )
    # Every edit halts but the first that fires: the next halting ones do not fire, so the
    # run goes on to the second, which fires and halts it.
    halting = tuple(replace(spec, halts=spec.edit_id != first) for spec in catalog())
    monkeypatch.setattr(engine, "catalog", lambda: halting)
    engine._edits_for.cache_clear()
    try:
        outcome = run(claim_event)
    finally:
        engine._edits_for.cache_clear()
    assert {f.edit_id for f in outcome.findings} == {first, second}


def test_an_edit_reading_another_edits_findings_sees_them() -> None:
    split = run(event(line("92920", "LD"), line("92924", "LD", "XS")))
    consolidated = run(event(line("92920", "LD"), line("92924", "LD")))
    assert [c.action for c in consolidated.changes] == ["remove_line"]
    assert split.rejected
    assert split.changes == ()  # the territory split is rejected, not consolidated


def test_a_reference_with_a_ruleset_the_catalog_does_not_know_is_refused(tmp_path: Path) -> None:
    renamed = reference_where(
        tmp_path / "reference",
        "rulesets.toml",
        lambda text: text.replace('version = "pci-2026.1"', 'version = "pci-2026.9"'),
    )
    with pytest.raises(ValueError, match=r"pci-2026\.9"):
        ClaimProcessor(renamed, Policy())


@pytest.mark.parametrize(
    ("default", "note", "refused_for"),
    [
        (("correction", "line_rejection"), None, "note"),
        (("line_rejection", "line_rejection"), None, "distinct"),
        ((), None, "distinct"),
    ],
)
def test_an_edit_must_declare_distinct_dispositions_and_when_each_applies(
    default: tuple[Disposition, ...], note: str | None, refused_for: str
) -> None:
    with pytest.raises(ValueError, match=refused_for):
        edit(
            EVALUATION_ORDER[-1],
            title="-",
            default=default,
            note=note,
            element="line",
            citation="-",
        )


def test_an_edit_may_belong_only_to_rulesets_the_catalog_knows() -> None:
    with pytest.raises(ValueError, match="rulesets"):
        edit(
            EVALUATION_ORDER[-1],
            title="-",
            default=("info",),
            element="line",
            citation="-",
            rulesets=("pci-2019",),
        )
