"""How much the claim memory takes per claim, measured on a real server (docs/memory.md).

    scripts/with-postgres .venv/bin/python -m benchmarks.memory_size [--claims 10000]

Creates a database of its own on the server of CLAIM_EDIT_POSTGRES_URL, applies the
migrations, remembers N PCI claims (3 lines each, 2.5 claims per patient on average) in
batches of 500 through PostgresMemory, and prints rows, bytes of table, TOAST and each
index (pg_total_relation_size after VACUUM ANALYZE), the time per batch, and the plan of
the batch read. Drops the database afterwards.
"""

import argparse
import os
import random
import secrets
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from service.adapters.memory import _READ, PostgresMemory, apply_migrations, patient_hash
from service.app.memory import PatientRef
from service.domain.history import RememberedClaim, RememberedLine

BATCH = 500
LINES = (("92928", ("LD",)), ("92928", ("RC",)), ("93458", ("26",)))


def claim(n: int, day: date) -> RememberedClaim:
    claim_id = f"PCI-{day:%Y%m%d}-{n:08d}"
    return RememberedClaim(
        claim_id=claim_id,
        memory_key=f"{secrets.token_hex(16)}:{claim_id}",
        frequency="original",
        replaces=None,
        setting="professional",
        billing_npi="1234567893",
        rendering_npi="1245319599",
        outcome="claim.enriched",
        lines=tuple(
            RememberedLine(
                line_number=i,
                procedure_code=code,
                modifiers=modifiers,
                units=1,
                charge=Decimal("1843.27"),
                service_date=day,
            )
            for i, (code, modifiers) in enumerate(LINES, start=1)
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    args = parser.parse_args()
    server = os.environ["CLAIM_EDIT_POSTGRES_URL"]
    database = f"memory_size_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    url = server.rsplit("/", 1)[0] + "/" + database
    try:
        measure(url, args.claims)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database}")


def measure(url: str, count: int) -> None:
    apply_migrations(url)
    rng = random.Random(7)
    patients = [PatientRef("PAYER-77", f"M{n:09d}") for n in range(int(count / 2.5))]
    today = date.today()
    claims = [
        (rng.choice(patients), claim(n, today - timedelta(days=rng.randrange(365))))
        for n in range(count)
    ]
    secret = secrets.token_bytes(32)
    seconds: list[float] = []
    with PostgresMemory(url, secret) as memory:
        for start in range(0, count, BATCH):
            chunk = claims[start : start + BATCH]
            began = time.perf_counter()
            with memory.batch([p for p, _ in chunk]) as batch:
                for patient, remembered in chunk:
                    batch.history(patient, remembered.memory_key)
                    batch.remember(patient, remembered)
            seconds.append(time.perf_counter() - began)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE remembered_claim")
        rows = connection.execute("SELECT count(*) FROM remembered_claim").fetchone()
        sizes = connection.execute(
            """
            SELECT pg_total_relation_size('remembered_claim'),
                   pg_relation_size('remembered_claim'),
                   coalesce(pg_total_relation_size(reltoastrelid), 0),
                   pg_indexes_size('remembered_claim'),
                   avg(pg_column_size(r.*)), avg(pg_column_size(r.lines))
            FROM remembered_claim r, pg_class WHERE pg_class.relname = 'remembered_claim'
            GROUP BY reltoastrelid
            """
        ).fetchone()
        indexes = connection.execute(
            """
            SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)
            FROM pg_index WHERE indrelid = 'remembered_claim'::regclass ORDER BY 1
            """
        ).fetchall()
        sample = [patient_hash(secret, p) for p in rng.sample(patients, BATCH)]
        plan = connection.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + _READ, [sample, 400]
        ).fetchall()
    assert rows is not None and sizes is not None
    (n,) = rows
    total, heap, toast, index_bytes, row_bytes, lines_bytes = sizes
    print(f"server: {url.rsplit('@', 1)[-1]}")
    print(f"claims {count}, rows {n} (one row per claim), patients {len(patients)}")
    print(f"total {total} B = {total / n:.0f} B/claim (pg_total_relation_size)")
    print(f"  heap {heap} B = {heap / n:.0f} B/claim; TOAST {toast} B")
    print(f"  indexes {index_bytes} B = {index_bytes / n:.0f} B/claim")
    for name, size in indexes:
        print(f"    {name}: {size} B = {size / n:.0f} B/claim")
    print(
        f"  average row {float(row_bytes):.0f} B, of which lines (jsonb) {float(lines_bytes):.0f} B"
    )
    print(
        f"batch of {BATCH} claims (lock, read, write, commit): median "
        f"{statistics.median(seconds) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms"
    )
    print(f"read of {BATCH} patients' claims:")
    for (line,) in plan:
        print(f"    {line if len(line) < 100 else line[:96] + ' ...'}")


if __name__ == "__main__":
    main()
