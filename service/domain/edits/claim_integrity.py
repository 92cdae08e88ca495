"""Claim integrity: problems the billing user must fix before any PCI rule means anything."""

from collections import Counter
from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.needs import Needs
from service.domain.npi import npi_check_digit_ok
from service.domain.registry import Firing, edit
from service.domain.working_claim import WorkLine


@edit(
    "PCI-CLM-001",
    title="Service date has no loaded ruleset",
    default=("claim_rejection",),
    element="service_date",
    citation="docs/edit-catalog.md, Rulesets by service date (reference/rulesets.toml)",
    halts=True,
    waivable=False,
    on_void=True,
)
def service_date_without_ruleset(ctx: EditContext) -> Iterator[Firing]:
    """A line dated outside every loaded ruleset cannot be edited; after this edit fires no
    other edit runs. Source: docs/edit-catalog.md, "Rulesets by service date"."""
    orphans = tuple(line for line in ctx.working.lines if line.ruleset is None)
    if orphans:
        dates = sorted({line.service_date.isoformat() for line in orphans})
        yield Firing(
            "claim_rejection",
            orphans,
            f"No ruleset is loaded for service date(s) {', '.join(dates)}.",
            fix="Check the service dates; dates before 2025-01-01 are outside this editor.",
        )


# X12 RARCs for an invalid NPI, by whose NPI it is (CMS MACs pair them with CARC 16, e.g.
# Noridian JF Part B, "Missing/Incorrect Required NPI Information").
BILLING_NPI_RARC = "N257"
"""Missing/incomplete/invalid billing provider/supplier primary identifier (837 2010AA)."""
RENDERING_NPI_RARC = "N290"
"""Missing/incomplete/invalid rendering provider primary identifier (837 2310B)."""


@edit(
    "PCI-CLM-002",
    title="Claim integrity (line numbers, pointers, NPI, dates, ruleset split)",
    default=("claim_rejection",),
    element="claim",
    carc="16",
    citation=(
        "ASC X12 837 005010 implementation guides (LX, SV107, NM109, DTP*472); "
        "NPI check digit per 45 CFR 162.406 (Luhn, prefix 80840); X12 RARC N257 (billing) and "
        "N290 (rendering provider primary identifier) for a bad NPI; "
        "docs/edit-catalog.md PCI-CLM-002"
    ),
    on_void=True,
)
def claim_integrity(ctx: EditContext) -> Iterator[Firing]:
    """Structural problems a billing user can fix: duplicate line numbers, a diagnosis
    pointer outside the diagnosis list, an NPI with a bad check digit, a service date after
    the event's `occurred_at`, lines under two rulesets. A bad NPI carries the RARC of its
    role: N257 billing, N290 rendering. Source: docs/edit-catalog.md PCI-CLM-002; X12 RARC
    list."""
    lines = ctx.working.lines
    numbers_seen = [line.line_number for line in lines]
    duplicated: tuple[WorkLine, ...] = ()
    if len(set(numbers_seen)) < len(numbers_seen):
        counts = Counter(numbers_seen)
        duplicated = tuple(line for line in lines if counts[line.line_number] > 1)
    if duplicated:
        numbers = sorted({line.line_number for line in duplicated})
        yield Firing(
            "claim_rejection",
            duplicated,
            f"Line number(s) {', '.join(map(str, numbers))} appear more than once.",
            fix="Number the service lines uniquely (LX01).",
            element="line",
        )
    diagnosis_count = len(ctx.claim.diagnoses)
    bad_pointers = tuple(
        line
        for line in lines
        if min(line.submitted.diagnosis_pointers) < 1
        or max(line.submitted.diagnosis_pointers) > diagnosis_count
    )
    if bad_pointers:
        yield Firing(
            "claim_rejection",
            bad_pointers,
            f"A diagnosis pointer is outside the {diagnosis_count} diagnosis code(s) submitted.",
            fix="Point each line at 1-based positions in the claim's diagnosis list.",
            element="diagnosis_pointer",
        )
    for role, npi, element, rarc in (
        ("billing", ctx.claim.billing_provider.npi, "billing_npi", BILLING_NPI_RARC),
        ("rendering", ctx.claim.rendering_provider.npi, "rendering_npi", RENDERING_NPI_RARC),
    ):
        if not npi_check_digit_ok(npi):
            yield Firing(
                "claim_rejection",
                (),
                f"The {role} provider NPI fails its check digit.",
                fix=f"Correct the {role} provider NPI.",
                element=element,
                rarc=rarc,
            )
    submitted_on = ctx.occurred_at.date()
    future = tuple(line for line in lines if line.service_date > submitted_on)
    if future:
        yield Firing(
            "claim_rejection",
            future,
            f"Service date is after the submission date {submitted_on.isoformat()}.",
            fix="Bill services only after they are performed.",
            element="service_date",
        )
    versions = {line.ruleset.version for line in lines if line.ruleset is not None}
    if len(versions) > 1:
        yield Firing(
            "claim_rejection",
            tuple(lines),
            f"Lines fall under different rulesets ({', '.join(sorted(versions))}).",
            fix="Split the claim by calendar year of service.",
            element="service_date",
        )


@edit(
    "PCI-CLM-004",
    needs=Needs(frequencies=frozenset({"replacement", "void"})),
    title="Replacement or void without the payer's claim control number",
    default=("claim_rejection",),
    element="claim_reference",
    carc="16",
    rarc="MA130",
    citation=(
        "ASC X12 837 005010 2300 REF*F8 (payer claim control number), required when CLM05-3 "
        "is 7 (replacement) or 8 (void); docs/edit-catalog.md PCI-CLM-004"
    ),
    on_void=True,
)
def replacement_without_its_original(ctx: EditContext) -> Iterator[Firing]:
    """A `replacement` or `void` claim without `payer_claim_control_number`: the payer
    cannot find the claim it replaces or voids. Source: X12 837 implementation guides
    (REF*F8 in loop 2300)."""
    claim = ctx.claim
    if claim.frequency in ("replacement", "void") and claim.payer_claim_control_number is None:
        acts = "replaces" if claim.frequency == "replacement" else "voids"
        yield Firing(
            "claim_rejection",
            (),
            f"A {claim.frequency} claim must name the claim it {acts}: no payer claim control "
            "number was sent.",
            fix="Send the payer's claim control number of the original claim (837 REF*F8).",
        )


@edit(
    "PCI-CLM-003",
    needs=Needs(frequencies=frozenset({"void"})),
    title="Void acknowledged",
    default=("info",),
    element="claim",
    citation="ASC X12 837 005010 CLM05-3 = 8 (void); docs/edit-catalog.md PCI-CLM-003",
    on_void=True,
)
def void_acknowledged(ctx: EditContext) -> Iterator[Firing]:
    """A `void` claim cancels one already sent: only the claim-integrity edits run on it,
    and its outcome is enriched but not priced. Source: X12 837 claim frequency codes."""
    if ctx.claim.frequency == "void":
        yield Firing(
            "info",
            (),
            "Void acknowledged: only claim integrity was checked; nothing is priced.",
        )
