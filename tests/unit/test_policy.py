"""Policy: per-edit actions globally and per payer, strict mode, and the policy file."""

from pathlib import Path

import pytest

from service.adapters.policy_file import PolicyError, parse_policy
from service.domain.policy import PayerPolicy, Policy, RefusedPolicyError
from service.domain.vocabulary import Action
from tests.builders import event, lesion, line, procedure
from tests.outcomes import dispositions, final_lines, run

SAME_TERRITORY = event(line("92920", "LD"), line("92924", "LD"))
STENT_BILLED_AS_ATHERECTOMY = event(
    line("92924", "LC"),
    proc=procedure(
        lesion("19", treatments=("atherectomy", "stent"), line_number=1, calcification="severe")
    ),
)


def test_reject_turns_a_correction_into_a_line_rejection_that_proposes_the_change() -> None:
    outcome = run(SAME_TERRITORY, Policy(actions={"PCI-TERR-001": "reject"}))
    assert outcome.rejected
    assert dispositions(outcome, "PCI-TERR-001") == ["line_rejection"]
    assert [c.action for c in outcome.changes] == ["remove_line"]
    assert final_lines(outcome) == [("92920", ["LD"]), ("92924", ["LD"])]


def test_strict_mode_applies_no_correction() -> None:
    outcome = run(SAME_TERRITORY, Policy(strict=True))
    assert outcome.rejected
    assert dispositions(outcome, "PCI-TERR-001") == ["line_rejection"]
    assert [c.edit_id for c in outcome.changes] == ["PCI-TERR-001"]


def test_correct_applies_a_rejection_that_has_a_fix() -> None:
    outcome = run(STENT_BILLED_AS_ATHERECTOMY, Policy(actions={"PCI-DOC-001": "correct"}))
    assert not outcome.rejected
    assert final_lines(outcome) == [("92933", ["LC"])]


def test_correct_without_a_fix_keeps_the_rejection() -> None:
    outcome = run(event(line("92924", "LD", units=2)), Policy(actions={"PCI-TERR-005": "correct"}))
    assert dispositions(outcome, "PCI-TERR-005") == ["line_rejection"]


def test_warn_lets_the_claim_through_with_a_warning() -> None:
    outcome = run(event(line("92924")), Policy(actions={"PCI-TERR-002": "warn"}))
    assert not outcome.rejected
    assert dispositions(outcome, "PCI-TERR-002") == ["warning"]


def test_off_silences_the_edit() -> None:
    outcome = run(
        event(line("93459"), line("92924", "RC")), Policy(actions={"PCI-BUND-001": "off"})
    )
    assert dispositions(outcome, "PCI-BUND-001") == []
    assert len(outcome.claim.lines) == 2


def test_payer_override_applies_only_to_that_payer() -> None:
    policy = Policy(payers={"STRICT-PAYER": PayerPolicy(strict=True)})
    assert not run(SAME_TERRITORY, policy).rejected
    assert run(
        event(line("92920", "LD"), line("92924", "LD"), payer_id="STRICT-PAYER"), policy
    ).rejected


POLICY_TEXT = """
strict = false
[actions]
"PCI-DOC-002" = "reject"
[payers."MEDICARE-JL"]
strict = true
[payers."MEDICARE-JL".actions]
"PCI-BUND-001" = "warn"
"""


def test_policy_file_reads_global_and_payer_sections() -> None:
    policy = parse_policy(POLICY_TEXT)
    effective = policy.for_payer("MEDICARE-JL")
    assert effective.strict is True
    assert dict(effective.actions) == {"PCI-DOC-002": "reject", "PCI-BUND-001": "warn"}
    assert policy.for_payer("OTHER").strict is False


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[actions]\n"PCI-NOPE-001" = "off"\n', "PCI-NOPE-001"),
        ('[actions]\n"PCI-DOC-002" = "ignore"\n', "PCI-DOC-002"),
        ('[actions]\n"PCI-CLM-001" = "off"\n', "actions.PCI-CLM-001"),
        ('[payers.P.actions]\n"PCI-CLM-001" = "warn"\n', "payers.P.actions.PCI-CLM-001"),
        ('[payers.P.actions]\n"PCI-NOPE-001" = "warn"\n', "payers.P.actions.PCI-NOPE-001"),
        ("strict = 1\n", "strict"),
        ("colour = 'red'\n", "colour"),
        ("[actions\n", "policy.toml"),
    ],
)
def test_a_bad_policy_file_fails_naming_the_key(text: str, named: str) -> None:
    with pytest.raises(PolicyError, match=named):
        parse_policy(text, Path("policy.toml"))


def test_a_policy_built_in_code_naming_no_edit_of_the_catalog_is_refused() -> None:
    with pytest.raises(RefusedPolicyError, match="PCI-NOPE-001"):
        Policy(actions={"PCI-NOPE-001": "off"})
    with pytest.raises(RefusedPolicyError, match="PCI-NOPE-001"):
        Policy(payers={"P": PayerPolicy(actions={"PCI-NOPE-001": "warn"})})


def test_a_policy_keeps_the_actions_it_was_checked_with() -> None:
    actions: dict[str, Action] = {"PCI-DOC-002": "reject"}
    policy = Policy(actions=actions)
    actions["PCI-CLM-001"] = "off"  # changing the dict afterwards changes nothing
    assert dict(policy.actions) == {"PCI-DOC-002": "reject"}
