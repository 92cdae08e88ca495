"""What Medicare pays for each priced line (docs/reference-data.md, "Geographic adjustment"
and "Multiple procedures"): `allowed` is the national amount; `payable` applies the
payment locality and the multiple-procedure rules.

Professional: (work RVU × work GPCI + facility PE RVU × PE GPCI + MP RVU × MP GPCI) ×
conversion factor, by the service facility ZIP's locality (each line from its PFS row:
the 26 row for a line with 26, the TC row with TC, else the global row); with no ZIP, no
ZIP row, no GPCI row or no RVU components, the national amount, and a note says which was
missing. Then MULT PROC indicator 2 on one date: 100% for the highest line, 50% for each
other (a paid line with no indicator loaded is not reduced, and a note says so). ASC: lines
subject to multiple-procedure discounting, 100% for the highest rate, 50% for the others;
packaged lines stay 0.00. OPPS: payable is allowed (J1 already pays one line).
"""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from contracts import Locality, PricedLine
from service.domain.reference import LocalityRow, Ruleset, RvuRow, ZipRow
from service.domain.working_claim import WorkingClaim, WorkLine

CENT = Decimal("0.01")
HALF = Decimal("0.5")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class _Where(NamedTuple):
    """The claim's payment locality (None and a note when not found)."""

    zip_row: ZipRow | None
    gpci: LocalityRow | None
    note: str | None
    locality: Locality | None


_NO_FACILITY = _Where(
    None, None, "payable is the national amount: the claim names no service facility ZIP.", None
)
_UNDATED = _Where(None, None, None, None)


def _where(working: WorkingClaim, lines: Sequence[WorkLine]) -> _Where:
    """The claim's payment locality, looked up once per ZIP and date in the (frozen)
    ruleset: a pure function of its tables, so kept in its memo with the notes it reads."""
    facility = working.claim.service_facility
    if facility is None:
        return _NO_FACILITY
    dated = next((line for line in lines if line.ruleset is not None), None)
    if dated is None or dated.ruleset is None:
        return _UNDATED
    ruleset, zip5, when = dated.ruleset, facility.zip[:5], dated.service_date
    return ruleset.once("payable-where", (zip5, when), lambda: _located(ruleset, zip5, when))


def _located(ruleset: Ruleset, zip5: str, service_date: date) -> _Where:
    found = ruleset.locality_of(zip5, service_date)
    when = service_date.isoformat()
    if found is None:
        note = (
            f"payable is the national amount: no ZIP-to-locality row for {zip5} "
            f"on {when} (load the CMS ZIP5 file for the year)."
        )
        return _Where(None, None, note, None)
    zip_row, gpci = found
    if gpci is None:
        note = (
            f"payable is the national amount: no GPCI row for carrier {zip_row.carrier}, "
            f"locality {zip_row.locality} on {when} (load the CMS GPCI file for the year)."
        )
        return _Where(zip_row, None, note, None)
    locality = Locality(
        zip=zip_row.zip_code,
        carrier=gpci.carrier,
        locality=gpci.locality,
        name=gpci.name,
        work_gpci=str(gpci.work_gpci),
        practice_expense_gpci=str(gpci.practice_expense_gpci),
        malpractice_gpci=str(gpci.malpractice_gpci),
        source=f"{gpci.provenance.source}; {zip_row.provenance.source}",
        confidence=gpci.provenance.confidence,
    )
    return _Where(zip_row, gpci, None, locality)


COMPONENTS = ("26", "TC")


def component(line: WorkLine) -> str:
    """The PFS row a line is priced from: "26" (professional component), "TC" (technical
    component), or "" (the global row)."""
    for modifier in line.modifiers:
        if modifier in COMPONENTS:
            return modifier
    return ""


def pfs_row(line: WorkLine) -> RvuRow | None:
    """The line's PFS row for its date and component."""
    if line.ruleset is None:
        return None
    return line.ruleset.rvu(line.procedure_code, line.service_date, component(line))


def _adjusted(
    line: WorkLine, rvu: RvuRow | None, factor: str | None, gpci: LocalityRow
) -> Decimal | None:
    if (
        rvu is None
        or factor is None
        or rvu.work_rvu is None
        or rvu.facility_pe_rvu is None
        or rvu.malpractice_rvu is None
    ):
        return None
    per_unit = (
        rvu.work_rvu * gpci.work_gpci
        + rvu.facility_pe_rvu * gpci.practice_expense_gpci
        + rvu.malpractice_rvu * gpci.malpractice_gpci
    ) * Decimal(factor)
    return _cents(per_unit) * line.units


def _reduced(amounts: dict[int, Decimal], ranked: list[int]) -> None:
    """100% for the first of `ranked`, 50% for each other (in place)."""
    for index in ranked[1:]:
        amounts[index] = _cents(amounts[index] * HALF)


def professional(
    working: WorkingClaim, lines: Sequence[WorkLine], priced: Sequence[PricedLine], notes: list[str]
) -> tuple[list[PricedLine], Locality | None]:
    where = _where(working, lines)
    if where.note:
        notes.append(where.note)
    amounts: dict[int, Decimal] = {}
    unadjusted: list[str] = []
    by_date: dict[object, list[int]] = {}  # lines under the reduction (indicator 2), by date
    unknown: dict[object, list[int]] = {}  # paid lines with no MULT PROC indicator, by date
    for index, (line, price) in enumerate(zip(lines, priced, strict=True)):
        if price.allowed is None:
            continue
        rvu = pfs_row(line)
        amount = Decimal(price.allowed)
        if rvu is not None and rvu.multiple_procedure == "2":
            by_date.setdefault(line.service_date, []).append(index)
        elif amount and (rvu is None or not rvu.multiple_procedure):
            unknown.setdefault(line.service_date, []).append(index)
        if where.gpci is not None and amount:
            adjusted = _adjusted(line, rvu, price.conversion_factor, where.gpci)
            if adjusted is None:
                unadjusted.append(line.procedure_code)
            else:
                amount = adjusted
        amounts[index] = amount
    if unadjusted:
        notes.append(
            "payable is the national amount for "
            f"{', '.join(sorted(set(unadjusted)))}: no RVU components (work, facility PE, MP) "
            "are loaded for the date."
        )
    for day, missing in unknown.items():
        if len(missing) + len(by_date.get(day, ())) > 1:
            codes = ", ".join(sorted({lines[i].procedure_code for i in missing}))
            notes.append(
                "payable applies no multiple-procedure reduction to lines "
                f"{', '.join(str(lines[i].line_number) for i in missing)}: no MULT PROC "
                f"indicator is loaded for {codes} on {lines[missing[0]].service_date.isoformat()}."
            )
    for group in by_date.values():
        if len(group) > 1:
            ranked = sorted(group, key=lambda i: (-amounts[i], lines[i].line_number))
            _reduced(amounts, ranked)
            unconfirmed = sorted(
                {
                    row.provenance.source
                    for i in ranked
                    if (row := pfs_row(lines[i])) is not None
                    and row.provenance.confidence != "confirmed"
                }
            )
            notes.append(
                "payable applies the multiple-procedure reduction (indicator 2): 100% for line "
                f"{lines[ranked[0]].line_number}, 50% for lines "
                f"{', '.join(str(lines[i].line_number) for i in ranked[1:])}."
                + (f" Indicator from: {' | '.join(unconfirmed)}." if unconfirmed else "")
            )
    return _with_payable(priced, amounts), where.locality


def ambulatory_surgery(
    lines: Sequence[WorkLine], priced: Sequence[PricedLine], notes: list[str]
) -> list[PricedLine]:
    amounts = {i: Decimal(p.allowed) for i, p in enumerate(priced) if p.allowed is not None}
    discounted = []
    for index, line in enumerate(lines):
        row = line.ruleset.asc_row(line.procedure_code, line.service_date) if line.ruleset else None
        if index in amounts and row is not None and row.multiple_procedure_discounting:
            discounted.append(index)
    if len(discounted) > 1:
        ranked = sorted(discounted, key=lambda i: (-amounts[i], lines[i].line_number))
        _reduced(amounts, ranked)
        notes.append(
            f"payable applies ASC multiple-procedure discounting: 100% for line "
            f"{lines[ranked[0]].line_number}, 50% for lines "
            f"{', '.join(str(lines[i].line_number) for i in ranked[1:])}."
        )
    return _with_payable(priced, amounts)


def as_allowed(priced: Sequence[PricedLine]) -> list[PricedLine]:
    return [_paying(p, p.allowed) for p in priced]


def _with_payable(priced: Sequence[PricedLine], amounts: dict[int, Decimal]) -> list[PricedLine]:
    return [_paying(p, str(amounts[i]) if i in amounts else None) for i, p in enumerate(priced)]


def _paying(p: PricedLine, payable: str | None) -> PricedLine:
    """`p` with `payable` set: `p` itself when it says so already (pricing builds each line
    paying its allowed amount, and most lines pay that), else a copy: `dataclasses.replace`
    spelled out (measured: half its cost, which walks the fields at each call)."""
    if p.payable == payable:
        return p
    return PricedLine(
        line_number=p.line_number,
        procedure_code=p.procedure_code,
        method=p.method,
        allowed=p.allowed,
        payable=payable,
        work_rvu=p.work_rvu,
        total_rvu=p.total_rvu,
        conversion_factor=p.conversion_factor,
        status_indicator=p.status_indicator,
        apc=p.apc,
        source=p.source,
        confidence=p.confidence,
        note=p.note,
    )


def total(priced: Sequence[PricedLine]) -> str | None:
    if any(p.payable is None for p in priced):
        return None
    return str(_cents(sum((Decimal(p.payable or "0") for p in priced), Decimal(0))))
