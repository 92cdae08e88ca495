"""PCI-MOD-007: a component modifier (26, TC) that does not fit the code or the setting is
rejected, so no one is paid a component that is not theirs (the figures an outside auditor
found: 93458-TC paid 685.42 to a physician at a hospital; 93458-26 paid in full to a hospital)."""

import pytest

from contracts import ClaimSubmitted
from service.domain.policy import Policy
from tests.builders import event, line
from tests.outcomes import assert_edit, findings, run

Y2025 = "2025-06-10"
CASES: list[tuple[str, ClaimSubmitted, list[str]]] = [
    ("26 and TC on one line", event(line("93458", "26", "TC", date=Y2025)), ["line_rejection"]),
    (
        "26 on a code with no professional component (92920: PC/TC 0, 2026 carried forward)",
        event(line("92920", "LD", "26")),
        ["line_rejection"],
    ),
    (
        "TC on a physician's claim at an outpatient hospital",
        event(line("93458", "TC", date=Y2025)),
        ["line_rejection"],
    ),
    (
        "26 on the hospital's own claim",
        event(line("93458", "26", date=Y2025), setting="hospital_outpatient"),
        ["line_rejection"],
    ),
    ("26 by the physician at a hospital", event(line("93458", "26", date=Y2025)), []),
    (
        "TC in the physician's office (the practice owns the equipment)",
        event(line("93458", "TC", date=Y2025), place_of_service="11"),
        [],
    ),
    ("no component modifier", event(line("93458", date=Y2025), place_of_service="11"), []),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_component_modifier_must_fit_the_code_and_the_setting(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert_edit(claim_event, "PCI-MOD-007", expected, name=name)


def test_the_rejection_names_the_remittance_codes_and_the_pfs_row() -> None:
    (finding,) = findings(run(event(line("93458", "TC", date=Y2025))), "PCI-MOD-007")
    assert (finding.carc, finding.rarc) == ("4", "N519")
    assert finding.evidence and "PPRRVU2025_Oct.csv" in finding.evidence[0].source


def test_a_physician_is_not_paid_the_technical_component_at_a_hospital() -> None:
    outcome = run(event(line("93458", "TC", date=Y2025)))  # was paid 685.42
    assert outcome.event_type == "claim.rejected"
    assert outcome.pricing is None


def test_in_strict_mode_the_26_correction_is_a_rejection_that_carries_its_carc() -> None:
    outcome = run(event(line("93458", date=Y2025)), Policy(strict=True))
    (finding,) = findings(outcome, "PCI-MOD-006")
    assert finding.disposition == "line_rejection"
    assert (finding.carc, finding.rarc) == ("4", "N822")
