"""Which official layout a file is in, told by its first lines (never by its name alone)."""

import re
from pathlib import Path
from typing import Literal

from service.adapters.cms.aoc import is_aoc_workbook
from service.adapters.cms.release import official_head

Layout = Literal["pfs_rvu", "gpci", "zip5", "asc_aa", "asc_ff", "opps_b", "mue", "ptp", "aoc"]
ADDENDUM_B = re.compile(r"Addendum B\b")
ZIP5_RECORD = re.compile(r"^[A-Z]{2}\d{12}")
# Either of a file's header cells, so a header with one cell damaged is still taken for its
# layout and refused by the reader naming the line (never ignored as "no known layout").
MUE_HEAD = re.compile(r"MUE (Values|Rationale)")
PTP_HEAD = re.compile(r"Column1/Column2 Edits|PTP Edit Rationale")
AOC_NAME = re.compile(r"^AOC_V\d{4}Q[1-4]", re.IGNORECASE)
AOC_WORKBOOK = "NCCI add-on code edit workbook"
# CMS's file names, for a file whose first lines match no layout: named like a CMS file of
# a known layout, it is a damaged copy, an error (never silently left out).
CMS_NAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"cci(pra|oph)-v\d+r\d+", re.IGNORECASE), "NCCI PTP"),
    (re.compile(r"MUE_(Practitioner|OutpatientHospital)Services", re.IGNORECASE), "NCCI MUE"),
    (re.compile(r"Addendum B\b", re.IGNORECASE), "OPPS Addendum B"),
    (re.compile(r"^PPRRVU\d{4}", re.IGNORECASE), "PFS relative value"),
    (re.compile(r"^GPCI\d{4}", re.IGNORECASE), "GPCI"),
    (AOC_NAME, AOC_WORKBOOK),
)


def layout_by_name(path: Path) -> str | None:
    """The CMS layout a file's name says it is in (CMS's own names only)."""
    return next((what for pattern, what in CMS_NAMES if pattern.search(path.name)), None)


XLSX_MAGIC = b"PK\x03\x04"


DOCUMENTS = frozenset({".md", ".pdf", ".doc", ".docx", ".rtf", ".htm", ".html"})
"""Readmes and notes that travel with CMS's files (never a table, whatever they mention)."""


def layout_of(path: Path) -> Layout | None:
    if path.suffix.lower() in DOCUMENTS:
        return None
    raw = official_head(path)
    if raw.startswith(XLSX_MAGIC):  # an .xlsx is a zip: its sheet's header tells
        return "aoc" if is_aoc_workbook(path) else None
    head = raw.decode("utf-8", errors="replace")
    if "National Physician Fee Schedule Relative Value File" in head:
        return "pfs_rvu"
    # the title and the header's first cell (a text that merely names the GPCIs, such as a
    # README beside the files, is not the layout)
    if "GEOGRAPHIC PRACTICE COST INDICES" in head.upper() and "Medicare Admin" in head:
        return "gpci"
    # the addenda: their title and their `HCPCS Code` header (a note that only names them
    # is not one); a file CMS names "... Addendum B ..." is read as one, and refused if not
    table = "HCPCS Code" in head
    if "Addendum AA" in head and table:
        return "asc_aa"
    if "Addendum FF" in head and table:
        return "asc_ff"
    if (ADDENDUM_B.search(head) and table) or ADDENDUM_B.search(path.name):
        return "opps_b"
    if "MUE Adjudication Indicator" in head or MUE_HEAD.search(head):
        return "mue"
    if ("Column 1" in head and "Column 2" in head) or PTP_HEAD.search(head):
        return "ptp"
    if ZIP5_RECORD.match(head.lstrip("\ufeff")):
        return "zip5"
    return None
