"""PostgresMemory on a real server: what is stored, the commands, and concurrent batches."""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from service.adapters.memory import PostgresMemory, apply_migrations
from service.app.memory import PatientRef
from service.entrypoints.cli import main
from tests.memory.claims import PATIENT, TODAY, key, keys, remembered

pytestmark = pytest.mark.memory


@pytest.fixture
def secret() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def memory(memory_url: str, secret: bytes) -> Iterator[PostgresMemory]:
    with PostgresMemory(memory_url, secret) as postgres:
        yield postgres


def stored_rows(url: str, memory_key: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT * FROM remembered_claim WHERE memory_key = %s", [memory_key]
        ).fetchall()


def test_no_column_holds_the_member_id_and_the_patient_is_a_keyed_hash(
    memory: PostgresMemory, memory_url: str, secret: bytes
) -> None:
    with memory.batch([PATIENT]) as batch:
        batch.remember(PATIENT, remembered("e1"))
    (row,) = stored_rows(memory_url, key("e1"))
    text = " ".join(
        bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value) for value in row
    )
    assert PATIENT.member_id not in text
    assert PATIENT.member_id.encode().hex() not in text
    assert PATIENT.payer_id not in text
    expected = hmac.new(secret, b"PAYER-77\x1fMEMBER-0042-XYZ", hashlib.sha256).digest()
    assert expected in [bytes(v) for v in row if isinstance(v, bytes | memoryview)]


def test_the_same_patient_under_another_secret_is_someone_else(
    memory: PostgresMemory, memory_url: str
) -> None:
    with memory.batch([PATIENT]) as batch:
        batch.remember(PATIENT, remembered("e1"))
    with (
        PostgresMemory(memory_url, secrets.token_bytes(32)) as other,
        other.batch([PATIENT]) as batch,
    ):
        assert batch.history(PATIENT, key("e2")).claims == ()


def test_a_batch_writes_its_claims_in_the_order_they_were_remembered(
    memory: PostgresMemory,
) -> None:
    with memory.batch([PATIENT]) as batch:
        for name in ("e3", "e1", "e2"):
            batch.remember(PATIENT, remembered(name))
    with memory.batch([PATIENT]) as batch:
        seen = batch.history(PATIENT, key("e4")).claims
    assert keys(seen) == ["e3", "e1", "e2"]


def test_migrations_applied_again_change_nothing(memory_url: str) -> None:
    assert apply_migrations(memory_url) == []


def test_memory_migrate_and_purge_commands(
    memory: PostgresMemory, memory_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with memory.batch([PATIENT]) as batch:
        batch.remember(PATIENT, remembered("gone", days_ago=(700,)))
        batch.remember(PATIENT, remembered("kept", days_ago=(5,)))
    assert main(["memory", "migrate", "--url", memory_url]) == 0
    assert "0 applied" in capsys.readouterr().out
    cutoff = (TODAY - timedelta(days=30)).isoformat()
    assert main(["memory", "purge", "--url", memory_url, "--before", cutoff]) == 0
    assert "claims whose latest date of service is before" in capsys.readouterr().out
    assert stored_rows(memory_url, key("gone")) == []
    assert len(stored_rows(memory_url, key("kept"))) == 1


def test_two_batches_on_one_patient_at_once_see_each_other_in_order(memory_url: str) -> None:
    """Two instances (two pools) each edit an identical claim of one patient under its own
    key at the same moment: the batch that gets the patient's lock second sees the first's
    claim. Exactly one of each pair is the duplicate."""
    pairs = 200
    secret = secrets.token_bytes(32)
    first, second = PostgresMemory(memory_url, secret), PostgresMemory(memory_url, secret)
    saw_the_other: list[list[bool]] = [[False, False] for _ in range(pairs)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def instance(memory: PostgresMemory, side: int) -> None:
        try:
            for n in range(pairs):
                patient = PatientRef(payer_id="PAYER-77", member_id=f"MEMBER-{n}")
                start.wait(timeout=30)
                with memory.batch([patient]) as batch:
                    history = batch.history(patient, key(f"{n}-{side}")).claims
                    saw_the_other[n][side] = keys(history) == [f"{n}-{1 - side}"]
                    batch.remember(patient, remembered(f"{n}-{side}"))
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
            start.abort()

    with first, second:
        threads = [
            threading.Thread(target=instance, args=(memory, side))
            for side, memory in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert errors == []
    exactly_one = sum(1 for a, b in saw_the_other if a != b)
    assert exactly_one == pairs, f"{exactly_one} of {pairs} pairs had exactly one duplicate"
