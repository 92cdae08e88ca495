"""Carry facts from CMS's official files into the shipped reference tables.

    python scripts/cms_facts.py DIR...

Reads every official file under the folders given (recognised by its first lines), turns
them into rows through the same code the service uses for CLAIM_EDIT_REFERENCE_DIR
(service/adapters/cms/), keeps the rows of the codes each ruleset's codes.csv lists, and
rewrites the tables those files settle; each row names its file, release and sha256. Run by
a maintainer when CMS publishes; the service, the tests and the build never run it.

Written: rvu.csv and conversion_factors.csv of the ruleset whose year a PFS relative value
file is for; asc.csv (Addendum AA) and opps.csv (Addendum FF) of the ruleset whose year an
ASC addendum is for.
"""

import csv
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from service.adapters.cms.asc import read_addendum_aa, read_addendum_ff
from service.adapters.cms.files import Layout, layout_of
from service.adapters.cms.pfs import read_relative_values
from service.adapters.cms.tables import (
    asc_rows,
    conversion_factor_rows,
    opps_rows,
    rvu_rows,
)
from service.domain.reference import Provenance

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
FOLDER_OF_YEAR = {2025: "pci-2025", 2026: "pci-2026.1"}
DATED = ["effective_from", "effective_to", "source", "confidence"]
# The 2026 coder's guide states J1 for 92924: that row cites it (confidence guide).
GUIDE_J1 = {(2026, "92924"): "status indicator J1 per the 2026 coder's guide to CPT 92924"}


def codes_of(folder: str) -> set[str]:
    with (REFERENCE / folder / "codes.csv").open() as table:
        return {row["code"] for row in csv.DictReader(table)}


def dated(provenance: Provenance) -> list[str]:
    return [
        provenance.effective_from.isoformat(),
        provenance.effective_to.isoformat() if provenance.effective_to else "",
        provenance.source,
        provenance.confidence,
    ]


def text(value: object) -> str:
    return "" if value is None else str(value)


def write(folder: str, name: str, header: list[str], rows: Sequence[list[str]]) -> None:
    path = REFERENCE / folder / name
    with path.open("w", newline="") as table:
        out = csv.writer(table, lineterminator="\n")
        out.writerow(header + DATED)
        out.writerows(sorted(rows))
    print(f"{path.relative_to(REFERENCE.parent)}: {len(rows)} rows")


def pfs(path: Path) -> None:
    release, rows = read_relative_values(path)
    folder = FOLDER_OF_YEAR[release.effective_from.year]
    wanted = codes_of(folder)
    columns = ["code", "status", "work_rvu", "facility_pe_rvu", "mp_rvu", "total_rvu"]
    write(
        folder,
        "rvu.csv",
        [*columns, "mult_proc"],
        [
            [
                r.code,
                r.status,
                text(r.work_rvu),
                text(r.facility_pe_rvu),
                text(r.malpractice_rvu),
                text(r.total_rvu),
                r.multiple_procedure,
                *dated(r.provenance),
            ]
            for r in rvu_rows(release, [row for row in rows if row.code in wanted])
        ],
    )
    write(
        folder,
        "conversion_factors.csv",
        ["participation", "conversion_factor"],
        [
            [r.participation, str(r.conversion_factor), *dated(r.provenance)]
            for r in conversion_factor_rows(release, rows)
        ],
    )


def asc(aa: Path, ff: Path | None) -> None:
    release, rates = read_addendum_aa(aa)
    year = release.effective_from.year
    folder = FOLDER_OF_YEAR[year]
    wanted = codes_of(folder)
    write(
        folder,
        "asc.csv",
        ["code", "payment", "payment_indicator", "multiple_procedure_discounting"],
        [
            [
                r.code,
                text(r.payment),
                r.payment_indicator,
                "Y" if r.multiple_procedure_discounting else "N",
                *dated(r.provenance),
            ]
            for r in asc_rows(release, [rate for rate in rates if rate.code in wanted])
        ],
    )
    if ff is None:
        return
    ff_release, devices = read_addendum_ff(ff)
    rows = []
    for found in opps_rows(ff_release, [d for d in devices if d.code in wanted]):
        row, guide = found, GUIDE_J1.get((year, found.code))
        if guide is not None:
            source = f"{ff_release.source} (APC and OPPS payment rate); {guide}"
            cited = dataclasses.replace(row.provenance, source=source, confidence="guide")
            row = dataclasses.replace(row, provenance=cited)
        rows.append(
            [row.code, row.status_indicator, row.apc, str(row.payment), *dated(row.provenance)]
        )
    write(folder, "opps.csv", ["code", "status_indicator", "apc", "payment"], rows)


def main(folders: list[str]) -> None:
    found: dict[Layout, list[Path]] = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and (layout := layout_of(path)) is not None:
                found.setdefault(layout, []).append(path)
    for path in found.get("pfs_rvu", []):
        pfs(path)
    by_year: dict[int, dict[str, Path]] = {}
    for path in found.get("asc_aa", []):
        by_year.setdefault(read_addendum_aa(path)[0].effective_from.year, {})["aa"] = path
    for path in found.get("asc_ff", []):
        by_year.setdefault(read_addendum_ff(path)[0].effective_from.year, {})["ff"] = path
    for year, files in sorted(by_year.items()):
        if year in FOLDER_OF_YEAR and "aa" in files:
            asc(files["aa"], files.get("ff"))


if __name__ == "__main__":
    main(sys.argv[1:])
