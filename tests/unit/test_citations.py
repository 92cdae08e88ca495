"""Every document a citation or a source names exists in the repository, and every shipped
reference table is described in docs/reference-data.md."""

import csv
import re
import tomllib
from pathlib import Path

import pytest

from service.domain.registry import catalog

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"
DOCUMENT = re.compile(r"[\w./-]+\.md\b")


def _cited_texts() -> list[str]:
    texts = [spec.citation for spec in catalog()]
    for table in REFERENCE.glob("*/*.csv"):
        with table.open(newline="") as handle:
            texts += [row.get("source") or "" for row in csv.DictReader(handle)]
    rulesets = tomllib.loads((REFERENCE / "rulesets.toml").read_text())
    texts += [ruleset["source"] for ruleset in rulesets["ruleset"]]
    return texts


NAMED = sorted({name for text in _cited_texts() for name in DOCUMENT.findall(text)})


def test_citations_name_documents_at_all() -> None:
    assert NAMED, "no citation names a document: the pattern or the data changed"


@pytest.mark.parametrize("name", NAMED)
def test_a_cited_document_exists_in_the_repository(name: str) -> None:
    assert (ROOT / name).is_file(), f"{name} is cited but not in the repository"


@pytest.mark.parametrize(
    "table", sorted({p.name for p in REFERENCE.glob("*/*.csv")}), ids=lambda name: name
)
def test_every_shipped_table_is_described(table: str) -> None:
    assert f"`{table}`" in (ROOT / "docs" / "reference-data.md").read_text()
