"""Territory consolidation: one PCI base code per major coronary territory.

Source for the family: the 2026 coder's guide to CPT 92924, guideline 1, and the CPT PCI
hierarchy as reported by ACC/SCAI/AHIMA (reference/<ruleset>/hierarchy.csv).
"""

from collections.abc import Iterator
from decimal import Decimal

from service.domain.context import EditContext
from service.domain.needs import Needs
from service.domain.reference import Provenance, RankRow, RvuRow
from service.domain.registry import Firing, ProposedChange, edit
from service.domain.vocabulary import CORONARY_MODIFIERS, DISTINCT_MODIFIERS
from service.domain.working_claim import WorkLine

GUIDE_1 = (
    "2026 coder's guide to CPT 92924, guideline 1 (one base code per major coronary territory)"
)
TERRITORY_LIST = ", ".join(sorted(CORONARY_MODIFIERS))


@edit(
    "PCI-TERR-002",
    needs=Needs(families=frozenset({"pci_base"})),
    title="PCI base line without a coronary modifier",
    default=("correction", "line_rejection"),
    note="correction when documentation gives one territory, else line_rejection",
    element="modifier",
    carc="4",
    rarc="N822",
    citation=GUIDE_1 + "; CPT coronary modifiers LC, LD, LM, RC, RI",
)
def missing_territory_modifier(ctx: EditContext) -> Iterator[Firing]:
    """Every PCI base line carries the modifier of its major coronary artery. When the line's
    documented lesions map to exactly one territory the modifier is added; otherwise the line
    is rejected. Source: 92924 guide, guideline 1; NCDR segment → territory (segments.csv)."""
    for line in ctx.base_lines():
        if line.coronary_modifiers:
            continue
        territories: set[str] = set()
        for lesion in ctx.lesions_of(line):
            territories |= ctx.lesion_territories(lesion, line)
        message = f"{line.procedure_code} has no coronary territory modifier ({TERRITORY_LIST})."
        fix = "Append the modifier of the treated major coronary artery."
        if len(territories) == 1 and len(line.modifiers) < 4:
            (territory,) = territories
            yield Firing(
                "correction",
                (line,),
                message + f" The documented segments lie in {territory}.",
                fix=f"Append {territory}.",
                changes=(
                    ProposedChange(
                        line,
                        "add_modifier",
                        f"documented segments lie in territory {territory}",
                        modifiers=(*line.modifiers, territory),
                    ),
                ),
            )
        else:
            why = (
                "the documentation spans " + ", ".join(sorted(territories))
                if territories
                else "no documented lesion of this line names a segment"
            )
            yield Firing("line_rejection", (line,), f"{message} Cannot derive it: {why}.", fix)


@edit(
    "PCI-TERR-003",
    needs=Needs(families=frozenset({"pci_base"}), modifiers=(CORONARY_MODIFIERS,)),
    title="Coronary modifier conflicting or disagreeing with documented segments",
    default=("line_rejection",),
    element="modifier",
    carc="4",
    rarc="N823",
    citation=GUIDE_1 + "; NCDR CathPCI lesion segment numbers (segments.csv)",
)
def conflicting_territory_modifier(ctx: EditContext) -> Iterator[Firing]:
    """A base line names two or more coronary territories, or its one territory disagrees
    with the segments of a lesion documented for it (a lesion spanning two territories
    agrees with either). Source: 92924 guide, guideline 1; docs/reference-data.md segments."""
    for line in ctx.base_lines():
        modifiers = line.coronary_modifiers
        if len(modifiers) > 1:
            yield Firing(
                "line_rejection",
                (line,),
                f"{line.procedure_code} carries {len(modifiers)} coronary modifiers "
                f"({', '.join(modifiers)}); a base line reports one territory.",
                fix="Report each treated territory on its own line with its one modifier.",
            )
            continue
        if not modifiers:
            continue
        for lesion in ctx.lesions_of(line):
            territories = ctx.lesion_territories(lesion, line)
            if territories and modifiers[0] not in territories:
                yield Firing(
                    "line_rejection",
                    (line,),
                    f"{line.procedure_code}-{modifiers[0]} disagrees with documented lesion "
                    f"{lesion.lesion_id} in {', '.join(sorted(territories))}.",
                    fix=f"Use {' or '.join(sorted(territories))}, or correct the documentation.",
                )
                break


@edit(
    "PCI-TERR-005",
    needs=Needs(families=frozenset({"pci_base"})),
    title="PCI base line with units other than 1",
    default=("line_rejection",),
    element="units",
    carc="151",
    rarc="N362",
    citation=GUIDE_1,
)
def base_code_units(ctx: EditContext) -> Iterator[Firing]:
    """A base code is reported once per territory: units are 1, and a second territory is a
    second line with its own modifier. Source: 92924 guide, guideline 1."""
    for line in ctx.base_lines():
        if line.units != 1:
            yield Firing(
                "line_rejection",
                (line,),
                f"{line.procedure_code} billed with {line.units} units; a base code is 1 unit.",
                fix="Report each territory on its own line with its modifier, 1 unit each.",
            )


@edit(
    "PCI-TERR-006",
    needs=Needs(families=frozenset({"shared_territory"}), modifiers=(DISTINCT_MODIFIERS,)),
    title="Distinct-service modifier used to split a territory",
    default=("line_rejection",),
    element="modifier",
    carc="236",
    citation=GUIDE_1 + "; NCCI Policy Manual ch. I (modifiers 59/X{EPSU})",
)
def distinct_modifier_splits_territory(ctx: EditContext) -> Iterator[Firing]:
    """Two or more base lines in one territory group and a line carrying 59/XE/XS/XP/XU:
    distinct modifiers cannot split a territory. PCI-TERR-001 leaves such a group alone.
    Source: 92924 guide, guideline 1; NCCI Policy Manual ch. I."""
    for group in ctx.territory_groups():
        if len(group) < 2:
            continue
        for line in group:
            if line.distinct_modifiers:
                yield Firing(
                    "line_rejection",
                    (line,),
                    f"{line.procedure_code}-{line.territory} carries "
                    f"{'/'.join(line.distinct_modifiers)} beside another base line in "
                    f"{line.territory}; a distinct modifier cannot split a territory.",
                    fix="Remove the distinct modifier and report only the most intensive "
                    "base code for the territory.",
                )


@edit(
    "PCI-TERR-001",
    needs=Needs(families=frozenset({"shared_territory"})),
    title="More than one base code in a territory",
    default=("correction", "line_rejection", "warning"),
    note="correction keeps the top-ranked line; line_rejection: a rank not loaded; warning: a tie",
    element="line",
    carc="97",
    rarc="M15",
    citation=GUIDE_1
    + "; CPT PCI hierarchy (92943 = 92941 = 92933 > 92924 > 92937 = 92928 > 92920)",
    reads=("PCI-TERR-006",),
)
def one_base_code_per_territory(ctx: EditContext) -> Iterator[Firing]:
    """Keep the highest-ranked base line of a territory group and remove the rest. Ties go to
    the higher professional total RVU, then the lowest line number with a warning.
    Source: 92924 guide, guideline 1; hierarchy.csv; rvu.csv."""
    flagged = ctx.flagged_lines("PCI-TERR-006")
    for group in ctx.territory_groups():
        if len(group) < 2 or any(line.index in flagged for line in group):
            continue
        ranked = [(line, _rank_row(line)) for line in group]
        unranked = [line for line, row in ranked if row is None]
        if unranked:
            yield Firing(
                "line_rejection",
                tuple(unranked),
                f"No hierarchy row is loaded for {', '.join(u.procedure_code for u in unranked)}"
                f" on {unranked[0].service_date.isoformat()}: cannot choose the base code.",
                fix="Load the hierarchy for this code or report one base code per territory.",
            )
            continue
        best_rank = min(row.rank for _, row in ranked if row is not None)
        leaders = [line for line, row in ranked if row is not None and row.rank == best_rank]
        evidence: list[Provenance] = [row.provenance for _, row in ranked if row is not None]
        kept, tie_note = _break_tie(leaders, evidence)
        removed = tuple(line for line in group if line is not kept)
        yield Firing(
            "correction",
            removed,
            f"{len(group)} base codes in territory {kept.territory}: {kept.procedure_code} "
            f"(line {kept.line_number}) is the most intensive and is kept.",
            fix=f"Report only {kept.procedure_code}-{kept.territory} for this territory.",
            changes=tuple(
                ProposedChange(
                    line,
                    "remove_line",
                    f"{line.procedure_code} is inside {kept.procedure_code} "
                    f"(one base code per territory)",
                )
                for line in removed
            ),
            evidence=tuple(evidence),
        )
        if tie_note:
            yield Firing("warning", (kept,), tie_note, evidence=tuple(evidence))


def _rank_row(line: WorkLine) -> RankRow | None:
    return line.ruleset.rank(line.procedure_code, line.service_date) if line.ruleset else None


def _rvu_row(line: WorkLine) -> RvuRow | None:
    return line.ruleset.rvu(line.procedure_code, line.service_date) if line.ruleset else None


def _break_tie(leaders: list[WorkLine], evidence: list[Provenance]) -> tuple[WorkLine, str | None]:
    """Equal rank: the higher professional total RVU (whatever the setting), then the lowest
    line number, and a warning says the choice was a tie."""
    if len(leaders) == 1:
        return leaders[0], None
    totals: dict[int, Decimal] = {}
    for line in leaders:
        row = _rvu_row(line)
        if row is not None and row.total_rvu is not None:
            totals[line.index] = row.total_rvu
            evidence.append(row.provenance)
    missing = [line.procedure_code for line in leaders if line.index not in totals]
    if missing:
        why = "equal rank and no total RVU loaded for " + ", ".join(missing)
    else:
        top = max(totals.values())
        leaders = [line for line in leaders if totals[line.index] == top]
        if len(leaders) == 1:
            return leaders[0], None
        why = "equal rank and equal total RVU"
    kept = min(leaders, key=lambda line: line.line_number)
    codes = ", ".join(line.procedure_code for line in leaders)
    return kept, f"Tie between {codes} ({why}): kept the lowest line number, {kept.line_number}."


@edit(
    "PCI-TERR-004",
    needs=Needs(families=frozenset({"branch_addon", "deleted"})),
    title="Deleted branch add-on (2026)",
    default=("correction", "line_rejection"),
    note="correction (remove) when a base line of the territory exists, else line_rejection",
    element="code",
    carc="181",
    rarc="N56",
    citation=(
        "2026 coder's guide to CPT 92924: branch add-on codes deleted, branch work inside the "
        "base code (codes.csv status=deleted, with each row's confidence)"
    ),
    rulesets=("pci-2026.1",),
)
def deleted_branch_addon(ctx: EditContext) -> Iterator[Firing]:
    """From 2026 the branch add-ons (92921, 92925, 92929, and the others the code table ends)
    are deleted: the branch work is inside the territory's base code. Removed when a base line
    of the same territory exists, else rejected. Source: 92924 guide; codes.csv."""
    for line in ctx.lines():
        row = line.row
        if row is None or not row.deleted or row.kind != "branch_addon":
            continue
        territory = line.territory
        base = next(
            (
                b
                for b in ctx.base_lines_on(line.service_date)
                if territory and b.territory == territory
            ),
            None,
        )
        message = f"{line.procedure_code} is deleted from {line.service_date.year}."
        if base is not None:
            yield Firing(
                "correction",
                (line,),
                f"{message} Its branch work is inside {base.procedure_code}-{territory} "
                f"(line {base.line_number}).",
                fix="Remove the branch add-on line.",
                changes=(
                    ProposedChange(
                        line, "remove_line", f"branch work is inside {base.procedure_code}"
                    ),
                ),
                evidence=(row.provenance,),
            )
        else:
            yield Firing(
                "line_rejection",
                (line,),
                f"{message} No base line of territory {territory or '(none named)'} "
                "on this date carries the branch work.",
                fix="Report the branch work inside the base code of its major coronary "
                "territory, with that territory's modifier.",
                evidence=(row.provenance,),
            )
