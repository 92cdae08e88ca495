"""Claim memory on PostgreSQL (the port: service/app/memory.py), with psycopg 3 and a pool.

A batch is one transaction: a transaction-level advisory lock per patient (taken in one
statement, in the order of the lock keys, so two batches sharing patients never deadlock),
then one query for every remembered claim of those patients, then, when the batch closes
without an error, one INSERT of everything remembered in it and the commit. The next batch
on any of those patients waits for the lock and reads what this one wrote.

The patient is stored as HMAC-SHA256(secret, payer_id + US + member_id): the table never
holds a member id, and without the secret the hash cannot be matched to one. `sequence`
comes from a PostgreSQL sequence in the order claims are first edited; a replay (the
patient's memory_key already stored) sees only the claims before it and writes nothing
(ON CONFLICT DO NOTHING). Rejected claims are kept too, for their place in that order;
the domain counts only accepted ones.

The schema is versioned SQL under memory_migrations/, applied by yoyo-migrations
(`apply_migrations`, also `claim-edit memory migrate`). Any connection or server failure is
`MemoryUnavailableError`, whose text is the error's type only.
"""

import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from service.app.memory import MemoryUnavailableError, PatientRef
from service.domain.history import ClaimHistory, RememberedClaim, RememberedLine

MIGRATIONS = Path(__file__).parent / "memory_migrations"
UNIT_SEPARATOR = "\x1f"

_LOCK = "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS u(k)"
_READ = """
SELECT patient, memory_key, sequence, claim_id, frequency, replaces, setting,
       billing_npi, rendering_npi, outcome, lines
FROM remembered_claim
WHERE patient = ANY(%s::bytea[]) AND last_service_date >= current_date - %s::int
ORDER BY sequence
"""
_WRITE = """
INSERT INTO remembered_claim (
    memory_key, sequence, patient, claim_id, frequency, replaces, setting, billing_npi,
    rendering_npi, outcome, first_service_date, last_service_date, lines)
SELECT k, nextval('claim_memory_sequence'), decode(p, 'hex'), c, f, r, s, b, rn, o, d1, d2, l
FROM jsonb_to_recordset(%s::jsonb) AS u(
    n int, k text, p text, c text, f text, r text, s text, b text, rn text, o text,
    d1 date, d2 date, l jsonb)
ORDER BY n
ON CONFLICT (patient, memory_key) DO NOTHING
"""
# The batch's claims go as one JSON document: a list of strings of JSON in a text[] costs
# psycopg an escape per character (72 ms for 500 claims, measured), one document does not.
_PURGE = "DELETE FROM remembered_claim WHERE last_service_date < %s"


def _configure(connection: psycopg.Connection[Any]) -> None:
    set_json_loads(orjson.loads, connection)


def patient_hash(secret: bytes, patient: PatientRef) -> bytes:
    """The stored form of a patient: a keyed hash, the same for the same payer and member."""
    message = f"{patient.payer_id}{UNIT_SEPARATOR}{patient.member_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def lock_key(patient: bytes) -> int:
    """The advisory lock of a patient: the hash's first 8 bytes as a signed bigint (two
    patients sharing one only wait for each other)."""
    return int.from_bytes(patient[:8], "big", signed=True)


def _unavailable(error: Exception) -> MemoryUnavailableError:
    return MemoryUnavailableError(f"claim memory unavailable: {type(error).__name__}")


def _line_array(line: RememberedLine) -> list[object]:
    """A line as stored: [line, code, modifiers, units, charge, date] (an array, not an
    object: jsonb keeps an object's keys in every row)."""
    return [
        line.line_number,
        line.procedure_code,
        list(line.modifiers),
        line.units,
        str(line.charge),
        line.service_date.isoformat(),
    ]


def _decode_lines(lines: list[list[Any]]) -> tuple[RememberedLine, ...]:
    return tuple(
        RememberedLine(
            line_number=int(number),
            procedure_code=str(code),
            modifiers=tuple(str(m) for m in modifiers),
            units=int(units),
            charge=Decimal(str(charge)),
            service_date=date.fromisoformat(str(day)),
        )
        for number, code, modifiers, units, charge, day in lines
    )


def _claim_of(row: tuple[Any, ...]) -> RememberedClaim:
    (
        _,
        key,
        sequence,
        claim_id,
        frequency,
        replaces,
        setting,
        billing,
        rendering,
        outcome,
        lines,
    ) = row
    return RememberedClaim(
        claim_id=claim_id,
        memory_key=key,
        frequency=frequency,
        replaces=replaces,
        setting=setting,
        billing_npi=billing,
        rendering_npi=rendering,
        outcome=outcome,
        lines=_decode_lines(lines),
        sequence=int(sequence),
    )


class PostgresBatch:
    """The claims read when the batch opened, and what it remembers until it closes."""

    def __init__(
        self, hashes: Mapping[PatientRef, bytes], stored: Sequence[tuple[bytes, RememberedClaim]]
    ) -> None:
        self._hashes = hashes
        self._stored: dict[bytes, list[RememberedClaim]] = {}
        # a key is a replay of the same patient's claim only: another sender's event may
        # reuse an event id and a claim id for another patient
        self._stored_sequence: dict[tuple[bytes, str], int] = {}
        for patient, claim in stored:
            self._stored.setdefault(patient, []).append(claim)
            self._stored_sequence[patient, claim.memory_key] = claim.sequence
        self.pending: list[tuple[bytes, RememberedClaim]] = []
        self._pending_at: dict[tuple[bytes, str], int] = {}
        self._pending_of: dict[bytes, list[tuple[int, RememberedClaim]]] = {}

    def _hash(self, patient: PatientRef) -> bytes:
        try:
            return self._hashes[patient]
        except KeyError:
            raise ValueError("a patient not named when the batch opened") from None

    def history(self, patient: PatientRef, memory_key: str) -> ClaimHistory:
        hashed = self._hash(patient)
        stored = self._stored.get(hashed, [])
        first_sequence = self._stored_sequence.get((hashed, memory_key))
        if first_sequence is not None:  # a replay: what it saw the first time
            return ClaimHistory(tuple(c for c in stored if c.sequence < first_sequence))
        before = self._pending_at.get((hashed, memory_key), len(self.pending))
        earlier = (c for at, c in self._pending_of.get(hashed, ()) if at < before)
        return ClaimHistory((*stored, *earlier))

    def remember(self, patient: PatientRef, claim: RememberedClaim) -> None:
        if not claim.lines:
            raise ValueError("a remembered claim has at least one line")
        key = self._hash(patient), claim.memory_key
        hashed = key[0]
        if key in self._stored_sequence or key in self._pending_at:
            return
        self._pending_at[key] = len(self.pending)
        self._pending_of.setdefault(hashed, []).append((len(self.pending), claim))
        self.pending.append((hashed, claim))

    def document(self) -> str:
        """The pending claims as the INSERT's one JSON document, in acceptance order."""
        return orjson.dumps(
            [
                {
                    "n": n,
                    "k": claim.memory_key,
                    "p": patient.hex(),
                    "c": claim.claim_id,
                    "f": claim.frequency,
                    "r": claim.replaces,
                    "s": claim.setting,
                    "b": claim.billing_npi,
                    "rn": claim.rendering_npi,
                    "o": claim.outcome,
                    "d1": min(line.service_date for line in claim.lines),
                    "d2": max(line.service_date for line in claim.lines),
                    "l": [_line_array(line) for line in claim.lines],
                }
                for n, (patient, claim) in enumerate(self.pending)
            ]
        ).decode()


_RECONNECT_RUN = 10.0


class PostgresMemory:
    """ClaimMemory on PostgreSQL. `timeout`: how long a batch waits for a connection before
    the store counts as unavailable."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        retention_days: int = 400,
        max_connections: int = 4,
        timeout: float = 5.0,
        ready_timeout: float = 2.0,
        migrate: bool = False,
    ) -> None:
        """`migrate`: bring the schema up to date before the first batch (a server that is
        down at start is then waited for like one that goes down later)."""
        if not secret:
            raise ValueError("the claim memory needs a secret for the patient hash")
        self._secret = secret
        self._url = url
        self._migrated = not migrate
        self._retention_days = retention_days
        self._timeout = timeout
        self._ready_timeout = ready_timeout
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            open=False,
            timeout=timeout,
            kwargs={"connect_timeout": max(2, int(timeout))},
            configure=_configure,
            # A connection the server closed (a restart) is replaced when taken, not
            # handed to a batch to fail: one empty round trip per batch.
            check=ConnectionPool.check_connection,
            # The pool retries a lost server with a doubling delay that has no ceiling but
            # this: after a long outage it would otherwise wait minutes before trying the
            # server that is back. Ending each run of attempts after 10 s lets the next batch
            # or readiness probe start a new run at a 1 s delay.
            reconnect_timeout=_RECONNECT_RUN,
            name="claim-memory",
        )
        self._pool.open(wait=False)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> "PostgresMemory":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def patient_hash(self, patient: PatientRef) -> bytes:
        return patient_hash(self._secret, patient)

    @contextmanager
    def batch(self, patients: Sequence[PatientRef]) -> Iterator[PostgresBatch]:
        hashes = {patient: self.patient_hash(patient) for patient in patients}
        distinct = sorted(set(hashes.values()))
        try:
            if not self._migrated:
                apply_migrations(self._url)
                self._migrated = True
            with self._pool.connection(timeout=self._timeout) as connection:
                stored: list[tuple[bytes, RememberedClaim]] = []
                if distinct:
                    locks = sorted({lock_key(hashed) for hashed in distinct})
                    connection.execute(_LOCK, [locks])
                    rows = connection.execute(_READ, [distinct, self._retention_days])
                    stored = [(bytes(row[0]), _claim_of(row)) for row in rows.fetchall()]
                batch = PostgresBatch(hashes, stored)
                yield batch
                if batch.pending:
                    connection.execute(_WRITE, [batch.document()])
        except (
            psycopg.OperationalError,
            psycopg.InterfaceError,
            psycopg.errors.ReadOnlySqlTransaction,  # a standby after a failover: wait
        ) as error:
            raise _unavailable(error) from None

    def ready(self) -> bool:
        try:
            with self._pool.connection(timeout=self._ready_timeout) as connection:
                connection.execute("SET LOCAL statement_timeout = 2000")
                connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def purge(self, before: date) -> int:
        """Forget the claims whose latest date of service is before `before`; how many."""
        try:
            with self._pool.connection(timeout=self._timeout) as connection:
                return connection.execute(_PURGE, [before]).rowcount
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise _unavailable(error) from None


def purge(url: str, before: date) -> int:
    """`PostgresMemory.purge` without a pool or a secret (`claim-edit memory purge`)."""
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            return connection.execute(_PURGE, [before]).rowcount
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise _unavailable(error) from None


def retention_cutoff(today: date, retention_days: int) -> date:
    """The first date of service still kept."""
    return today - timedelta(days=retention_days)


def _yoyo_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ValueError("CLAIM_EDIT_MEMORY_URL: not a postgresql:// URL")
    return f"postgresql+psycopg://{rest}"


def apply_migrations(url: str) -> list[str]:
    """Bring the schema up to date (yoyo's lock keeps two instances from racing); the ids of
    the migrations applied now."""
    from yoyo import get_backend, read_migrations

    try:
        backend = get_backend(_yoyo_url(url))
        migrations = read_migrations(str(MIGRATIONS))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise _unavailable(error) from None
    return [cast(str, migration.id) for migration in pending]
