import uuid
from collections.abc import Iterator

import pytest

from tests.memory.claims import KEY_SPACE


@pytest.fixture(autouse=True)
def key_space() -> Iterator[None]:
    KEY_SPACE[0] = f"{uuid.uuid4().hex[:12]}:"
    yield
    KEY_SPACE[0] = ""
