"""Carry facts from CMS's official files into the shipped reference tables.

    python scripts/cms_facts.py DIR...

Reads every official file under the folders given (recognised by its first lines), turns
them into rows through the same code the service uses for CLAIM_EDIT_REFERENCE_DIR
(service/adapters/cms/), keeps the rows of the codes each ruleset's codes.csv lists, and
rewrites the tables those files settle; each row names its file, release and sha256. Run by
a maintainer when CMS publishes; the service, the tests and the build never run it.

Written: rvu.csv (global, 26 and TC rows, PC/TC and MULT PROC indicators) and
conversion_factors.csv (the track(s) the file is for) of the ruleset whose year a PFS
relative value file is for; from the 2025 file, the 2026 ruleset's carried-forward PC/TC and
MULT PROC indicators (`carry_forward`); asc.csv (Addendum AA) and opps.csv (Addendum FF)
of the ruleset whose year an ASC addendum is for.
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
from service.domain.reference import Provenance, RvuRow

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


RVU_COLUMNS = ["code", "modifier", "status", "work_rvu", "facility_pe_rvu", "mp_rvu", "total_rvu"]
RVU_HEADER = [*RVU_COLUMNS, "mult_proc", "pctc"]
CARRIED = "; PCTC IND and MULT PROC carried forward"


def rvu_line(r: RvuRow) -> list[str]:
    return [
        r.code,
        r.modifier,
        r.status,
        text(r.work_rvu),
        text(r.facility_pe_rvu),
        text(r.malpractice_rvu),
        text(r.total_rvu),
        r.multiple_procedure,
        r.pctc_indicator,
        *dated(r.provenance),
    ]


def pfs(path: Path) -> None:
    """The file's global, 26 and TC rows of the ruleset's codes, and its conversion factor
    for the track(s) it is for (the other track's row is kept). A file with no row of the
    ruleset's codes (the 2026 excerpt) leaves rvu.csv as it is."""
    release, rows = read_relative_values(path)
    folder = FOLDER_OF_YEAR[release.effective_from.year]
    wanted = codes_of(folder)
    found = rvu_rows(release, [row for row in rows if row.code in wanted])
    if found:
        write(folder, "rvu.csv", RVU_HEADER, [rvu_line(r) for r in found])
    else:
        print(f"{path.name}: no row for a code of reference/{folder}; rvu.csv kept")
    factors = conversion_factor_rows(release, rows)
    given = {r.participation for r in factors}
    with (REFERENCE / folder / "conversion_factors.csv").open() as table:
        kept = [
            [row[name] for name in ("participation", "conversion_factor", *DATED)]
            for row in csv.DictReader(table)
            if row["participation"] not in given
        ]
    write(
        folder,
        "conversion_factors.csv",
        ["participation", "conversion_factor"],
        [
            *kept,
            *([r.participation, str(r.conversion_factor), *dated(r.provenance)] for r in factors),
        ],
    )
    if release.effective_from.year == 2025:
        carry_forward(release.source, found)


def carry_forward(source: str, found: list[RvuRow], folder: str = "pci-2026.1") -> None:
    """Until CMS's 2026 rows for the PCI codes are shipped, the 2026 ruleset carries each
    code's 2025 PC/TC and MULT PROC indicators forward (docs/reference-data.md): onto the
    code's 2026 global row when one exists (its own source and confidence, the carried part
    named), else as an indicator-only row (no RVUs, confidence `derived`). A 2026 row from a
    CMS 2026 file is left alone; no 26 or TC row is carried (no 2026 fact: missing)."""
    path = REFERENCE / folder / "rvu.csv"
    with path.open() as table:
        existing = list(csv.DictReader(table))
    valid = active_codes_of(folder)
    indicators = {r.code: r for r in found if not r.modifier and r.code in valid}
    carried = f"{CARRIED} from {source} (no CMS 2026 row for the code loaded)"
    lines: list[list[str]] = []
    for row in existing:
        old = indicators.pop(row["code"], None) if not row.get("modifier") else None
        if old is not None and "CMS 2026" not in row["source"]:
            row["mult_proc"], row["pctc"] = old.multiple_procedure, old.pctc_indicator
            row["source"] = row["source"].split(CARRIED)[0] + carried
        lines.append([row.get(name, "") for name in (*RVU_HEADER, *DATED)])
    for old in indicators.values():
        lines.append(
            [
                old.code,
                "",
                "",
                "",
                "",
                "",
                "",
                old.multiple_procedure,
                old.pctc_indicator,
                "2026-01-01",
                "2026-12-31",
                carried.removeprefix("; "),
                "derived",
            ]
        )
    with path.open("w", newline="") as table:
        out = csv.writer(table, lineterminator="\n")
        out.writerow(RVU_HEADER + DATED)
        out.writerows(lines)  # the shipped order kept: new rows after it
    print(f"{path.relative_to(REFERENCE.parent)}: {len(lines)} rows ({len(indicators)} carried)")


def active_codes_of(folder: str) -> set[str]:
    with (REFERENCE / folder / "codes.csv").open() as table:
        return {row["code"] for row in csv.DictReader(table) if row["status"] != "deleted"}


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
