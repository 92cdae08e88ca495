"""Claim memory: edits that compare a claim with the patient's claims accepted before it.

The engine hands them the patient's history as data (`EditContext.history`, from the claim
memory; service/domain/history.py says what is kept and which claims still stand). Without a
memory configured none of them can check anything, and PCI-HIST-004 says so once for all
five, the way PCI-DOC-004 reports once the documentation edits it skipped (a policy that
turns PCI-HIST-004 off silences that notice too).
A finding names the other claim by its claim id (in its message and its evidence), never a
patient.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from service.domain.context import EditContext
from service.domain.history import RememberedClaim, RememberedLine, original_remembered
from service.domain.reference import Provenance
from service.domain.registry import Firing, edit
from service.domain.working_claim import WorkLine, is_pci_base, territory_of

MEMORY = "claim memory (the patient's claims accepted before this one)"
SETTING_NAMES = {
    "professional": "professional",
    "hospital_outpatient": "hospital outpatient",
    "asc": "ASC",
}


def _evidence(other: RememberedClaim, service_date: date) -> Provenance:
    """The other claim as a finding shows it: its claim id, nothing of the patient."""
    return Provenance(
        table="claim_memory",
        key=other.claim_id,
        effective_from=service_date,
        effective_to=service_date,
        source=f"{MEMORY}: claim {other.claim_id}",
        confidence="confirmed",
    )


def _billed(ctx: EditContext) -> list[WorkLine]:
    """The lines this claim bills as the edits left them (every code, in scope or not)."""
    return [line for line in ctx.working.lines if line.active]


@edit(
    "PCI-HIST-004",
    title="Replacement or void whose original is not in claim memory",
    default=("info",),
    element="claim_reference",
    citation=(
        "ASC X12 837 005010 CLM05-3 = 7 (replacement) or 8 (void) and 2300 REF*F8; "
        "docs/edit-catalog.md PCI-HIST-004"
    ),
    on_void=True,
)
def original_not_in_memory(ctx: EditContext) -> Iterator[Firing]:
    """A replacement or void names a claim this memory never accepted: nothing of it is
    taken out, so it is reported (info). Without a claim memory, one info finding says that
    PCI-HIST-001 to -005 were not checked (on every claim, voids included).
    Source: X12 837 claim frequency codes 7 and 8, REF*F8; the claim-memory issue (#22)."""
    history = ctx.history
    if history is None:
        yield Firing(
            "info",
            (),
            "Not checked: no claim memory configured for the history edits "
            "(PCI-HIST-001/002/003/004/005).",
            fix="Configure a claim memory to compare claims with the patient's earlier ones.",
            element="claim",
        )
        return
    claim = ctx.claim
    original = claim.payer_claim_control_number
    if claim.frequency == "original" or original is None:
        return  # a missing reference is PCI-CLM-004's
    if not original_remembered(history, original, claim.billing_provider.npi):
        acts = "replaces" if claim.frequency == "replacement" else "voids"
        yield Firing(
            "info",
            (),
            f"Claim {original}, which this {claim.frequency} {acts}, is not in claim "
            "memory: nothing of it was taken out.",
            fix="Check the claim control number; the original may predate the memory or "
            "have been rejected.",
        )


def _line_key(
    code: str, modifiers: tuple[str, ...], units: int, charge: Decimal, service_date: date
) -> tuple[str, tuple[str, ...], int, Decimal, date]:
    return code, tuple(sorted(modifiers)), units, charge, service_date


@edit(
    "PCI-HIST-001",
    title="Line already accepted on another claim (duplicate)",
    default=("line_rejection",),
    element="line",
    carc="18",
    citation=(
        "X12 CARC 18 (exact duplicate claim/service); docs/edit-catalog.md PCI-HIST-001 "
        "(same patient, billing provider, date, code, modifiers, units and charge)"
    ),
)
def duplicate_line(ctx: EditContext) -> Iterator[Firing]:
    """A line identical (code, modifiers in any order, units, charge, service date) to a line
    of another claim accepted for the same patient and billing provider, which this claim
    does not replace: the service was billed already. Source: X12 CARC 18; the
    claim-memory issue (#22)."""
    if not ctx.earlier:
        return
    billing = ctx.claim.billing_provider.npi
    seen: dict[tuple[str, tuple[str, ...], int, Decimal, date], tuple[RememberedClaim, int]] = {}
    for other in ctx.earlier:
        if other.billing_npi != billing:
            continue
        for kept in other.lines:
            key = _line_key(
                kept.procedure_code, kept.modifiers, kept.units, kept.charge, kept.service_date
            )
            seen.setdefault(key, (other, kept.line_number))
    for line in _billed(ctx):
        key = _line_key(
            line.procedure_code,
            line.modifiers,
            line.units,
            line.submitted.charge,
            line.service_date,
        )
        found = seen.get(key)
        if found is None:
            continue
        other, number = found
        yield Firing(
            "line_rejection",
            (line,),
            f"{_spelled(line.procedure_code, line.modifiers)} on "
            f"{line.service_date.isoformat()} is identical to line {number} of claim "
            f"{other.claim_id}, accepted earlier from this billing provider.",
            fix=f"Do not bill it again; to correct claim {other.claim_id}, send a replacement "
            "naming it.",
            evidence=(_evidence(other, line.service_date),),
        )


def _spelled(code: str, modifiers: tuple[str, ...]) -> str:
    return "-".join((code, *modifiers))


def _remembered_base_territory(ctx: EditContext, kept: RememberedLine) -> str | None:
    """The territory of a remembered PCI base line, derived as for a line of this claim
    (its code's row in force on its date, its one coronary modifier); None for any other
    line and for a graft line (each graft is its own vessel, told apart by documentation a
    memory does not keep)."""
    ruleset = ctx.reference.ruleset_for(kept.service_date)
    row = ruleset.code(kept.procedure_code, kept.service_date) if ruleset else None
    if not is_pci_base(row) or row is None or row.graft:
        return None
    return territory_of(kept.modifiers)


@edit(
    "PCI-HIST-002",
    title="PCI base code in a territory already billed on another claim",
    default=("line_rejection",),
    element="line",
    carc="97",
    rarc="M15",
    citation=(
        "2026 coder's guide to CPT 92924, guideline 1 (one base code per major coronary "
        "territory), across a rendering provider's claims; CPT PCI hierarchy (hierarchy.csv)"
    ),
    reads=("PCI-HIST-001",),
)
def territory_across_claims(ctx: EditContext) -> Iterator[Firing]:
    """One PCI base code per major coronary territory per patient and date for one rendering
    provider, across that provider's claims of the same setting: a base line of this claim
    in a territory an earlier claim already billed is rejected, naming that claim; when
    this line is the more intensive (higher in the hierarchy), the earlier claim needs a
    replacement that bills it. Graft lines are left out; a duplicate line is PCI-HIST-001's.
    Source: 92924 guide, guideline 1; hierarchy.csv; the claim-memory issue (#22)."""
    if not ctx.earlier:
        return
    flagged = ctx.flagged_lines("PCI-HIST-001")
    rendering = ctx.claim.rendering_provider.npi
    billed: dict[tuple[date, str], tuple[RememberedClaim, RememberedLine]] = {}
    for other in ctx.earlier:
        if other.rendering_npi != rendering or other.setting != ctx.setting:
            continue
        for kept in other.lines:
            territory = _remembered_base_territory(ctx, kept)
            if territory is not None:
                billed.setdefault((kept.service_date, territory), (other, kept))
    for line in ctx.base_lines():
        if line.index in flagged or line.is_graft or line.territory is None:
            continue
        found = billed.get((line.service_date, line.territory))
        if found is None:
            continue
        other, kept = found
        evidence = [_evidence(other, line.service_date)]
        message = (
            f"{line.procedure_code}-{line.territory} on {line.service_date.isoformat()}: "
            f"territory {line.territory} was billed already by this rendering provider on "
            f"claim {other.claim_id} ({kept.procedure_code}, line {kept.line_number})."
        )
        fix = "Report one base code per territory: drop this line."
        ruleset = line.ruleset
        mine = ruleset.rank(line.procedure_code, line.service_date) if ruleset else None
        theirs = ruleset.rank(kept.procedure_code, line.service_date) if ruleset else None
        if mine is not None and theirs is not None:
            evidence += [mine.provenance, theirs.provenance]
            if mine.rank < theirs.rank:
                message += (
                    f" {line.procedure_code} is the more intensive: claim {other.claim_id} "
                    "needs a replacement."
                )
                fix = (
                    f"Send a replacement of claim {other.claim_id} billing "
                    f"{line.procedure_code}-{line.territory} in place of "
                    f"{kept.procedure_code}, and drop this line."
                )
        yield Firing("line_rejection", (line,), message, fix=fix, evidence=tuple(evidence))


@edit(
    "PCI-HIST-003",
    title="Units of a code over the MUE across the patient's claims on a date",
    default=("line_rejection",),
    element="units",
    carc="151",
    rarc="N362",
    citation=(
        "CMS NCCI MUE files (MUE Adjudication Indicators 2 and 3: per beneficiary and date "
        "of service, across claims)"
    ),
)
def units_across_claims(ctx: EditContext) -> Iterator[Firing]:
    """For a code whose MUE adjudication indicator is 2 or 3, the units on this claim and on
    the patient's earlier accepted claims of the same MUE table (practitioner for
    professional claims, outpatient hospital for the others) on one date, summed, above the
    MUE value: this claim's lines of the code are rejected. A claim over the MUE on its own
    is PCI-BUND-003's; a code without a MUE row is reported there.
    Source: CMS NCCI MUE files and their adjudication indicators."""
    if not ctx.earlier:
        return
    professional = ctx.setting == "professional"
    by_code_date: dict[tuple[str, date], list[WorkLine]] = {}
    for line in ctx.lines():
        if line.row is not None:
            by_code_date.setdefault((line.procedure_code, line.service_date), []).append(line)
    for (code, service_date), group in by_code_date.items():
        ruleset = group[0].ruleset
        row = ruleset.mue(code, service_date, ctx.setting) if ruleset else None
        if row is None or row.adjudication_indicator == 1:
            continue
        own = sum(line.units for line in group)
        others: list[tuple[RememberedClaim, int]] = []
        for other in ctx.earlier:
            if (other.setting == "professional") != professional:
                continue
            units = sum(
                kept.units
                for kept in other.lines
                if kept.procedure_code == code and kept.service_date == service_date
            )
            if units:
                others.append((other, units))
        total = own + sum(units for _, units in others)
        if own > row.value or total <= row.value:
            continue
        named = ", ".join(f"{other.claim_id} ({units})" for other, units in others)
        yield Firing(
            "line_rejection",
            tuple(group),
            f"{code}: {total} units on {service_date.isoformat()} across this patient's "
            f"claims ({own} here; earlier: {named}) exceed the MUE of {row.value} "
            f"(MAI {row.adjudication_indicator}).",
            fix=f"Bill at most {row.value} unit(s) of {code} per date of service in all; "
            "correct the earlier claim with a replacement if this one is right.",
            evidence=(
                row.provenance,
                *(_evidence(other, service_date) for other, _ in others),
            ),
        )


def _pci_territories(
    lines: list[tuple[str | None, date]], service_date: date
) -> tuple[bool, frozenset[str]]:
    """Whether PCI was billed on the date, and in which territories."""
    on_date = [territory for territory, day in lines if day == service_date]
    return bool(on_date), frozenset(t for t in on_date if t is not None)


def _remembered_pci(ctx: EditContext, other: RememberedClaim) -> list[tuple[str | None, date]]:
    found: list[tuple[str | None, date]] = []
    for kept in other.lines:
        ruleset = ctx.reference.ruleset_for(kept.service_date)
        row = ruleset.code(kept.procedure_code, kept.service_date) if ruleset else None
        if is_pci_base(row):
            found.append((territory_of(kept.modifiers), kept.service_date))
    return found


def _named(pci: bool, territories: frozenset[str]) -> str:
    if not pci:
        return "no PCI"
    return "PCI in " + (", ".join(sorted(territories)) if territories else "no named territory")


@edit(
    "PCI-HIST-005",
    title="Physician and facility claims disagree on PCI",
    default=("warning",),
    element="line",
    citation=(
        "2026 coder's guide to CPT 92924, guideline 1 (territories by coronary modifier); "
        "the physician's and the hospital's claims report one procedure (CMS OPPS and PFS)"
    ),
)
def physician_and_facility_agree(ctx: EditContext) -> Iterator[Firing]:
    """A professional claim and a hospital outpatient claim of the same patient and date
    report one procedure: when they name different PCI territories, or one bills PCI and
    the other none, this (the later) claim gets a warning naming the other claim.
    Source: 92924 guide, guideline 1; the claim-memory issue (#22)."""
    if not ctx.earlier or ctx.setting not in ("professional", "hospital_outpatient"):
        return
    counterpart = "hospital_outpatient" if ctx.setting == "professional" else "professional"
    billed = _billed(ctx)
    mine = [(line.territory, line.service_date) for line in ctx.base_lines()]
    theirs: dict[date, list[RememberedClaim]] = {}
    pci_theirs: list[tuple[str | None, date]] = []
    for other in ctx.earlier:
        if other.setting != counterpart:
            continue
        pci_theirs += _remembered_pci(ctx, other)
        for day in sorted({kept.service_date for kept in other.lines}):
            theirs.setdefault(day, []).append(other)
    for service_date in sorted({line.service_date for line in billed}):
        others = theirs.get(service_date)
        if not others:
            continue
        my_pci, my_territories = _pci_territories(mine, service_date)
        their_pci, their_territories = _pci_territories(pci_theirs, service_date)
        if (my_pci, my_territories) == (their_pci, their_territories):
            continue
        names = ", ".join(other.claim_id for other in others)
        lines = tuple(line for line in ctx.base_lines() if line.service_date == service_date)
        yield Firing(
            "warning",
            lines,
            f"On {service_date.isoformat()} this {SETTING_NAMES[ctx.setting]} claim bills "
            f"{_named(my_pci, my_territories)}; the {SETTING_NAMES[counterpart]} claim "
            f"{names} bills {_named(their_pci, their_territories)}.",
            fix="Check both claims against the procedure report and correct the wrong one "
            "with a replacement.",
            evidence=tuple(_evidence(other, service_date) for other in others),
            element=None if lines else "claim",
        )
