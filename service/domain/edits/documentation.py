"""Documentation edits: the billed base code must be what the cath report supports.

Source for the family: the 2026 coder's guide to CPT 92924, "Tips for documentation and
compliance". They run only when the claim carries `procedure` (PCI-DOC-004 says when not).
"""

from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.derivation import atherectomy_codes, derive
from service.domain.needs import Needs
from service.domain.registry import Firing, ProposedChange, edit

DOC_TIPS = "2026 coder's guide to CPT 92924, 'Tips for documentation and compliance'"


@edit(
    "PCI-DOC-001",
    needs=Needs(families=frozenset({"pci_base"}), documentation=True),
    title="Billed base code differs from the documented treatments",
    default=("line_rejection",),
    element="code",
    carc="16",
    rarc="N657",
    citation=DOC_TIPS + "; docs/reference-data.md, Derivation",
)
def base_code_matches_documentation(ctx: EditContext) -> Iterator[Firing]:
    """The base code derived from the treatments of the line's lesions (derivation.csv) must
    be the billed one; a C-code and its CPT analogue count as equal (PCI-SET-001 decides
    between them). Source: 92924 guide, documentation tips; CPT PCI descriptors."""
    if ctx.procedure is None:
        return
    for line in ctx.base_lines():
        ruleset = line.ruleset
        if ruleset is None or line.row is None:
            continue
        lesions = ctx.lesions_of(line)
        derived = derive(lesions, ruleset, line.service_date)
        if derived is None:
            continue
        billed = line.row.cpt_analogue or line.procedure_code
        if billed in derived.expected_codes:
            continue
        expected = derived.expected_codes[0]
        if ctx.wants_des_code(lesions):
            expected = ruleset.des_code_for.get(expected, expected)
        yield Firing(
            "line_rejection",
            (line,),
            f"The documentation ({derived.condition.replace('_', ' ')}) supports "
            f"{' or '.join(derived.expected_codes)}, not {line.procedure_code}.",
            fix=f"Bill {expected}.",
            changes=(
                ProposedChange(
                    line,
                    "replace_code",
                    f"documented treatments support {expected}",
                    procedure_code=expected,
                ),
            ),
            evidence=(derived.provenance,),
        )


@edit(
    "PCI-DOC-002",
    needs=Needs(families=frozenset({"pci_base"}), documentation=True),
    title="Atherectomy without documented medical necessity",
    default=("warning",),
    element="code",
    carc="50",
    citation=DOC_TIPS + " (why atherectomy was needed)",
)
def atherectomy_necessity(ctx: EditContext) -> Iterator[Firing]:
    """92924 or 92933 (atherectomy) billed and no lesion of the line documents moderate or
    severe calcification, resistance to balloon, complex anatomy, or an inadequate balloon
    result: an audit risk for medical necessity. Source: 92924 guide, documentation tips."""
    if ctx.procedure is None:
        return
    for line in ctx.base_lines():
        if line.ruleset is None or line.row is None:
            continue
        billed = line.row.cpt_analogue or line.procedure_code
        if billed not in atherectomy_codes(line.ruleset):
            continue
        justified = any(
            lesion.calcification in ("moderate", "severe")
            or lesion.resistant_to_balloon
            or lesion.complex_anatomy
            or lesion.balloon_inadequate
            for lesion in ctx.lesions_of(line)
        )
        if not justified:
            yield Firing(
                "warning",
                (line,),
                f"{line.procedure_code}: no lesion documents why atherectomy was needed.",
                fix="Document calcification (moderate/severe), balloon resistance, complex "
                "anatomy or an inadequate balloon result.",
            )


@edit(
    "PCI-DOC-003",
    needs=Needs(families=frozenset({"pci_base"}), documentation=True),
    title="PCI base line without a documented segment",
    default=("warning",),
    element="line",
    citation=DOC_TIPS + " (document where, by segment); NCDR CathPCI segment model",
)
def documented_segment(ctx: EditContext) -> Iterator[Firing]:
    """A PCI base line whose lesions name no coronary segment. Source: 92924 guide,
    documentation tips; NCDR CathPCI LesionSegmentNumber."""
    if ctx.procedure is None:
        return
    for line in ctx.base_lines():
        if not any(lesion.segments for lesion in ctx.lesions_of(line)):
            yield Firing(
                "warning",
                (line,),
                f"{line.procedure_code} (line {line.line_number}) has no documented lesion "
                "with a segment.",
                fix="Document each treated lesion's segment by the NCDR segment model.",
            )


@edit(
    "PCI-DOC-004",
    needs=Needs(families=frozenset({"non_diagnostic"}), documentation=False),
    title="Documentation edits skipped (no procedure documentation)",
    default=("info",),
    element="claim",
    citation="docs/contract.md, procedure (optional documentation): never a silent pass",
)
def documentation_absent(ctx: EditContext) -> Iterator[Firing]:
    """The claim has PCI lines and no `procedure`: PCI-DOC-001..003 and 005 did not run, and
    the result says so. Source: docs/contract.md; docs/edit-catalog.md PCI-DOC-004."""
    if ctx.procedure is not None:
        return
    pci_lines = tuple(
        line for line in ctx.lines() if line.row is not None and line.row.kind != "diagnostic"
    )
    if pci_lines:
        yield Firing(
            "info",
            pci_lines,
            "No procedure documentation: documentation edits (PCI-DOC-001/002/003/005) skipped.",
            fix="Send the structured cath-lab documentation to have these lines checked.",
        )


@edit(
    "PCI-DOC-005",
    needs=Needs(codes=frozenset({"92973"}), documentation=True),
    title="Mechanical thrombectomy add-on without documented mechanical thrombectomy",
    default=("line_rejection",),
    element="code",
    carc="97",
    citation=DOC_TIPS + "; CPT +92973 (mechanical, not aspiration, thrombectomy)",
)
def mechanical_thrombectomy_documented(ctx: EditContext) -> Iterator[Firing]:
    """+92973 needs a lesion in its territory (by segments or by the base line it belongs to)
    with `thrombectomy_mechanical`; aspiration thrombectomy is not 92973. Without a coronary
    modifier on the add-on, any lesion of the claim counts. Source: 92924 guide; CPT +92973."""
    procedure = ctx.procedure
    if procedure is None:
        return
    for line in ctx.lines():
        if line.procedure_code != "92973":
            continue
        territory = line.territory
        candidates = [
            lesion
            for lesion in procedure.lesions
            if territory is None
            or territory in ctx.lesion_territories(lesion, line)
            or ctx.owner_territory(lesion) == territory
        ]
        if not any("thrombectomy_mechanical" in lesion.treatments for lesion in candidates):
            yield Firing(
                "line_rejection",
                (line,),
                "+92973 billed and no lesion"
                + (f" in {territory}" if territory else "")
                + " documents mechanical thrombectomy (aspiration is not 92973).",
                fix="Remove +92973, or document the mechanical thrombectomy device used.",
            )


@edit(
    "PCI-DOC-006",
    needs=Needs(families=frozenset({"pci_base"}), documentation=True),
    title="Calcification documented without the diagnosis that reports it",
    default=("warning",),
    element="diagnoses",
    citation=DOC_TIPS + " (the diagnosis coding matches the clinical narrative); diagnoses.csv",
    reads=("PCI-DOC-002",),
)
def calcification_without_its_diagnosis(ctx: EditContext) -> Iterator[Firing]:
    """92924 or 92933 billed, PCI-DOC-002 silent for the line, a lesion of the line
    documents moderate or severe calcification, and no diagnosis on the claim reports it
    (I25.84, diagnoses.csv). Source: 92924 guide, documentation tips."""
    if ctx.procedure is None:
        return
    submitted = {code.replace(".", "") for code in ctx.claim.diagnoses}
    questioned = ctx.flagged_lines("PCI-DOC-002")
    for line in ctx.base_lines():
        ruleset = line.ruleset
        if ruleset is None or line.row is None or line.index in questioned:
            continue
        if (line.row.cpt_analogue or line.procedure_code) not in atherectomy_codes(ruleset):
            continue
        calcified = ("moderate", "severe")
        if not any(lesion.calcification in calcified for lesion in ctx.lesions_of(line)):
            continue
        reporting = ruleset.diagnoses_for("calcification", line.service_date)
        if not reporting or any(r.diagnosis.replace(".", "") in submitted for r in reporting):
            continue
        codes = " or ".join(r.diagnosis for r in reporting)
        yield Firing(
            "warning",
            (line,),
            f"{line.procedure_code}: the documentation records calcification, but no diagnosis "
            f"on the claim reports it ({codes}).",
            fix=f"Add {codes} to the diagnoses if the record supports it.",
            evidence=tuple(r.provenance for r in reporting),
        )
