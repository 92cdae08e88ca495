"""Documented treatments → the base code the documentation supports (docs/reference-data.md)."""

from collections.abc import Callable, Sequence
from datetime import date
from typing import NamedTuple

from contracts import Lesion
from service.domain.reference import DerivationRow, Ruleset

STENTS = frozenset({"stent", "drug_eluting_stent"})


class _Documented(NamedTuple):
    """What the derivation conditions read of a line's lesions."""

    cto: bool
    acute_mi_culprit: bool
    via_graft: bool
    treatments: frozenset[str]
    stented_lesions: int
    stented_bifurcation: bool
    cto_approaches: frozenset[str]
    """The approaches documented for CTO lesions ("" for a CTO with none documented)."""


def _documented(lesions: Sequence[Lesion]) -> _Documented:
    """One pass over the lesions (read for every base line with documentation)."""
    cto = acute_mi_culprit = via_graft = stented_bifurcation = False
    treatments: set[str] = set()
    stented_lesions = 0
    cto_approaches: set[str] = set()
    for lesion in lesions:
        treatments.update(lesion.treatments)
        stented = not STENTS.isdisjoint(lesion.treatments)
        if stented:
            stented_lesions += 1
            if lesion.bifurcation:
                stented_bifurcation = True
        if lesion.cto:
            cto = True
            cto_approaches.add(lesion.approach or "")
        if lesion.acute_mi_culprit:
            acute_mi_culprit = True
        if lesion.via_graft:
            via_graft = True
    return _Documented(
        cto,
        acute_mi_culprit,
        via_graft,
        frozenset(treatments),
        stented_lesions,
        stented_bifurcation,
        frozenset(cto_approaches),
    )


CONDITIONS: dict[str, Callable[[_Documented], bool]] = {
    "cto_combined_approach": lambda found: "combined" in found.cto_approaches,
    "cto_single_approach": lambda found: (
        bool(found.cto_approaches) and found.cto_approaches <= {"antegrade", "retrograde"}
    ),
    "cto": lambda found: found.cto,
    "acute_mi_culprit": lambda found: found.acute_mi_culprit,
    "via_graft": lambda found: found.via_graft,
    "atherectomy_and_stent": lambda found: (
        "atherectomy" in found.treatments and bool(found.treatments & STENTS)
    ),
    "atherectomy": lambda found: "atherectomy" in found.treatments,
    "stents_in_two_or_more_lesions": lambda found: found.stented_lesions >= 2,
    "stented_bifurcation": lambda found: found.stented_bifurcation,
    "stent": lambda found: bool(found.treatments & STENTS),
    "balloon": lambda found: "balloon" in found.treatments,
}


def derive(lesions: Sequence[Lesion], ruleset: Ruleset, service_date: date) -> DerivationRow | None:
    """The first derivation row whose condition the lesions meet (None: nothing to derive,
    e.g. only lithotripsy or thrombectomy, which do not change the base code). Few
    combinations occur, so the answer is memoized in the ruleset for each."""
    if not lesions:
        return None
    documented = _documented(lesions)
    return ruleset.once(
        "derive",
        (documented, service_date),
        lambda: next(
            (
                row
                for row in ruleset.derivation
                if row.provenance.covers(service_date) and CONDITIONS[row.condition](documented)
            ),
            None,
        ),
    )


def atherectomy_codes(ruleset: Ruleset) -> frozenset[str]:
    """The base codes whose derivation involves atherectomy (92924 and 92933)."""
    return ruleset.once(
        "atherectomy_codes",
        None,
        lambda: frozenset(
            code
            for row in ruleset.derivation
            if row.condition.startswith("atherectomy")
            for code in row.expected_codes
        ),
    )
