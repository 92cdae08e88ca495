"""Write a synthetic NCCI practitioner PTP table of the real size, in CMS's real layout.

    python scripts/synthetic_ptp.py DIR [--pairs 1700000] [--files 4]

The real practitioner table has about 1.7 million pairs in four tab-separated files
(ccipra-v<nnn>r0-f1..f4.txt, CRLF line ends), each opening with the AMA notice line, the
title line "Column1/Column2 Edits" and the header wrapped over four lines, exactly as in
tests/fixtures/cms/ccipra-v322r0-f1.excerpt.txt (the lines below are copied from it). This
writes the same shape with made-up pairs (codes 10000-99999, and one pair in a
thousand with a PCI code so the engine keeps some), for measuring start-up time, memory and
editing speed with a table that size loaded (docs/reference-data.md). Not committed data.
"""

import argparse
import random
from pathlib import Path

# CMS's notice, title and four-line header, cell for cell (tab-separated, CRLF).
PREAMBLE = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
PCI_CODES = ("92920", "92924", "92928", "92933", "92937", "92941", "92943", "92978", "93571")
RATIONALES = (
    "Standards of medical / surgical practice",
    "Misuse of column two code with column one code",
    "CPT Manual or CMS manual coding instructions",
)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("directory", type=Path)
    options.add_argument("--pairs", type=int, default=1_700_000)
    options.add_argument("--files", type=int, default=4)
    args = options.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2026)
    per_file = args.pairs // args.files
    for number in range(1, args.files + 1):
        path = args.directory / f"ccipra-v321r0-f{number}.txt"
        with path.open("w", newline="") as table:
            table.write(PREAMBLE)
            for _ in range(per_file):
                first = (
                    rng.choice(PCI_CODES)
                    if rng.random() < 0.001
                    else str(rng.randint(10000, 99999))
                )
                second = str(rng.randint(10000, 99999))
                year = rng.randint(1996, 2025)
                deleted = "*" if rng.random() < 0.8 else f"{year + 1}0101"
                table.write(
                    f"{first}\t{second}\t{'*' if year == 1996 else ''}\t{year}0101\t{deleted}\t"
                    f"{rng.choice('019')}\t{rng.choice(RATIONALES)}\r\n"
                )
        print(f"{path}: {per_file} pairs")


if __name__ == "__main__":
    main()
