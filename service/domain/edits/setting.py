"""Setting: Medicare hospital outpatient claims report drug-eluting stents with C-codes."""

from collections.abc import Iterator

from service.domain.context import EditContext
from service.domain.registry import Firing, ProposedChange, edit


@edit(
    "PCI-SET-001",
    title="Medicare OPPS drug-eluting stent needs the C-code",
    default="line_rejection",
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
