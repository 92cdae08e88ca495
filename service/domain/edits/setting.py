"""Setting: Medicare hospital outpatient claims report drug-eluting stents with C-codes."""

from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.needs import Needs
from service.domain.registry import Firing, ProposedChange, edit
from service.domain.vocabulary import OPPS_ONLY_PREFIX


@edit(
    "PCI-SET-001",
    needs=Needs(
        families=frozenset({"pci_base"}),
        settings=frozenset({"hospital_outpatient"}),
        payer_kinds=frozenset({"medicare"}),
        documentation=True,
    ),
    title="Medicare OPPS drug-eluting stent needs the C-code",
    default=("line_rejection",),
    element="code",
    carc="16",
    rarc="N657",
    citation="CMS OPPS drug-eluting stent HCPCS C9600–C9608 (secondary); codes.csv cpt_analogue",
)
def medicare_opps_des_code(ctx: EditContext) -> Iterator[Firing]:
    """Payer kind `medicare` (not Medicare Advantage), setting `hospital_outpatient`, a
    drug-eluting stent documented for the line, and the CPT code billed where its C-code
    analogue applies. Source: CMS OPPS C-code instructions (secondary); codes.csv."""
    for line in ctx.base_lines():
        ruleset = line.ruleset
        if ruleset is None:
            continue
        c_code = ruleset.des_code_for.get(line.procedure_code)
        if c_code is None or not ctx.wants_des_code(ctx.lesions_of(line)):
            continue
        yield Firing(
            "line_rejection",
            (line,),
            f"Medicare outpatient drug-eluting stent: {line.procedure_code} is reported as "
            f"{c_code}.",
            fix=f"Bill {c_code}.",
            changes=(
                ProposedChange(
                    line, "replace_code", "Medicare OPPS DES C-code", procedure_code=c_code
                ),
            ),
        )


@edit(
    "PCI-SET-002",
    needs=Needs(
        settings=frozenset({"asc"}), payer_kinds=frozenset({"medicare", "medicare_advantage"})
    ),
    title="Procedure not on the ASC covered procedures list for its date",
    default=("line_rejection",),
    element="code",
    carc="58",
    citation="CMS ASC Addendum AA (covered surgical procedures) for the quarter of service",
)
def not_on_the_asc_list(ctx: EditContext) -> Iterator[Firing]:
    """Setting `asc`, payer kind `medicare` or `medicare_advantage`, and a line whose code
    has no row in the ASC covered procedures list in force on its date (92941 in 2026, 92924
    in 2025). Silent when no list is loaded for the date: missing data is not a finding.
    Source: CMS ASC Addendum AA; asc.csv."""
    if ctx.setting != "asc" or ctx.claim.payer.kind not in ("medicare", "medicare_advantage"):
        return
    for line in ctx.lines():
        ruleset = line.ruleset
        if ruleset is None or not ruleset.asc_list_covers(line.service_date):
            continue
        if ruleset.asc_row(line.procedure_code, line.service_date) is None:
            yield Firing(
                "line_rejection",
                (line,),
                f"{line.procedure_code} is not on the Medicare ASC covered procedures list "
                f"for {line.service_date.isoformat()}.",
                fix="Bill the procedure from the setting it was covered in (hospital outpatient).",
            )


@edit(
    "PCI-SET-003",
    needs=Needs(families=frozenset({"opps_code"}), settings=frozenset({"professional"})),
    title="OPPS C-code on a professional claim",
    default=("correction", "line_rejection"),
    note="correction to its CPT analogue; line_rejection when it has none",
    element="code",
    carc="4",
    citation="CMS OPPS drug-eluting stent HCPCS C9600–C9608 (hospital outpatient only); codes.csv",
)
def c_code_billed_by_the_physician(ctx: EditContext) -> Iterator[Firing]:
    """A C-code (an OPPS HCPCS code, C9600–C9608) on a `professional` claim: physicians
    bill the CPT code, so the line takes its CPT analogue (codes.csv); a C-code with no
    analogue (the branch add-ons) is rejected. Source: CMS OPPS C-code instructions."""
    if ctx.setting != "professional":
        return
    for line in ctx.lines():
        row = line.row
        if row is None or not line.procedure_code.startswith(OPPS_ONLY_PREFIX):
            continue
        message = (
            f"{line.procedure_code} is a hospital outpatient (OPPS) code; physicians bill CPT."
        )
        if not row.cpt_analogue:
            yield Firing("line_rejection", (line,), message, fix="Bill the CPT code performed.")
            continue
        yield Firing(
            "correction",
            (line,),
            message,
            fix=f"Bill {row.cpt_analogue}.",
            changes=(
                ProposedChange(
                    line,
                    "replace_code",
                    "physicians bill the CPT analogue of an OPPS C-code",
                    procedure_code=row.cpt_analogue,
                ),
            ),
        )
