"""Modifiers: distinct-service modifiers only with something to bypass, and the right one."""

from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.edits.bundling import pair_kind
from service.domain.needs import Needs
from service.domain.reference import Provenance, PtpRow
from service.domain.registry import Firing, ProposedChange, edit
from service.domain.vocabulary import (
    COMPONENT_MODIFIERS,
    CORONARY_MODIFIERS,
    DISTINCT_MODIFIERS,
    FACILITY_PLACES_OF_SERVICE,
)
from service.domain.working_claim import WorkLine

GUIDE_MODIFIERS = "2026 coder's guide to CPT 92924, 'Modifiers and add-on codes'"
TERRITORIES = ", ".join(sorted(CORONARY_MODIFIERS))


@edit(
    "PCI-MOD-001",
    needs=Needs(modifiers=(DISTINCT_MODIFIERS,)),
    title="Distinct modifier with nothing to bypass",
    default=("warning",),
    element="modifier",
    citation=GUIDE_MODIFIERS + "; NCCI Policy Manual ch. I (modifier 59/X{EPSU})",
)
def distinct_modifier_without_purpose(ctx: EditContext) -> Iterator[Firing]:
    """A line carries 59/XE/XS/XP/XU and, ignoring those modifiers, none of PCI-TERR-006,
    PCI-BUND-001 or PCI-BUND-002 would apply to it: an audit risk.
    Source: 92924 guide, modifiers; NCCI Policy Manual ch. I."""
    for line in ctx.lines():
        if line.distinct_modifiers and not _has_something_to_bypass(ctx, line):
            yield Firing(
                "warning",
                (line,),
                f"{line.procedure_code} carries {'/'.join(line.distinct_modifiers)} with no "
                "edit to bypass.",
                fix="Remove the distinct modifier unless the record proves a separate service.",
            )


def _has_something_to_bypass(ctx: EditContext, line: WorkLine) -> bool:
    if line.is_pci_base and line.territory is not None:
        for group in ctx.territory_groups():
            if line in group and len(group) >= 2:
                return True
    if line.is_diagnostic and ctx.base_lines_on(line.service_date):
        return True
    return any(
        other is not line
        and (ctx.active_ptp(line, other) is not None or ctx.active_ptp(other, line) is not None)
        for other in ctx.lines()
    )


@edit(
    "PCI-MOD-002",
    needs=Needs(families=frozenset({"diagnostic", "pci_base"}), modifiers=(frozenset({"59"}),)),
    title="Modifier 59 where an X modifier describes the case",
    default=("warning",),
    element="modifier",
    citation=GUIDE_MODIFIERS + "; CMS guidance on the X{EPSU} subset of modifier 59",
)
def prefer_x_modifier(ctx: EditContext) -> Iterator[Firing]:
    """Modifier 59 on same-session diagnostic angiography, which XU (unusual non-overlapping
    service) describes. Source: 92924 guide, modifiers; CMS X{EPSU} guidance."""
    for line in ctx.lines():
        if "59" in line.modifiers and line.is_diagnostic and ctx.base_lines_on(line.service_date):
            yield Firing(
                "warning",
                (line,),
                f"{line.procedure_code}-59: same-session diagnostic angiography is described "
                "by XU.",
                fix="Use XU instead of 59.",
            )


@edit(
    "PCI-MOD-003",
    needs=Needs(families=frozenset({"non_coronary"}), modifiers=(CORONARY_MODIFIERS,)),
    title="Coronary modifier on a non-coronary code",
    default=("line_rejection",),
    element="modifier",
    carc="4",
    rarc="N823",
    citation="CPT coronary modifiers LC, LD, LM, RC, RI (coronary procedures only); "
    "docs/edit-catalog.md",
)
def coronary_modifier_off_coronary(ctx: EditContext) -> Iterator[Firing]:
    """A coronary modifier on a code outside the coronary procedures (an E/M code, say).
    Runs on lines outside rule scope too. Source: CPT modifier definitions; docs/edit-catalog.md."""
    for line in ctx.working.lines:
        if (
            line.active
            and line.coronary_modifiers
            and not ctx.reference.is_coronary(line.procedure_code)
        ):
            yield Firing(
                "line_rejection",
                (line,),
                f"{line.procedure_code} is not a coronary procedure but carries "
                f"{'/'.join(line.coronary_modifiers)}.",
                fix="Remove the coronary modifier.",
                changes=(),
            )


@edit(
    "PCI-MOD-005",
    needs=Needs(
        families=frozenset({"pci_base"}), modifiers=(CORONARY_MODIFIERS, DISTINCT_MODIFIERS)
    ),
    title="Distinct modifier on a PCI pair the coronary modifiers already bypass",
    default=("warning",),
    element="modifier",
    citation="NCCI Policy Manual ch. I and XI (coronary modifiers are NCCI-associated modifiers "
    "for PCI pairs); " + GUIDE_MODIFIERS,
)
def distinct_modifier_where_coronary_modifiers_bypass(ctx: EditContext) -> Iterator[Firing]:
    """59 or X{EPSU} on a PCI base line whose PTP pair (indicator 1) is already bypassed by
    different coronary modifiers on the two lines: the coronary modifiers are the
    NCCI-associated modifiers here, so the distinct modifier should go.
    Source: NCCI Policy Manual ch. I and XI."""
    for line in ctx.base_lines():
        if not line.distinct_modifiers or line.territory is None:
            continue
        bypassed = [
            other
            for other in ctx.lines()
            if other is not line
            and other.territory is not None
            and other.territory != line.territory
            and _pair_indicator(ctx, line, other) == "1"
        ]
        if bypassed:
            row = _pair(ctx, line, bypassed[0])
            kind = pair_kind(row) if row is not None else "pair"
            yield Firing(
                "warning",
                (line,),
                f"{line.procedure_code}-{line.territory} and "
                f"{bypassed[0].procedure_code}-{bypassed[0].territory} are different coronary "
                f"arteries, which already bypass their {kind}; "
                f"{'/'.join(line.distinct_modifiers)} is not needed.",
                fix=f"Remove {'/'.join(line.distinct_modifiers)}.",
            )


def _pair(ctx: EditContext, line: WorkLine, other: WorkLine) -> PtpRow | None:
    return ctx.active_ptp(line, other) or ctx.active_ptp(other, line)


@edit(
    "PCI-MOD-006",
    needs=Needs(settings=frozenset({"professional"}), places_of_service=FACILITY_PLACES_OF_SERVICE),
    title="Professional claim at a facility without the professional component modifier",
    default=("correction", "warning"),
    note="correction appends 26; warning when the line has no room for it",
    element="modifier",
    carc="4",
    rarc="N822",
    citation="CMS PFS relative value file, PCTC IND 1 (a professional 26 and a technical TC "
    "row); docs/reference-data.md, 'Professional and technical components'; rvu.csv pctc",
)
def professional_component_at_a_facility(ctx: EditContext) -> Iterator[Firing]:
    """A professional claim at a facility place of service (19, 21-24, 26, 31, 34, 41, 42,
    51-53, 56, 61) billing a code whose PC/TC indicator is 1 (93454-93461, +92978, +93571...)
    with neither 26 nor TC: the physician billed the global service, whose technical part
    the facility provides; 26 is appended and the line is priced from its 26 row.
    Source: CMS PFS relative value file (PCTC IND); edits.md, third release."""
    claim = ctx.claim
    if claim.setting != "professional" or claim.place_of_service not in FACILITY_PLACES_OF_SERVICE:
        return
    for line in ctx.lines():
        ruleset = line.ruleset
        if ruleset is None or COMPONENT_MODIFIERS.intersection(line.modifiers):
            continue
        row = ruleset.rvu(line.procedure_code, line.service_date)
        if row is None or row.pctc_indicator != "1":
            continue
        message = (
            f"{line.procedure_code} splits into a professional and a technical component "
            f"(PC/TC indicator 1); at place of service {claim.place_of_service} the facility "
            "provides the technical part."
        )
        if len(line.modifiers) >= 4:
            yield Firing(
                "warning",
                (line,),
                message + " The line has no room for 26.",
                fix="Replace a modifier with 26.",
                evidence=(row.provenance,),
            )
            continue
        yield Firing(
            "correction",
            (line,),
            message,
            fix="Append 26.",
            changes=(
                ProposedChange(
                    line,
                    "add_modifier",
                    f"professional component at facility place of service {claim.place_of_service}",
                    modifiers=(*line.modifiers, "26"),
                ),
            ),
            evidence=(row.provenance,),
        )


@edit(
    "PCI-MOD-007",
    needs=Needs(modifiers=(COMPONENT_MODIFIERS,)),
    title="Component modifier (26, TC) that does not fit the code or the setting",
    default=("line_rejection",),
    element="modifier",
    carc="4",
    rarc="N519",
    citation="CMS PFS relative value file: PCTC IND (1: the code has a professional 26 row "
    "and a technical TC row; other indicators: no such split) and its 26/TC rows; "
    "docs/reference-data.md, 'Professional and technical components'",
)
def component_modifier_misfit(ctx: EditContext) -> Iterator[Firing]:
    """26 and TC on one line (the two halves of one service: bill the global code or one
    half); 26 or TC on a code that has no such component row for the date (its PC/TC
    indicator is not 1); TC on a physician's claim at a facility place of service (the
    facility provides, and bills, the technical part); 26 on a hospital claim (the
    professional part is the physician's). Source: CMS PFS relative value file (PCTC IND,
    26/TC rows)."""
    claim = ctx.claim
    for line in ctx.lines():
        ruleset = line.ruleset
        components = sorted(COMPONENT_MODIFIERS.intersection(line.modifiers))
        if ruleset is None or not components:
            continue
        code = line.procedure_code
        row = ruleset.rvu(code, line.service_date)
        evidence = (row.provenance,) if row is not None else ()
        if len(components) == 2:
            yield Firing(
                "line_rejection",
                (line,),
                f"{code} carries both 26 and TC: the professional and the technical halves "
                "of one service on one line.",
                fix="Bill the global code (no 26 or TC), or the half this provider performed.",
                evidence=evidence,
            )
            continue
        (modifier,) = components
        has_component = ruleset.rvu(code, line.service_date, modifier) is not None
        if row is not None and row.pctc_indicator not in ("", "1") and not has_component:
            yield Firing(
                "line_rejection",
                (line,),
                f"{code}-{modifier}: {code} has no {modifier} component (PC/TC indicator "
                f"{row.pctc_indicator}).",
                fix=f"Remove {modifier}.",
                evidence=evidence,
            )
        elif (
            modifier == "TC"
            and claim.setting == "professional"
            and (claim.place_of_service in FACILITY_PLACES_OF_SERVICE)
        ):
            yield Firing(
                "line_rejection",
                (line,),
                f"{code}-TC on a physician's claim at place of service "
                f"{claim.place_of_service}: there the facility provides the technical component.",
                fix="Bill 26 (the professional component), or leave the technical part to the "
                "facility's claim.",
                evidence=evidence,
            )
        elif modifier == "26" and claim.setting == "hospital_outpatient":
            yield Firing(
                "line_rejection",
                (line,),
                f"{code}-26 on a hospital outpatient claim: the professional component is "
                "billed by the physician, not the facility.",
                fix="Remove 26 from the hospital's line.",
                evidence=evidence,
            )


def _pair_indicator(ctx: EditContext, line: WorkLine, other: WorkLine) -> str | None:
    row = _pair(ctx, line, other)
    return row.modifier_indicator if row is not None else None


@edit(
    "PCI-MOD-004",
    needs=Needs(code_sets=frozenset({"vessel_modifier_addons"})),
    title="Imaging or physiology add-on without its own vessel's coronary modifier",
    default=("correction", "line_rejection"),
    note="correction when one vessel is known, else line_rejection; line_rejection when an "
    "additional-vessel add-on names the first vessel again",
    element="modifier",
    carc="4",
    rarc="N822",
    citation=GUIDE_MODIFIERS + "; MAC billing articles (IVUS/OCT and FFR add-ons); CPT "
    "descriptors of +92979/+93572 ('each additional vessel'); code_sets.csv, codes.csv",
)
def addon_without_its_vessel(ctx: EditContext) -> Iterator[Firing]:
    """An add-on in the `vessel_modifier_addons` set (+92978, +92979, +93571, +93572) with
    no coronary modifier: added when the claim's single PCI territory on the date, or its
    documentation, gives one vessel; otherwise the line is rejected. An add-on for "each
    additional vessel" (+92979, +93572: the code its codes.csv row `requires` is the first
    vessel's) names a vessel other than the first vessel's (+92978, +93571) and other than
    an earlier line of its own code on the claim: the same vessel twice is rejected, and a
    missing modifier is only added from the vessels left.
    Source: MAC billing articles; CPT descriptors; 92924 guide, modifiers and add-on codes."""
    for line in ctx.lines():
        ruleset = line.ruleset
        if ruleset is None:
            continue
        row = ruleset.in_code_set("vessel_modifier_addons", line.procedure_code, line.service_date)
        if row is None:
            continue
        first = line.row.requires if line.row is not None else ""
        taken = _vessels_taken(ctx, line, first)
        evidence = (row.provenance,)
        if line.coronary_modifiers:
            if line.territory is not None and line.territory in taken and line.row is not None:
                other = taken[line.territory]
                yield _same_vessel_again(line, first, other, (*evidence, line.row.provenance))
            continue
        vessel = _one_vessel(ctx, line, frozenset(taken))
        message = f"+{line.procedure_code} does not name the vessel examined ({TERRITORIES})."
        if vessel is None or len(line.modifiers) >= 4:
            yield Firing(
                "line_rejection",
                (line,),
                message,
                fix="Append the coronary modifier of the vessel examined"
                + (f", a vessel other than +{first}'s." if first else "."),
                evidence=evidence,
            )
            continue
        territory, why = vessel
        yield Firing(
            "correction",
            (line,),
            f"{message} {why[0].upper()}{why[1:]}.",
            fix=f"Append {territory}.",
            changes=(
                ProposedChange(
                    line,
                    "add_modifier",
                    f"the vessel examined: {why}",
                    modifiers=(*line.modifiers, territory),
                ),
            ),
            evidence=evidence,
        )


def _vessels_taken(ctx: EditContext, line: WorkLine, first: str) -> dict[str, WorkLine]:
    """For an additional-vessel add-on: the vessels the claim's first-vessel add-on lines and
    the earlier lines of its own code already name (vessel → the line naming it)."""
    taken: dict[str, WorkLine] = {}
    if not first:
        return taken
    for other in ctx.lines():
        if other.territory is None:
            continue
        if other.procedure_code == first or (
            other.procedure_code == line.procedure_code and other.index < line.index
        ):
            taken.setdefault(other.territory, other)
    return taken


def _same_vessel_again(
    line: WorkLine, first: str, other: WorkLine, evidence: tuple[Provenance, ...]
) -> Firing:
    return Firing(
        "line_rejection",
        (line,),
        f"+{line.procedure_code}-{line.territory} is for each additional vessel, but "
        f"+{other.procedure_code} (line {other.line_number}) already names {line.territory}.",
        fix=f"Name the additional vessel examined (a coronary modifier other than "
        f"{line.territory}), or remove +{line.procedure_code} if +{first} covers the only "
        "vessel.",
        evidence=evidence,
    )


def _one_vessel(ctx: EditContext, line: WorkLine, taken: frozenset[str]) -> tuple[str, str] | None:
    """The one vessel the line can name, and why: the one territory of the date's PCI base
    lines, else of the documented lesions, leaving out the vessels already `taken`."""
    treated = {b.territory for b in ctx.base_lines_on(line.service_date) if b.territory}
    left = treated - taken
    if len(left) == 1:
        territory = next(iter(left))
        if taken:
            return territory, f"the PCI vessel other than {'/'.join(sorted(taken))} is {territory}"
        return territory, f"the claim's PCI is in {territory}"
    procedure, ruleset = ctx.procedure, line.ruleset
    if treated or procedure is None or ruleset is None:
        return None
    documented: set[str] = set()
    for lesion in procedure.lesions:
        documented |= ruleset.territories_of_segments(lesion.segments, line.service_date)
    documented -= taken
    if len(documented) != 1:
        return None
    territory = next(iter(documented))
    return territory, f"the documented lesions lie in {territory}"
