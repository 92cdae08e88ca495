"""Bundling: what is inside the PCI, procedure-to-procedure pairs, unit limits, add-ons needing a
primary, and a drug-coated balloon beside a PCI of its lesion."""

from collections.abc import Iterator
from datetime import date

from contracts import Lesion
from service.domain.context import EditContext
from service.domain.needs import Needs
from service.domain.reference import CONTRACTOR_DEFINED, CodeSetRow, PtpRow
from service.domain.registry import Firing, ProposedChange, edit
from service.domain.vocabulary import ANGIOGRAPHY_DISTINCT_MODIFIERS
from service.domain.working_claim import WorkLine

GUIDE_4 = "2026 coder's guide to CPT 92924, guideline 4 (diagnostic angiography at the PCI session)"
NCCI_XI = "NCCI Policy Manual ch. XI"
NCCI_FILE_SOURCE = "CMS NCCI"
"""How the source of a PTP row read from an official CMS NCCI file begins
(service/adapters/ncci_tables.py)."""
EXCEPTIONS = (
    "no prior study, condition changed, inadequate visualization, clinical change outside "
    "the target"
)


@edit(
    "PCI-BUND-001",
    needs=Needs(families=frozenset({"diagnostic", "pci_base"})),
    title="Diagnostic angiography in the PCI session",
    default=("correction", "line_rejection", "warning"),
    note="cases below: correction (a, b), line_rejection (b with no free slot, c), warning (d)",
    element="line",
    carc="97",
    rarc="M15",
    citation=GUIDE_4 + "; " + NCCI_XI + " (diagnostic angiography with PCI)",
)
def diagnostic_angiography_bundled(ctx: EditContext) -> Iterator[Firing]:
    """93454–93461 on the date of a PCI base line is bundled unless an exception is
    documented (no prior study, changed condition, inadequate visualization, clinical change
    outside the target). (a) no 59/XU, no exception: remove; (b) exception, no 59/XU: add
    XU; (c) 59/XU, documentation without exception: reject; (d) 59/XU, no documentation:
    warn; (e) 59/XU with exception: fine. Source: 92924 guide, guideline 4; NCCI ch. XI."""
    procedure = ctx.procedure
    exception = procedure.diagnostic_exception if procedure is not None else None
    for line in ctx.lines():
        if not line.is_diagnostic or not ctx.base_lines_on(line.service_date):
            continue
        marked = [m for m in line.modifiers if m in ANGIOGRAPHY_DISTINCT_MODIFIERS]
        code = line.procedure_code
        if not marked and exception is None:
            yield Firing(
                "correction",
                (line,),
                f"{code} on the PCI date with no documented exception is bundled into the PCI.",
                fix=f"Remove line {line.line_number} ({code}); or, when the cath report "
                f"documents an exception ({EXCEPTIONS}), keep it with modifier 59 or XU on "
                f"that diagnostic line ({code}-XU) and send the exception.",
                changes=(ProposedChange(line, "remove_line", "bundled into the same-session PCI"),),
            )
        elif not marked:
            reason = f"documented exception: {exception}"
            if len(line.modifiers) < 4:
                yield Firing(
                    "correction",
                    (line,),
                    f"{code} has a documented exception ({exception}) but no XU.",
                    fix="Append XU.",
                    changes=(
                        ProposedChange(
                            line, "add_modifier", reason, modifiers=(*line.modifiers, "XU")
                        ),
                    ),
                )
            else:
                yield Firing(
                    "line_rejection",
                    (line,),
                    f"{code} has a documented exception ({exception}) but no room for XU.",
                    fix="Replace a modifier with XU.",
                )
        elif procedure is not None and exception is None:
            yield Firing(
                "line_rejection",
                (line,),
                f"{code}-{marked[0]} claims a separate diagnostic study, but the documentation "
                "records no exception.",
                fix=f"Document the exception ({EXCEPTIONS}) or remove the line.",
            )
        elif procedure is None:
            yield Firing(
                "warning",
                (line,),
                f"{code}-{marked[0]} on the PCI date: documentation review (no procedure sent).",
                fix="Keep the cath report's exception on file.",
            )


@edit(
    "PCI-BUND-002",
    needs=Needs(families=frozenset({"ptp_pair"})),
    title="Procedure-to-procedure pair (a CMS NCCI file's, else a derived pair of the PCI "
    "hierarchy)",
    default=("correction", "info"),
    note="correction removes column 2; info when a modifier bypasses an indicator-1 pair",
    element="line",
    carc="236",
    citation="CMS NCCI PTP edits (modifier indicator 0/1/9) when an official NCCI PTP file is "
    "loaded; otherwise derived pairs (PCI hierarchy: hierarchy.csv, ptp_practitioner.csv) in "
    "the NCCI layout; NCCI Policy Manual ch. I and XI",
)
def ncci_pair(ctx: EditContext) -> Iterator[Firing]:
    """An active column-1/column-2 pair on one date. Indicator 0: remove column 2.
    Indicator 1 bypassed by different coronary modifiers or 59/X{EPSU} on either line: info
    naming the modifier; not bypassed: remove column 2. Indicator 9: nothing. A pair is
    called NCCI only when its row comes from a CMS NCCI file; the shipped pairs are derived
    from the PCI hierarchy and say so. Source: CMS NCCI PTP files and policy manual."""
    lines = [
        line
        for line in ctx.lines()
        if line.ruleset is not None and line.procedure_code in line.ruleset.ptp_codes
    ]
    for column_2 in lines:
        for column_1 in lines:
            if column_1 is column_2 or not (column_1.active and column_2.active):
                continue
            row = ctx.active_ptp(column_1, column_2)
            if row is None or row.modifier_indicator == "9":
                continue
            pair = f"{pair_kind(row)} {column_1.procedure_code}/{column_2.procedure_code}"
            bypass = _bypassing_modifier(column_1, column_2)
            if row.modifier_indicator == "1" and bypass:
                yield Firing(
                    "info",
                    (column_1, column_2),
                    f"{pair[0].upper()}{pair[1:]} bypassed by {bypass}.",
                    evidence=(row.provenance,),
                )
                continue
            yield Firing(
                "correction",
                (column_2,),
                f"{pair[0].upper()}{pair[1:]} (modifier indicator {row.modifier_indicator}): "
                f"{column_2.procedure_code} is bundled into {column_1.procedure_code}.",
                fix=f"Remove {column_2.procedure_code} (line {column_2.line_number}).",
                changes=(
                    ProposedChange(
                        column_2,
                        "remove_line",
                        f"column 2 of {column_1.procedure_code}, {pair_kind(row)}",
                    ),
                ),
                evidence=(row.provenance,),
            )


def pair_kind(row: PtpRow) -> str:
    """What a PTP row may be called: "NCCI pair" only when a CMS NCCI file is its source; the
    shipped pairs are derived from the PCI hierarchy."""
    if row.provenance.source.startswith(NCCI_FILE_SOURCE):
        return "NCCI pair"
    return "derived pair (PCI hierarchy)"


def _bypassing_modifier(column_1: WorkLine, column_2: WorkLine) -> str | None:
    if column_1.territory and column_2.territory and column_1.territory != column_2.territory:
        return f"different coronary modifiers ({column_1.territory}, {column_2.territory})"
    distinct = column_1.distinct_modifiers + column_2.distinct_modifiers
    return f"modifier {distinct[0]}" if distinct else None


@edit(
    "PCI-BUND-003",
    needs=Needs(families=frozenset({"coded"})),
    title="Medically unlikely edit (units over MUE)",
    default=("line_rejection", "info"),
    note="line_rejection over the MUE; info naming the codes no MUE row was loaded for",
    element="units",
    carc="151",
    rarc="N362",
    citation="CMS NCCI MUE files (MUE Adjudication Indicator 1 line, 2 and 3 date of service)",
)
def medically_unlikely_units(ctx: EditContext) -> Iterator[Firing]:
    """Units of a code on one date above its MUE value: per line for MAI 1, per date for MAI
    2 and 3. Codes with no MUE row are listed in one info finding, never passed silently.
    Source: CMS NCCI MUE files and their adjudication indicators."""
    by_code_date: dict[tuple[str, date], list[WorkLine]] = {}
    for line in ctx.lines():
        if line.row is not None:
            by_code_date.setdefault((line.procedure_code, line.service_date), []).append(line)
    unchecked: list[WorkLine] = []
    for (code, service_date), group in by_code_date.items():
        ruleset = group[0].ruleset
        row = ruleset.mue(code, service_date, ctx.setting) if ruleset else None
        if row is None:
            unchecked.extend(group)
            continue
        over: list[tuple[WorkLine, ...]]
        if row.adjudication_indicator == 1:
            over = [(line,) for line in group if line.units > row.value]
        else:
            over = [tuple(group)] if sum(line.units for line in group) > row.value else []
        for lines in over:
            units = sum(line.units for line in lines)
            yield Firing(
                "line_rejection",
                lines,
                f"{code}: {units} units on {service_date.isoformat()} exceed the MUE of "
                f"{row.value} (MAI {row.adjudication_indicator}).",
                fix=f"Bill at most {row.value} unit(s) of {code} "
                + ("per line." if row.adjudication_indicator == 1 else "per date of service."),
                evidence=(row.provenance,),
            )
    if unchecked:
        codes = sorted({line.procedure_code for line in unchecked})
        table = "practitioner" if ctx.setting == "professional" else "outpatient hospital"
        yield Firing(
            "info",
            tuple(unchecked),
            f"MUE not checked for {', '.join(codes)}: no {table} MUE row loaded.",
            fix="Load the current quarter's CMS MUE file (CLAIM_EDIT_REFERENCE_DIR).",
        )


NCCI_AOC = "CMS NCCI Medicare add-on code edits (AOC_V2026Q2-MCR.xlsx, 2026 Q2; edit types 1/2/3)"


@edit(
    "PCI-BUND-004",
    needs=Needs(any_family=frozenset({"addon", "branch_addon", "aoc_listed"})),
    title="Add-on code without an eligible primary",
    default=("line_rejection", "warning", "info"),
    note="line_rejection; warning: the MAC defines primaries (AOC type 2/3); info: no AOC row",
    element="code",
    carc="107",
    rarc="N122",
    citation=NCCI_AOC + "; CPT add-on code conventions",
)
def addon_without_primary(ctx: EditContext) -> Iterator[Firing]:
    """An add-on stands with a primary its NCCI add-on code edit (AOC) rows list for the
    date, billed on the same date and not removed by an earlier edit (a pre-2026 branch
    add-on: in its own territory). Type 1 lists every primary: none on the claim is a
    rejection. Type 2 names none (contractor-defined) and type 3 only some: with no listed
    primary on the claim the MAC decides (warning). +92979's one primary is +92978 and
    +93572's is +93571. An add-on with no AOC row loaded for the date is said (info).
    Source: CMS NCCI add-on code edits."""
    on_claim = [line for line in ctx.working.lines if line.removed_by is None]
    unchecked: list[WorkLine] = []
    for line in ctx.lines():
        row, ruleset = line.row, line.ruleset
        if row is None or row.deleted or ruleset is None:
            continue
        aoc = ruleset.primaries_of(line.procedure_code, line.service_date)
        if not aoc:
            if row.kind in ("addon", "branch_addon"):
                unchecked.append(line)
            continue
        same_day = [
            other
            for other in on_claim
            if other is not line
            and other.service_date == line.service_date
            and (
                row.kind != "branch_addon" or (line.territory and other.territory == line.territory)
            )
        ]
        billed = {other.procedure_code for other in same_day}
        if any(r.primary in billed for r in aoc):
            continue
        code, where = line.procedure_code, line.service_date.isoformat()
        listed = sorted({r.primary for r in aoc if r.primary != CONTRACTOR_DEFINED})
        named = ", ".join(listed[:12]) + (
            f" (and {len(listed) - 12} more)" if len(listed) > 12 else ""
        )
        scope = f" in {line.territory or 'its territory'}" if row.kind == "branch_addon" else ""
        if any(r.edit_type != 1 for r in aoc):
            types = sorted({r.edit_type for r in aoc if r.edit_type != 1})
            yield Firing(
                "warning",
                (line,),
                f"+{code} on {where}: its primaries are contractor-defined (NCCI AOC type "
                f"{'/'.join(map(str, types))}"
                + (f"; CMS lists {named}, none on the claim" if listed else "")
                + "): the MAC decides whether a billed code is an eligible primary.",
                fix="Check the MAC's list of primaries for the add-on.",
                evidence=tuple(r.provenance for r in aoc),
            )
            continue
        if len(listed) == 1:
            message = f"+{code} needs {listed[0]} on {where} (its one NCCI primary)."
            fix = f"Bill {listed[0]} with it, or remove +{code}."
        else:
            message = f"+{code} has no eligible primary{scope} on {where}: NCCI lists {named}."
            fix = "Bill the add-on with its primary procedure, or remove it."
        yield Firing(
            "line_rejection",
            (line,),
            message,
            fix=fix,
            evidence=tuple(r.provenance for r in aoc),
        )
    if unchecked:
        codes = sorted({line.procedure_code for line in unchecked})
        yield Firing(
            "info",
            tuple(unchecked),
            f"Add-on primaries not checked for {', '.join(codes)}: no NCCI add-on code edit "
            "row loaded for the date.",
            fix="Load the current quarter's CMS AOC workbook (CLAIM_EDIT_REFERENCE_DIR).",
        )


@edit(
    "PCI-BUND-005",
    needs=Needs(families=frozenset({"pci_base"}), code_sets=frozenset({"routine_components"})),
    title="Routine component of the PCI billed separately",
    default=("correction",),
    note="correction removes the line; nothing with 59/X{EPSU} and a documented exception",
    element="line",
    carc="97",
    rarc="M15",
    citation=NCCI_XI + " (imaging, guidance and closure inside the PCI); code_sets.csv",
)
def routine_component(ctx: EditContext) -> Iterator[Firing]:
    """A code in the `routine_components` set (fluoroscopy 76000, closure device G0269,
    injections 93563–93568) billed on the date of a PCI base line: included in the PCI, so
    removed; 59/X{EPSU} with a documented exception (as PCI-BUND-001) leaves it. Moderate
    sedation is not in the set: separately reportable. Source: NCCI Policy Manual ch. XI."""
    procedure = ctx.procedure
    exception = procedure.diagnostic_exception if procedure is not None else None
    for line in ctx.working.lines:  # the components are outside the PCI code set
        ruleset = line.ruleset
        if not line.active or ruleset is None or not ctx.base_lines_on(line.service_date):
            continue
        row = ruleset.in_code_set("routine_components", line.procedure_code, line.service_date)
        if row is None or (line.distinct_modifiers and exception is not None):
            continue
        yield Firing(
            "correction",
            (line,),
            f"{line.procedure_code} on the PCI date is a routine part of the PCI.",
            fix=f"Remove {line.procedure_code} (line {line.line_number}).",
            changes=(ProposedChange(line, "remove_line", "routine component of the PCI"),),
            evidence=(row.provenance,),
        )


CGS_DCB = (
    "CGS Administrators education article 'Percutaneous Coronary Intervention Therapeutic "
    "Drug-Delivery Balloons' (May 2026)"
)


@edit(
    "PCI-BUND-006",
    needs=Needs(code_sets=frozenset({"drug_coated_balloon", "not_with_drug_coated_balloon"})),
    title="Drug-coated balloon (0913T) with a PCI code for the same lesion",
    default=("line_rejection", "warning"),
    note="line_rejection of 0913T; warning when no documented lesion shows which",
    element="code",
    carc="97",
    rarc="M15",
    citation=CGS_DCB + "; code_sets.csv (drug_coated_balloon, not_with_drug_coated_balloon)",
)
def drug_coated_balloon_same_lesion(ctx: EditContext) -> Iterator[Firing]:
    """0913T (the `drug_coated_balloon` set) is not reported with 92920, 92924, 92928, 92933,
    92937, 92941, 92943, 92973 or 92978 (the `not_with_drug_coated_balloon` set) for the same
    lesion: 0913T is rejected when a lesion documenting `drug_coated_balloon` in 0913T's
    vessel is reported by a line of one of those codes on its date. A lesion is reported by
    the line its `line_number` names; without one (or naming no line), by the PCI base line
    the lesion → line rule gives it. With no such documented lesion (no `procedure`, or no
    lesion documenting the drug-coated balloon), the lesions cannot be told apart: a warning
    when one of those codes is billed in 0913T's vessel on its date (or either line names no
    vessel). Source: CGS education article, May 2026; CPT 0913T/0914T."""
    for dcb in ctx.lines():
        ruleset = dcb.ruleset
        own = (
            ruleset.in_code_set("drug_coated_balloon", dcb.procedure_code, dcb.service_date)
            if ruleset is not None
            else None
        )
        if own is None:
            continue
        excluded = _excluded_beside(ctx, dcb)
        if not excluded:
            continue
        lesions = _dcb_lesions(ctx, dcb)
        if lesions:
            found = next(
                (
                    (lesion, other, row)
                    for lesion in lesions
                    for other, row in excluded
                    if _reported_by(ctx, lesion, other)
                ),
                None,
            )
            if found is not None:
                lesion, other, row = found
                yield Firing(
                    "line_rejection",
                    (dcb,),
                    f"{dcb.procedure_code} (line {dcb.line_number}) and {other.procedure_code} "
                    f"(line {other.line_number}) report the same lesion ({lesion.lesion_id}): a "
                    f"drug-coated balloon is not reported with {other.procedure_code} for the "
                    "lesion it treats.",
                    fix=f"Remove {dcb.procedure_code} (line {dcb.line_number}). A drug-coated "
                    "balloon on a separate lesion is documented as its own lesion (naming its "
                    "line), with +0914T when a PCI base code treats its vessel.",
                    evidence=(own.provenance, row.provenance),
                )
            continue
        beside = [
            (other, row)
            for other, row in excluded
            if dcb.territory is None or other.territory in (None, dcb.territory)
        ]
        if beside:
            codes = ", ".join(sorted({other.procedure_code for other, _ in beside}))
            yield Firing(
                "warning",
                (dcb, *(other for other, _ in beside)),
                f"{dcb.procedure_code} is billed with {codes} "
                + (f"in {dcb.territory} " if dcb.territory else "")
                + "on the same date and no documented lesion shows the drug-coated balloon: "
                "they must not report the same lesion.",
                fix=f"Keep the cath report showing separate lesions; for the same lesion, remove "
                f"{dcb.procedure_code}. Send the lesions (treatment `drug_coated_balloon`) to "
                "have this checked.",
                evidence=(own.provenance, *(row.provenance for _, row in beside)),
            )


def _excluded_beside(ctx: EditContext, dcb: WorkLine) -> list[tuple[WorkLine, CodeSetRow]]:
    """The lines on the drug-coated balloon's date whose code 0913T is not reported with for
    the same lesion, with the row that says so."""
    found: list[tuple[WorkLine, CodeSetRow]] = []
    for other in ctx.lines():
        ruleset = other.ruleset
        if other is dcb or ruleset is None or other.service_date != dcb.service_date:
            continue
        row = ruleset.in_code_set(
            "not_with_drug_coated_balloon", other.procedure_code, other.service_date
        )
        if row is not None:
            found.append((other, row))
    return found


def _dcb_lesions(ctx: EditContext, dcb: WorkLine) -> list[Lesion]:
    """Documented lesions treated with a drug-coated balloon in the 0913T line's vessel: the
    lesion names the line, or its segments (or the line it names) lie in the line's
    territory, or the line names no territory."""
    procedure = ctx.procedure
    if procedure is None:
        return []
    found = []
    for lesion in procedure.lesions:
        if "drug_coated_balloon" not in lesion.treatments:
            continue
        if dcb.territory is None or lesion.line_number == dcb.line_number:
            found.append(lesion)
            continue
        vessels = set(ctx.lesion_territories(lesion, dcb))
        vessels |= {
            line.territory
            for line in ctx.lines()
            if line.line_number == lesion.line_number and line.territory is not None
        }
        if dcb.territory in vessels:
            found.append(lesion)
    return found


def _reported_by(ctx: EditContext, lesion: Lesion, line: WorkLine) -> bool:
    """Whether the line reports the lesion: the line its `line_number` names (while no edit
    has removed it), else the PCI base line the lesion → line rule gives it
    (docs/edit-catalog.md)."""
    if lesion.line_number is not None and any(
        other.active and other.line_number == lesion.line_number for other in ctx.working.lines
    ):
        return line.line_number == lesion.line_number
    return line.is_pci_base and ctx.working.owner_of(lesion) is line
