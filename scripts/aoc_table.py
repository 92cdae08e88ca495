"""Write each ruleset's aoc.csv from CMS's NCCI Medicare add-on code edit workbook.

    python scripts/aoc_table.py AOC_V2026Q2-MCR.xlsx

Reads the workbook with the reader the service uses (service/adapters/cms/aoc.py), keeps the
rows whose add-on is a code the edits know (any ruleset's codes.csv, and the drug-coated
balloon codes 0913T/0914T) and that are in force during the ruleset's dates, and rewrites
reference/<ruleset>/aoc.csv; each row names the workbook, its quarter and sha256. Run by a
maintainer when CMS publishes a quarter; the service, the tests and the build never run it.
"""

import csv
import sys
import tomllib
from datetime import date
from pathlib import Path

from service.adapters.cms.aoc import aoc_rows, read_aoc
from service.domain.reference import AocRow

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
# Not in codes.csv yet: the drug-coated balloon codes of the third release (PCI-BUND-006).
DRUG_COATED_BALLOON = frozenset({"0913T", "0914T"})
HEADER = ["addon", "primary", "edit_type", "effective_from", "effective_to", "source"]


def known_codes() -> frozenset[str]:
    codes: set[str] = set(DRUG_COATED_BALLOON)
    for table in sorted(REFERENCE.glob("*/codes.csv")):
        with table.open() as opened:
            codes.update(row["code"] for row in csv.DictReader(opened))
    return frozenset(codes)


def overlaps(row: AocRow, start: date, end: date | None) -> bool:
    last = row.provenance.effective_to or date.max
    return row.provenance.effective_from <= (end or date.max) and last >= start


def main(workbook_path: str) -> None:
    workbook, edits = read_aoc(Path(workbook_path))
    rows = aoc_rows(workbook, edits, known_codes())
    manifest = tomllib.loads((REFERENCE / "rulesets.toml").read_text())
    for entry in manifest["ruleset"]:
        start, end = entry["effective_from"], entry.get("effective_to")
        kept = sorted(
            [
                row.addon,
                row.primary,
                str(row.edit_type),
                row.provenance.effective_from.isoformat(),
                row.provenance.effective_to.isoformat() if row.provenance.effective_to else "",
                row.provenance.source,
                row.provenance.confidence,
            ]
            for row in rows
            if overlaps(row, start, end)
        )
        path = REFERENCE / entry["directory"] / "aoc.csv"
        with path.open("w", newline="") as table:
            out = csv.writer(table, lineterminator="\n")
            out.writerow([*HEADER, "confidence"])
            out.writerows(kept)
        print(f"{path.relative_to(REFERENCE.parent)}: {len(kept)} rows")


if __name__ == "__main__":
    main(sys.argv[1])
