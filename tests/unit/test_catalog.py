"""The catalog is generated from the edits' own metadata and matches the specification's
ids and remittance codes (tests/fixtures/catalog-remittance.tsv, carried over from it)."""

from pathlib import Path

import pytest

from service.domain.registry import EVALUATION_ORDER, catalog

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


def test_what_is_special_about_an_edit_is_declared_where_it_is_registered() -> None:
    specs = {spec.edit_id: spec for spec in catalog()}
    assert [i for i, s in specs.items() if s.halts] == ["PCI-CLM-001"]
    assert [i for i, s in specs.items() if not s.waivable] == ["PCI-CLM-001"]
    assert specs["PCI-TERR-001"].reads == ("PCI-TERR-006",)
