from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.broker_fixture import real_kafka


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.kafka)
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_kafka(tmp_path_factory.mktemp("kafka-local")) as address:
        yield address
