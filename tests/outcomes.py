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
