import pytest

from service.app.edit_event import ClaimProcessor
from service.domain.policy import Policy
from service.domain.reference import ReferenceData
from tests.outcomes import REFERENCE


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return REFERENCE


@pytest.fixture(scope="session")
def processor(reference: ReferenceData) -> ClaimProcessor:
    return ClaimProcessor(reference, Policy())
