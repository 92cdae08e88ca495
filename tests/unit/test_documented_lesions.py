"""What the derivation reads of a line's lesions, in one pass, is what each lesion says."""

from typing import get_args

from hypothesis import given
from hypothesis import strategies as st

from contracts import Lesion
from contracts.claim import Treatment
from service.domain.derivation import STENTS, _documented

lesions = st.builds(
    Lesion,
    lesion_id=st.just("L1"),
    treatments=st.lists(st.sampled_from(get_args(Treatment)), max_size=4).map(tuple),
    cto=st.booleans(),
    acute_mi_culprit=st.booleans(),
    via_graft=st.booleans(),
    bifurcation=st.booleans(),
    approach=st.sampled_from([None, "antegrade", "retrograde", "combined"]),
)


@given(st.lists(lesions, max_size=5))
def test_the_documented_facts_are_each_lesions_facts_taken_together(found: list[Lesion]) -> None:
    stented = [lesion for lesion in found if STENTS & set(lesion.treatments)]
    documented = _documented(found)
    assert documented.cto == any(lesion.cto for lesion in found)
    assert documented.acute_mi_culprit == any(lesion.acute_mi_culprit for lesion in found)
    assert documented.via_graft == any(lesion.via_graft for lesion in found)
    assert documented.treatments == {t for lesion in found for t in lesion.treatments}
    assert documented.stented_lesions == len(stented)
    assert documented.stented_bifurcation == any(lesion.bifurcation for lesion in stented)
    assert documented.cto_approaches == {lesion.approach or "" for lesion in found if lesion.cto}
