"""Running the engine in tests, and reading its outcome."""

from contracts import ClaimSubmitted, Finding
from service.adapters.reference_files import load_reference
from service.domain.engine import evaluate
from service.domain.outcome import Outcome
from service.domain.policy import Policy

REFERENCE = load_reference()


def run(event: ClaimSubmitted, policy: Policy | None = None) -> Outcome:
    return evaluate(event, REFERENCE, policy or Policy())


def findings(outcome: Outcome, edit_id: str) -> list[Finding]:
    return [f for f in outcome.findings if f.edit_id == edit_id]


def dispositions(outcome: Outcome, edit_id: str) -> list[str]:
    return [f.disposition for f in findings(outcome, edit_id)]


def final_lines(outcome: Outcome) -> list[tuple[str, list[str]]]:
    return [(ln.procedure_code, list(ln.modifiers)) for ln in outcome.claim.lines]


def assert_edit(
    claim_event: ClaimSubmitted,
    edit_id: str,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]] | None = None,
    name: str = "",
) -> Outcome:
    """The edit's dispositions on the claim and, when given, the lines left after it."""
    outcome = run(claim_event)
    assert dispositions(outcome, edit_id) == expected, name
    if lines_after is not None:
        assert final_lines(outcome) == lines_after, name
    return outcome
