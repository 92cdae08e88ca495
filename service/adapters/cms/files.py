"""Which official layout a file is in, told by its first lines (never by its name alone)."""

import re
from pathlib import Path
from typing import Literal

from service.adapters.cms.release import official_head

Layout = Literal["pfs_rvu", "gpci", "zip5", "asc_aa", "asc_ff", "opps_b", "mue", "ptp"]
ADDENDUM_B = re.compile(r"Addendum B\b")
ZIP5_RECORD = re.compile(r"^[A-Z]{2}\d{12}")


def layout_of(path: Path) -> Layout | None:
    head = official_head(path).decode("utf-8", errors="replace")
    if "National Physician Fee Schedule Relative Value File" in head:
        return "pfs_rvu"
    if "GEOGRAPHIC PRACTICE COST INDICES" in head.upper():
        return "gpci"
    if "Addendum AA" in head:
        return "asc_aa"
    if "Addendum FF" in head:
        return "asc_ff"
    if ADDENDUM_B.search(head) or ADDENDUM_B.search(path.name):
        return "opps_b"
    if "MUE Adjudication Indicator" in head:
        return "mue"
    if "Column 1" in head and "Column 2" in head:
        return "ptp"
    if ZIP5_RECORD.match(head.lstrip("\ufeff")):
        return "zip5"
    return None
