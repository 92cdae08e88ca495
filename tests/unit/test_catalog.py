"""The catalog is generated from the edits' own metadata and matches the spec's ids."""

import re
from pathlib import Path

import pytest

from service.domain.registry import EVALUATION_ORDER, catalog

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "edits.md"


def test_every_edit_in_the_evaluation_order_is_registered_once() -> None:
    assert [spec.edit_id for spec in catalog()] == list(EVALUATION_ORDER)


@pytest.mark.skipif(not SPEC.exists(), reason="shared/spec is not beside this checkout")
def test_catalog_ids_are_exactly_the_spec_ids() -> None:
    spec_ids = set(re.findall(r"\| (PCI-[A-Z]+-\d{3}) \|", SPEC.read_text()))
    assert spec_ids == set(EVALUATION_ORDER)


@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.edit_id)
def test_every_edit_cites_its_source(spec: object) -> None:
    from service.domain.registry import EditSpec

    assert isinstance(spec, EditSpec)
    assert spec.citation.strip()
    assert "Source" in spec.docstring or "source" in spec.docstring, spec.edit_id


@pytest.mark.skipif(not SPEC.exists(), reason="shared/spec is not beside this checkout")
@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.edit_id)
def test_remittance_codes_match_the_spec(spec: object) -> None:
    from service.domain.registry import EditSpec

    assert isinstance(spec, EditSpec)
    row = next(r for r in SPEC.read_text().splitlines() if r.startswith(f"| {spec.edit_id} |"))
    codes = row.rstrip(" |").rsplit("|", 1)[-1].strip()
    expected = [c.strip() for c in codes.split("/")] if codes != "—" else []
    assert [c for c in (spec.carc, spec.rarc) if c] == expected


def test_checked_in_catalog_document_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    from service.entrypoints.cli import main

    main(["rules", "--format", "markdown"])
    document = Path(__file__).resolve().parents[2] / "docs" / "edit-catalog.md"
    assert document.read_text() == capsys.readouterr().out, (
        "docs/edit-catalog.md is stale: run `make catalog` and commit the result"
    )
