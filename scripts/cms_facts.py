"""Carry facts from CMS's official files into the shipped reference tables.

    python scripts/cms_facts.py DIR...

Reads every official file under the folders given (recognised by its first lines, through
the same readers the service uses), keeps the rows of the codes each ruleset's codes.csv
lists, and rewrites the tables those files settle, each row naming its file, release and
sha256. Run by a maintainer when CMS publishes; the service, the tests and the build never
run it (nothing in the repository reads the official files' folder).

Written: pci-2025/rvu.csv and conversion_factors.csv (PFS relative values), asc.csv and
opps.csv of the ruleset whose year an ASC addendum is for (AA: rate, payment indicator,
multiple-procedure discounting; FF: the OPPS APC and rate of device-intensive procedures).
"""

import csv
import sys
from datetime import date
from pathlib import Path

from service.adapters.cms.asc import read_addendum_aa, read_addendum_ff
from service.adapters.cms.files import Layout, layout_of
from service.adapters.cms.pfs import read_relative_values
from service.adapters.cms.release import Release

DATED = ["effective_from", "effective_to", "source", "confidence"]
REFERENCE = Path(__file__).resolve().parents[1] / "reference"
FOLDER_OF_YEAR = {2025: "pci-2025", 2026: "pci-2026.1"}
# APCs 5191-5194 (levels 1-4 of endovascular procedures) are comprehensive APCs: a code
# assigned to one has OPPS status indicator J1. FF gives the APC, not the indicator.
COMPREHENSIVE_APCS = frozenset({"5191", "5192", "5193", "5194"})
J1_REASON = "; status indicator J1 derived: APCs 5191-5194 are comprehensive (C-APC)"
# The 2026 coder's guide states J1 for 92924 (confidence guide beside the derived others).
GUIDE_J1 = {(2026, "92924"): "; status indicator J1 per the 2026 coder's guide to CPT 92924"}


def codes_of(folder: str) -> set[str]:
    with (REFERENCE / folder / "codes.csv").open() as table:
        return {row["code"] for row in csv.DictReader(table)}


def dates(release: Release) -> tuple[str, str]:
    return release.effective_from.isoformat(), release.effective_to.isoformat()


def write(folder: str, name: str, header: list[str], rows: list[list[str]]) -> None:
    path = REFERENCE / folder / name
    with path.open("w", newline="") as table:
        out = csv.writer(table, lineterminator="\n")
        out.writerow(header)
        out.writerows(sorted(rows))
    print(f"{path.relative_to(REFERENCE.parent)}: {len(rows)} rows")


def pfs(path: Path) -> None:
    release, rows = read_relative_values(path)
    folder = FOLDER_OF_YEAR[release.effective_from.year]
    wanted = codes_of(folder)
    start, end = dates(release)
    kept = [row for row in rows if row.code in wanted]
    write(
        folder,
        "rvu.csv",
        [
            "code",
            "status",
            "work_rvu",
            "facility_pe_rvu",
            "mp_rvu",
            "total_rvu",
            "mult_proc",
            *DATED,
        ],
        [
            [
                r.code,
                r.status,
                str(r.work),
                str(r.facility_pe),
                str(r.malpractice),
                str(r.facility_total),
                r.multiple_procedure,
                start,
                end,
                release.source,
                "confirmed",
            ]
            for r in kept
        ],
    )
    (factor,) = {row.conversion_factor for row in rows}
    note = f"{release.source}; one conversion factor for every participant that year"
    write(
        folder,
        "conversion_factors.csv",
        ["participation", "conversion_factor", *DATED],
        [
            [participation, str(factor), start, end, note, "confirmed"]
            for participation in ("non_qualifying_apm", "qualifying_apm")
        ],
    )


def asc(aa: Path, ff: Path | None) -> None:
    release, rates = read_addendum_aa(aa)
    year = release.effective_from.year
    folder = FOLDER_OF_YEAR[year]
    wanted = codes_of(folder)
    start, end = dates(release)
    write(
        folder,
        "asc.csv",
        ["code", "payment", "payment_indicator", "multiple_procedure_discounting", *DATED],
        [
            [
                r.code,
                "" if r.rate is None else str(r.rate),
                r.payment_indicator,
                "Y" if r.multiple_procedure_discounting else "N",
                start,
                end,
                release.source,
                "confirmed",
            ]
            for r in rates
            if r.code in wanted
        ],
    )
    if ff is None:
        return
    ff_release, devices = read_addendum_ff(ff)
    rows = []
    for device in devices:
        if device.code not in wanted or device.opps_apc not in COMPREHENSIVE_APCS:
            continue
        guide = GUIDE_J1.get((year, device.code))
        reason, confidence = (guide, "guide") if guide else (J1_REASON, "derived")
        source = f"{ff_release.source} (APC and OPPS payment rate){reason}"
        start, end = dates(ff_release)
        rate = str(device.opps_rate)
        rows.append([device.code, "J1", device.opps_apc, rate, start, end, source, confidence])
    write(
        folder,
        "opps.csv",
        ["code", "status_indicator", "apc", "payment", *DATED],
        rows,
    )


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
        by_year.setdefault(read_addendum_aa(path)[0].effective_from.year, {})["asc_aa"] = path
    for path in found.get("asc_ff", []):
        by_year.setdefault(read_addendum_ff(path)[0].effective_from.year, {})["asc_ff"] = path
    for year, files in sorted(by_year.items()):
        if year in FOLDER_OF_YEAR and "asc_aa" in files:
            asc(files["asc_aa"], files.get("asc_ff"))
    print(f"done {date.today().isoformat()}")


if __name__ == "__main__":
    main(sys.argv[1:])
