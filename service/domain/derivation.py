"""Documented treatments → the base code the documentation supports (docs/reference-data.md)."""

from collections.abc import Callable, Sequence
from datetime import date

from contracts import Lesion
from service.domain.reference import DerivationRow, Ruleset

STENTS = frozenset({"stent", "drug_eluting_stent"})


def _treatments(lesions: Sequence[Lesion]) -> frozenset[str]:
    return frozenset(t for lesion in lesions for t in lesion.treatments)


CONDITIONS: dict[str, Callable[[Sequence[Lesion]], bool]] = {
    "cto": lambda lesions: any(lesion.cto for lesion in lesions),
    "acute_mi_culprit": lambda lesions: any(lesion.acute_mi_culprit for lesion in lesions),
    "via_graft": lambda lesions: any(lesion.via_graft for lesion in lesions),
    "atherectomy_and_stent": lambda lesions: (
        "atherectomy" in _treatments(lesions) and bool(_treatments(lesions) & STENTS)
    ),
    "atherectomy": lambda lesions: "atherectomy" in _treatments(lesions),
    "stent": lambda lesions: bool(_treatments(lesions) & STENTS),
    "balloon": lambda lesions: "balloon" in _treatments(lesions),
}


def derive(lesions: Sequence[Lesion], ruleset: Ruleset, service_date: date) -> DerivationRow | None:
    """The first derivation row whose condition the lesions meet (None: nothing to derive,
    e.g. only lithotripsy or thrombectomy, which do not change the base code)."""
    if not lesions:
        return None
    for row in ruleset.derivation:
        if row.provenance.covers(service_date) and CONDITIONS[row.condition](lesions):
            return row
    return None


def atherectomy_codes(ruleset: Ruleset) -> frozenset[str]:
    """The base codes whose derivation involves atherectomy (92924 and 92933)."""
    return frozenset(
        code
        for row in ruleset.derivation
        if row.condition.startswith("atherectomy")
        for code in row.expected_codes
    )
