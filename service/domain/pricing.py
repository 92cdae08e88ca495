"""Medicare national reference prices (docs/reference-data.md, "Medicare 2026 payment").

Professional: total RVU × conversion factor (the qualifying-APM factor for a qualifying
participant), each line rounded half-up to cents; a line with modifier 26 is priced from
the code's professional-component row, TC from its technical-component row, any other
from the global row. OPPS: a J1 line is comprehensive, one
payment for the highest-paying J1 line and every other line packaged. ASC: the ASC rate.
A line in scope without a row is priced null with a note, and the total is then null.

Each line is built with `payable` equal to `allowed`; `payable` (the module) then sets what
Medicare pays, keeping the line itself where that is the same amount.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from contracts import Claim, PricedLine, Pricing
from service.domain import payable
from service.domain.reference import ConversionFactorRow, Participation, Provenance, RvuRow
from service.domain.working_claim import WorkingClaim, WorkLine

Method = Literal["pfs", "opps", "asc"]
CENT = Decimal("0.01")
CONFIDENCE_STRENGTH = {"provisional": 0, "guide": 1, "secondary": 2, "derived": 3, "confirmed": 4}
UNADJUSTED = (
    "Medicare national amounts: no geographic (GPCI) adjustment, before any "
    "multiple-procedure reduction; a reference point for every payer."
)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _weakest(*provenances: Provenance) -> Provenance:
    return min(provenances, key=lambda p: CONFIDENCE_STRENGTH[p.confidence])


def price(working: WorkingClaim) -> Pricing:
    claim = working.claim
    lines = [line for line in working.lines if line.active and line.known]
    notes: list[str] = [UNADJUSTED]
    payable_notes: list[str] = []
    locality = None
    if claim.setting == "professional":
        priced = [_physician_fee(line, claim) for line in lines]
        priced, locality = payable.professional(working, lines, priced, payable_notes)
    elif claim.setting == "hospital_outpatient":
        priced = payable.as_allowed(_opps(lines, notes))
    else:
        priced = payable.ambulatory_surgery(lines, [_asc(line) for line in lines], payable_notes)
    notes.extend(p.note for p in priced if p.note)
    outside = [line.line_number for line in working.lines if line.active and not line.known]
    if outside:
        notes.append(f"Lines outside rule scope are not priced: {outside}.")
    if any(p.allowed is None for p in priced):
        total = None
        notes.append("total_allowed is null: at least one line has no price row.")
    else:
        total = _money(sum((Decimal(p.allowed or "0") for p in priced), Decimal(0)))
    return Pricing(
        setting=claim.setting,
        currency="USD",
        lines=tuple(priced),
        total_allowed=total,
        notes=(*notes, *payable_notes),
        total_payable=payable.total(priced),
        locality=locality,
    )


def _unpriced(line: WorkLine, method: Method, why: str) -> PricedLine:
    return PricedLine(
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        method=method,
        allowed=None,
        source=None,
        confidence=None,
        note=f"line {line.line_number} ({line.procedure_code}): {why}",
    )


def _physician_fee(line: WorkLine, claim: Claim) -> PricedLine:
    ruleset = line.ruleset
    if ruleset is None:
        return _unpriced(line, "pfs", "no ruleset")
    component = payable.component(line)
    rvu = ruleset.rvu(line.procedure_code, line.service_date, component)
    participation: Participation = (
        "qualifying_apm"
        if claim.rendering_provider.qualifying_apm_participant
        else "non_qualifying_apm"
    )
    factor = ruleset.conversion_factor(participation, line.service_date)
    if rvu is None:
        named = f"{line.procedure_code}-{component} on " if component else ""
        return _unpriced(line, "pfs", f"no RVU row for {named}{line.service_date.isoformat()}")
    if rvu.status == "B":
        return _packaged(
            line, "pfs", rvu.provenance, "PFS status B (bundled): never paid separately"
        )
    if rvu.status not in ("", "A"):
        return _unpriced(line, "pfs", f"PFS status {rvu.status}: no national amount")
    if rvu.total_rvu is None or rvu.work_rvu is None:
        when = line.service_date.isoformat()
        return _unpriced(
            line, "pfs", f"no RVUs loaded for {when} (the row carries only indicators forward)"
        )
    if factor is None:
        return _unpriced(line, "pfs", f"no conversion factor for {line.service_date.isoformat()}")
    key = (id(rvu), id(factor), line.units, line.line_number)
    memo = _PFS_MEMO.get(key)
    if memo is not None and memo[0] is rvu and memo[1] is factor:
        return memo[2]
    priced = _physician_fee_line(rvu, factor, line.units, line.line_number)
    if len(_PFS_MEMO) < 8192:
        _PFS_MEMO[key] = (rvu, factor, priced)
    return priced


# Keyed by the rows' identity, and the rows are kept with the price: an id reused by another
# (later loaded) row never finds a price that is not its own.
_PFS_MEMO: dict[tuple[int, int, int, int], tuple[RvuRow, ConversionFactorRow, PricedLine]] = {}


def _packaged(line: WorkLine, method: Method, provenance: Provenance, why: str) -> PricedLine:
    """A line paid within another (PFS status B, ASC N1): 0.00, and a note that says why."""
    return PricedLine(
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        method=method,
        allowed="0.00",
        payable="0.00",
        source=provenance.source,
        confidence=provenance.confidence,
        note=f"line {line.line_number} ({line.procedure_code}): {why}",
    )


def _physician_fee_line(
    rvu: RvuRow, factor: ConversionFactorRow, units: int, line_number: int
) -> PricedLine:
    """Pure in its (frozen) rows: memoized by `_physician_fee` to save the Decimal work."""
    assert rvu.total_rvu is not None  # `_physician_fee` prices no row without RVUs
    per_unit = (rvu.total_rvu * factor.conversion_factor).quantize(CENT, rounding=ROUND_HALF_UP)
    weakest = _weakest(rvu.provenance, factor.provenance)
    allowed = _money(per_unit * units)
    return PricedLine(
        line_number=line_number,
        procedure_code=rvu.code,
        method="pfs",
        allowed=allowed,
        payable=allowed,
        source=f"RVU: {rvu.provenance.source}; conversion factor ({factor.participation}): "
        f"{factor.provenance.source}",
        confidence=weakest.confidence,
        work_rvu=str(rvu.work_rvu),
        total_rvu=str(rvu.total_rvu),
        conversion_factor=str(factor.conversion_factor),
    )


def _opps(lines: list[WorkLine], notes: list[str]) -> list[PricedLine]:
    rows = {
        line.index: line.ruleset.opps_row(line.procedure_code, line.service_date)
        if line.ruleset
        else None
        for line in lines
    }
    comprehensive = [
        (row.payment, -line.line_number, line, row)
        for line in lines
        if (row := rows[line.index]) is not None and row.status_indicator == "J1"
    ]
    if comprehensive:
        _, _, primary, row = max(comprehensive, key=lambda item: (item[0], item[1]))
        notes.append(
            f"Comprehensive APC {row.apc} (J1, line {primary.line_number}): "
            "every other line is packaged at 0.00."
        )
        paid = _money(row.payment)
        return [
            PricedLine(
                line_number=line.line_number,
                procedure_code=line.procedure_code,
                method="opps",
                allowed=paid if line is primary else "0.00",
                payable=paid if line is primary else "0.00",
                source=row.provenance.source,
                confidence=row.provenance.confidence,
                status_indicator=row.status_indicator if line is primary else None,
                apc=row.apc,
            )
            for line in lines
        ]
    priced = []
    for line in lines:
        found = rows[line.index]
        if found is None:
            priced.append(_unpriced(line, "opps", "no OPPS row loaded"))
            continue
        amount = found.payment * line.units
        indicator, apc = found.status_indicator, found.apc
        priced.append(
            _priced(line, "opps", amount, found.provenance, status_indicator=indicator, apc=apc)
        )
    return priced


def _asc(line: WorkLine) -> PricedLine:
    row = line.ruleset.asc_row(line.procedure_code, line.service_date) if line.ruleset else None
    if row is None:
        return _unpriced(line, "asc", "no ASC payment row loaded")
    if row.payment is None:
        why = (
            f"ASC payment indicator {row.payment_indicator or 'N1'}: packaged, no separate payment"
        )
        return _packaged(line, "asc", row.provenance, why)
    return _priced(line, "asc", row.payment * line.units, row.provenance)


def _priced(
    line: WorkLine,
    method: Method,
    amount: Decimal,
    provenance: Provenance,
    *,
    status_indicator: str | None = None,
    apc: str | None = None,
) -> PricedLine:
    allowed = _money(amount)
    return PricedLine(
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        method=method,
        allowed=allowed,
        payable=allowed,
        source=provenance.source,
        confidence=provenance.confidence,
        status_indicator=status_indicator,
        apc=apc,
    )
