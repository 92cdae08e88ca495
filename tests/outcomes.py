"""Running the engine in tests, and reading its outcome."""

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from contracts import CLAIM_OUTCOME, ClaimEnriched, ClaimRejected, ClaimSubmitted, Finding
from service.adapters.reference_files import SHIPPED_REFERENCE_DIR, load_reference
from service.domain.engine import evaluate
from service.domain.history import ClaimHistory
from service.domain.outcome import Outcome
from service.domain.policy import Policy
from service.domain.reference import ReferenceData
from service.domain.registry import EditSpec, Firing
from service.domain.vocabulary import Disposition

REFERENCE = load_reference()


class NaturalDispositions:
    """An `evaluate` observer: each firing's own disposition (before policy), by edit."""

    def __init__(self) -> None:
        self.seen: dict[str, set[Disposition]] = {}
        self.undeclared: list[str] = []

    def __call__(self, spec: EditSpec, firing: Firing) -> None:
        self.seen.setdefault(spec.edit_id, set()).add(firing.disposition)
        if firing.disposition not in spec.default:
            self.undeclared.append(
                f"{spec.edit_id} fired {firing.disposition}, not one of {spec.default}"
            )


def run(
    event: ClaimSubmitted,
    policy: Policy | None = None,
    reference: ReferenceData = REFERENCE,
    natural: NaturalDispositions | None = None,
    history: ClaimHistory | None = None,
) -> Outcome:
    """Every claim a test runs here also checks that each edit fired only with the
    dispositions it declares (tests/unit/test_declared_dispositions.py)."""
    natural = natural if natural is not None else NaturalDispositions()
    outcome = evaluate(event, reference, policy or Policy(), history, observe=natural)
    assert not natural.undeclared, natural.undeclared
    return outcome


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


def reference_where(root: Path, file: str, change: Callable[[str], str]) -> ReferenceData:
    """The shipped tables copied under `root`, with one file (relative to reference/)
    changed: a counterfactual table for a test, never a fact."""
    shutil.copytree(SHIPPED_REFERENCE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / file
    path.write_text(change(path.read_text()))
    return load_reference(root)


def typed(documents: Sequence[Mapping[str, Any]]) -> list[ClaimEnriched | ClaimRejected]:
    """Outcome events read as JSON (dicts) as their models, as `claim-edit x12 277ca` reads
    them."""
    return [CLAIM_OUTCOME.validate_python(document) for document in documents]
