"""Official CMS files dropped into CLAIM_EDIT_REFERENCE_DIR, recognised by their first lines.

NCCI MUE and PTP files replace the shipped samples in every ruleset (PTP rows keep their own
effective and deletion dates; an MUE file has none, so it applies to each ruleset's whole
range). Payment files (PFS relative values, GPCI, ZIP5, ASC Addenda AA and FF) replace the
matching table of each ruleset whose dates their release overlaps. A file of no known layout
is named and ignored; two files of one table and release are an error.
"""

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from service.adapters.csv_tables import ReferenceDataError, read_rows
from service.adapters.ncci_tables import mue_row, official_ptp, pair_index, ptp_codes
from service.domain.reference import MueRow, Provenance, PtpRow, Ruleset, index_by


@dataclass(frozen=True, slots=True)
class OfficialTables:
    mue_practitioner: tuple[MueRow, ...] | None = None
    mue_outpatient: tuple[MueRow, ...] | None = None
    ptp_practitioner: tuple[PtpRow, ...] | None = None
    ptp_outpatient: tuple[PtpRow, ...] | None = None
    ignored: tuple[str, ...] = ()


def load_official(directory: Path) -> OfficialTables:
    """Official CMS NCCI MUE and PTP files (CSV or tab-separated text), found by their headers."""
    found: dict[str, list[MueRow] | list[PtpRow]] = {}
    ignored: list[str] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        if path.suffix.lower() not in (".csv", ".txt"):
            ignored.append(path.name)
            continue
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:8192]
        outpatient = any(w in path.name.lower() for w in ("hosp", "outpatient", "opps"))
        if "MUE Adjudication Indicator" in head:
            kind = "mue_outpatient" if "Outpatient Hospital" in head else "mue_practitioner"
            rows: list[MueRow] = []
            for row in read_rows(path, "HCPCS/CPT Code"):
                code = row.text("HCPCS/CPT Code")
                rows.append(
                    mue_row(
                        row,
                        Provenance(
                            "mue",
                            code,
                            date.min,
                            None,
                            f"CMS NCCI MUE file {path.name}",
                            "confirmed",
                        ),
                    )
                )
            found.setdefault(kind, []).extend(rows)  # type: ignore[arg-type]
        elif "Column 1" in head and "Column 2" in head:
            kind = "ptp_outpatient" if outpatient else "ptp_practitioner"
            found.setdefault(kind, []).extend(official_ptp(path))  # type: ignore[arg-type]
        else:
            ignored.append(path.name)
    if not found:
        raise ReferenceDataError(
            f"{directory}: no file of a known layout (NCCI MUE or PTP)"
            + (f"; not recognised: {', '.join(ignored)}" if ignored else ": the directory is empty")
        )
    tables = {k: tuple(v) for k, v in found.items()}
    return OfficialTables(**tables, ignored=tuple(ignored))  # type: ignore[arg-type]


def with_official(ruleset: Ruleset, official: OfficialTables) -> Ruleset:
    def dated(rows: tuple[MueRow, ...]) -> dict[str, tuple[MueRow, ...]]:
        return index_by(
            (
                replace(
                    r,
                    provenance=replace(
                        r.provenance,
                        effective_from=ruleset.effective_from,
                        effective_to=ruleset.effective_to,
                    ),
                )
                for r in rows
            ),
            "code",
        )

    changes: dict[str, object] = {}
    if official.mue_practitioner is not None:
        changes["mue_practitioner"] = dated(official.mue_practitioner)
    if official.mue_outpatient is not None:
        changes["mue_outpatient"] = dated(official.mue_outpatient)
    if official.ptp_practitioner is not None:
        changes["ptp_practitioner"] = pair_index(official.ptp_practitioner)
        if official.ptp_outpatient is None:
            changes["ptp_outpatient"] = changes["ptp_practitioner"]
    if official.ptp_outpatient is not None:
        changes["ptp_outpatient"] = pair_index(official.ptp_outpatient)
    if official.ptp_practitioner is not None or official.ptp_outpatient is not None:
        changes["ptp_codes"] = ptp_codes(
            official.ptp_practitioner or (), official.ptp_outpatient or ()
        )
    return replace(ruleset, **changes)  # type: ignore[arg-type]
