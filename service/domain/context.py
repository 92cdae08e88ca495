"""What an edit sees: the working claim, its documentation, the reference data and, when a
claim memory is configured, the patient's claims accepted before it."""

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts import Claim, Lesion, Procedure
from service.domain.history import ClaimHistory, RememberedClaim, in_effect
from service.domain.reference import PtpRow, ReferenceData
from service.domain.working_claim import WorkingClaim, WorkLine


@dataclass(slots=True)
class EditContext:
    claim: Claim
    occurred_at: datetime
    working: WorkingClaim
    reference: ReferenceData
    flagged: dict[str, set[int]] = field(default_factory=dict)
    history: ClaimHistory | None = None
    """The patient's claims accepted before this one; None: no claim memory configured."""
    earlier: tuple[RememberedClaim, ...] = field(init=False, default=())
    """Of `history`, the claims that still stand against this one (voids and replacements
    applied, this claim's own original left out): what the history edits compare with."""

    def __post_init__(self) -> None:
        if self.history is not None:
            self.earlier = in_effect(self.history, self.claim)

    @property
    def has_memory(self) -> bool:
        return self.history is not None

    @property
    def procedure(self) -> Procedure | None:
        return self.claim.procedure

    @property
    def setting(self) -> str:
        return self.claim.setting

    def lines(self) -> list[WorkLine]:
        """Active lines in rule scope (known codes under a loaded ruleset)."""
        return self.working.view.active

    def base_lines(self) -> list[WorkLine]:
        return self.working.view.base

    def base_lines_on(self, service_date: date) -> list[WorkLine]:
        return self.working.view.base_by_date.get(service_date, [])

    def lesions_of(self, line: WorkLine) -> tuple[Lesion, ...]:
        return self.working.lesions_of(line)

    def flagged_lines(self, edit_id: str) -> frozenset[int]:
        """Indexes of the lines an earlier edit reported (after policy). The reading edit
        names it in its registration (`reads=`), so the catalog checks the order."""
        return frozenset(self.flagged.get(edit_id, ()))

    def owner_territory(self, lesion: Lesion) -> str | None:
        owner = self.working.owner_of(lesion)
        return owner.territory if owner is not None else None

    def wants_des_code(self, lesions: tuple[Lesion, ...]) -> bool:
        """Medicare (not Advantage) hospital outpatient with a drug-eluting stent documented."""
        return (
            self.claim.payer.kind == "medicare"
            and self.claim.setting == "hospital_outpatient"
            and any("drug_eluting_stent" in lesion.treatments for lesion in lesions)
        )

    def lesion_territories(self, lesion: Lesion, line: WorkLine) -> frozenset[str]:
        return self.working.lesion_territories(lesion, line)

    def territory_groups(self) -> list[list[WorkLine]]:
        """PCI base lines with the same date, rendering NPI, territory and kind
        (docs/edit-catalog.md). The claim has one rendering provider, so the NPI is the same
        on every line."""
        return self.working.view.groups

    def active_ptp(self, column_1: WorkLine, column_2: WorkLine) -> PtpRow | None:
        if column_1.ruleset is None or column_1.service_date != column_2.service_date:
            return None
        return column_1.ruleset.ptp(
            column_1.procedure_code, column_2.procedure_code, column_1.service_date, self.setting
        )
