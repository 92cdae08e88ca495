import pytest

from service.domain.policy import Policy
from service.domain.reference import ReferenceData
from service.processing import ClaimProcessor
from tests.outcomes import REFERENCE


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return REFERENCE


@pytest.fixture(scope="session")
def processor(reference: ReferenceData) -> ClaimProcessor:
    return ClaimProcessor(reference, Policy())
