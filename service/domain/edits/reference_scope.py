"""Rule scope: codes the reference data knows, and whether they are valid on the date."""

from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.needs import Needs
from service.domain.registry import Firing, edit


@edit(
    "PCI-REF-002",
    needs=Needs(families=frozenset({"undated"})),
    title="Known code not valid on the service date",
    default=("line_rejection",),
    element="code",
    carc="181",
    rarc="N56",
    citation=(
        "CPT/HCPCS code validity by date (reference/<ruleset>/codes.csv); "
        "docs/edit-catalog.md PCI-REF-002"
    ),
)
def code_not_valid_on_date(ctx: EditContext) -> Iterator[Firing]:
    """A code the reference data knows but that has no row in force on the line's service
    date (92930 or 92945 before 2026, say). Deleted branch add-ons are PCI-TERR-004's.
    Source: docs/edit-catalog.md PCI-REF-002; CMS HCPCS/CPT effective dates."""
    for line in ctx.working.lines:
        if line.active and line.in_scope and line.row is None:
            yield Firing(
                "line_rejection",
                (line,),
                f"{line.procedure_code} is not valid on {line.service_date.isoformat()}"
                f" (ruleset {line.ruleset.version if line.ruleset else '-'}).",
                fix="Bill the code in effect on the date of service.",
            )


@edit(
    "PCI-REF-003",
    needs=Needs(payer_kinds=frozenset({"medicare"})),
    title="Medicare line bundled by the PFS (status B)",
    default=("info",),
    element="code",
    citation="CMS PFS relative value file, status code B (bundled); rvu.csv status",
)
def bundled_by_the_fee_schedule(ctx: EditContext) -> Iterator[Firing]:
    """Payer kind `medicare` and a line whose PFS row on its date has status B (the six
    branch add-ons in 2025): never paid separately, priced 0.00. Source: CMS PFS relative
    value file (status codes); rvu.csv."""
    if ctx.claim.payer.kind != "medicare":
        return
    for line in ctx.lines():
        ruleset = line.ruleset
        rvu = ruleset.rvu(line.procedure_code, line.service_date) if ruleset else None
        if rvu is not None and rvu.status == "B":
            yield Firing(
                "info",
                (line,),
                f"{line.procedure_code} is bundled (PFS status B): Medicare never pays it "
                "separately; priced 0.00.",
                evidence=(rvu.provenance,),
            )


@edit(
    "PCI-REF-001",
    needs=Needs(families=frozenset({"out_of_scope"})),
    title="Code outside rule scope",
    default=("info",),
    element="code",
    citation="docs/edit-catalog.md PCI-REF-001 (rule scope: reference/<ruleset>/codes.csv)",
)
def outside_rule_scope(ctx: EditContext) -> Iterator[Firing]:
    """A code no loaded table knows: the line is kept as submitted, not corrected and not
    priced; PCI-CLM-* and PCI-MOD-003 still apply. Source: docs/edit-catalog.md PCI-REF-001."""
    for line in ctx.working.lines:
        if line.active and not line.known:
            yield Firing(
                "info",
                (line,),
                f"{line.procedure_code} is outside rule scope: kept as submitted, not priced.",
            )
