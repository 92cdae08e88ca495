"""Fault-injection scenarios against a real broker and real `claim-edit serve` processes.

Each returns a Tally; the CI tests run them small, `make faults` runs them at full size and
writes docs/reliability.md.
"""

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from benchmarks.corpus import corpus
from service.config import ServiceSettings
from tests.faults.tally import Tally, count
from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess

PROJECT = Path(__file__).resolve().parents[2]
KAFKA_LOCAL = PROJECT / "service" / "kafka_local.py"
Inputs = dict[str, bytes]


def claims(count_: int, prefix: str, seed: int = 1) -> Inputs:
    found = {}
    for index, document in enumerate(corpus(count_, seed=seed)):
        document["event_id"] = f"{prefix}-{index:06d}"
        found[document["event_id"]] = orjson.dumps(document)
    return found


def poison_events(count_: int, prefix: str, seed: int = 2) -> Inputs:
    rng = random.Random(seed)
    shapes: list[Callable[[int], bytes]] = [
        lambda i: b"\xff\xfe garbage %d" % i,
        lambda i: orjson.dumps({"event_id": f"{prefix}-{i}", "claim": {"lines": "many"}}),
        lambda i: b'{"truncated": %d' % i,
        lambda i: orjson.dumps([i, "not an object"]),
        lambda i: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))) + b"%d" % i,
    ]
    return {f"{prefix}-{i:06d}": shapes[i % len(shapes)](i) for i in range(count_)}


def keyed(inputs: Inputs) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    return [(key.encode(), raw, []) for key, raw in inputs.items()]


def env_for(guarantee: str, instance: str) -> dict[str, str]:
    return {
        "CLAIM_EDIT_PROCESSING_GUARANTEE": guarantee,
        "CLAIM_EDIT_INSTANCE_ID": instance,
        "CLAIM_EDIT_SESSION_TIMEOUT_MS": "6000",
        "CLAIM_EDIT_RETRY_BACKOFF_MAX_SECONDS": "2",
        "CLAIM_EDIT_LOG_LEVEL": "WARNING",
    }


def isolation(guarantee: str) -> str:
    return "read_committed" if guarantee == "exactly_once" else "read_uncommitted"


async def _await_coverage(
    bootstrap: str, settings: ServiceSettings, inputs: Inputs, guarantee: str, timeout: float
) -> list:  # type: ignore[type-arg]
    expected = set(inputs)
    raw_to_id = {raw: key for key, raw in inputs.items()}

    def covered(records: list) -> bool:  # type: ignore[type-arg]
        from tests.faults.tally import input_identity

        return expected <= {key for key, _ in input_identity(records, raw_to_id)}

    return await collect(
        bootstrap,
        output_topics(settings),
        expected=0,
        timeout=timeout,
        isolation_level=isolation(guarantee),
        done=covered,
        settle=3.0,
    )


async def _produce_slowly(
    bootstrap: str, topic: str, inputs: Inputs, chunk: int, pause: float
) -> None:
    items = keyed(inputs)
    for start in range(0, len(items), chunk):
        await produce(bootstrap, topic, items[start : start + chunk])
        await asyncio.sleep(pause)


async def kill_and_restart(
    bootstrap: str, workdir: Path, guarantee: str, total: int, *, kills: int = 3, seed: int = 1
) -> Tally:
    rng = random.Random(seed)
    settings = service_settings(unique(f"kill-{guarantee[:3]}"), batch_max_records=100)
    await create_service_topics(bootstrap, settings)
    inputs = claims(total, "kill", seed)
    tally = Tally(
        f"SIGKILL x{kills} during the stream, restart each time",
        guarantee,
        f"{kills} x SIGKILL at random moments while {total} claims flow",
    )
    started = time.monotonic()
    log = workdir / f"kill-{guarantee}.log"
    service = ServiceProcess(bootstrap, settings, log, **env_for(guarantee, "a")).start()
    await asyncio.to_thread(service.wait_ready)
    feeding = asyncio.create_task(
        _produce_slowly(
            bootstrap, settings.topic_submitted, inputs, chunk=max(1, total // 20), pause=0.25
        )
    )
    last_restart = time.monotonic()
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        service.kill()
        tally.notes.append(f"killed at {time.monotonic() - started:.1f}s")
        service = ServiceProcess(bootstrap, settings, log, **env_for(guarantee, "a")).start()
        last_restart = time.monotonic()
    await feeding
    try:
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=240)
        tally.recovery_seconds = round(time.monotonic() - last_restart, 1)
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def two_instances_one_killed(
    bootstrap: str, workdir: Path, guarantee: str, total: int
) -> Tally:
    settings = service_settings(unique(f"pair-{guarantee[:3]}"), batch_max_records=100)
    await create_service_topics(bootstrap, settings)
    inputs = claims(total, "pair", seed=3)
    tally = Tally(
        "two instances in one group, one killed",
        guarantee,
        f"instance a SIGKILLed after a third of {total} claims",
    )
    started = time.monotonic()
    a = ServiceProcess(
        bootstrap, settings, workdir / f"pair-a-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    b = ServiceProcess(
        bootstrap, settings, workdir / f"pair-b-{guarantee}.log", **env_for(guarantee, "b")
    ).start()
    try:
        await asyncio.gather(asyncio.to_thread(a.wait_ready), asyncio.to_thread(b.wait_ready))
        feeding = asyncio.create_task(
            _produce_slowly(
                bootstrap, settings.topic_submitted, inputs, chunk=max(1, total // 15), pause=0.3
            )
        )
        await collect(
            bootstrap,
            output_topics(settings),
            expected=total // 3,
            timeout=120,
            isolation_level=isolation(guarantee),
        )
        a.kill()
        killed_at = time.monotonic()
        await feeding
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=240)
        tally.recovery_seconds = round(time.monotonic() - killed_at, 1)
    finally:
        a.kill()
        b.signal(signal.SIGTERM)
        await asyncio.to_thread(b.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def poison_flood(bootstrap: str, workdir: Path, guarantee: str, good: int, bad: int) -> Tally:
    settings = service_settings(unique(f"flood-{guarantee[:3]}"))
    await create_service_topics(bootstrap, settings)
    good_inputs = claims(good, "good", seed=4)
    bad_inputs = poison_events(bad, "bad")
    mixed: Inputs = {}
    good_items, bad_items = list(good_inputs.items()), list(bad_inputs.items())
    for index in range(max(len(good_items), len(bad_items))):
        for items in (good_items, bad_items):
            if index < len(items):
                mixed[items[index][0]] = items[index][1]
    tally = Tally(
        "poison interleaved with good events", guarantee, f"{bad} poison events among {good} claims"
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap, settings, workdir / f"flood-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(bootstrap, settings.topic_submitted, keyed(mixed))
        outputs = await _await_coverage(bootstrap, settings, mixed, guarantee, timeout=180)
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, mixed, set(bad_inputs), outputs)


async def sigterm_in_flight(bootstrap: str, workdir: Path, guarantee: str, total: int) -> Tally:
    settings = service_settings(unique(f"term-{guarantee[:3]}"), batch_max_records=50)
    await create_service_topics(bootstrap, settings)
    inputs = claims(total, "term", seed=5)
    tally = Tally(
        "SIGTERM with events in flight, then restart",
        guarantee,
        f"SIGTERM once the first outputs of {total} claims appear",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap, settings, workdir / f"term-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    await asyncio.to_thread(service.wait_ready)
    await produce(bootstrap, settings.topic_submitted, keyed(inputs))
    await collect(
        bootstrap,
        output_topics(settings),
        expected=min(50, total),
        timeout=60,
        isolation_level=isolation(guarantee),
    )
    service.signal(signal.SIGTERM)
    exit_code = await asyncio.to_thread(service.wait)
    tally.notes.append(f"exit code after SIGTERM: {exit_code}")
    restarted = ServiceProcess(
        bootstrap, settings, workdir / f"term-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    try:
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=180)
    finally:
        restarted.signal(signal.SIGTERM)
        await asyncio.to_thread(restarted.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


def _kafka_local(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(KAFKA_LOCAL), *args],
        env={**os.environ, "KAFKA_LOCAL_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


async def broker_outage(
    workdir: Path, guarantee: str, total: int, outage_seconds: float = 5.0
) -> Tally:
    """Needs a broker of its own (scripts/kafka-local), stopped and restarted mid-stream."""
    home = workdir / f"outage-broker-{guarantee}"
    bootstrap = await asyncio.to_thread(_kafka_local, home, "start")
    settings = service_settings(unique(f"outage-{guarantee[:3]}"), batch_max_records=50)
    tally = Tally(
        "broker stopped and restarted mid-stream",
        guarantee,
        f"broker down {outage_seconds:.0f}s while {total} claims flow",
    )
    started = time.monotonic()
    service = None
    try:
        await create_service_topics(bootstrap, settings)
        inputs = claims(total, "outage", seed=6)
        items = list(inputs.items())
        first, second = dict(items[: total // 2]), dict(items[total // 2 :])
        service = ServiceProcess(
            bootstrap, settings, workdir / f"outage-{guarantee}.log", **env_for(guarantee, "a")
        ).start()
        await asyncio.to_thread(service.wait_ready)
        await produce(bootstrap, settings.topic_submitted, keyed(first))
        await collect(
            bootstrap,
            output_topics(settings),
            expected=min(20, len(first)),
            timeout=60,
            isolation_level=isolation(guarantee),
        )
        await asyncio.to_thread(_kafka_local, home, "stop")
        statuses = set()
        down = time.monotonic()
        # At least the outage; longer, up to 10 s more, until readiness has said so.
        while time.monotonic() < down + outage_seconds or (
            503 not in statuses and time.monotonic() < down + outage_seconds + 10
        ):
            statuses.add((await asyncio.to_thread(service.get, "/health/ready"))[0])
            await asyncio.sleep(0.5)
        tally.notes.append(f"/health/ready during the outage: {sorted(statuses)}")
        await asyncio.to_thread(_kafka_local, home, "start", "--keep-data")
        back = time.monotonic()
        await produce(bootstrap, settings.topic_submitted, keyed(second))
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=240)
        tally.recovery_seconds = round(time.monotonic() - back, 1)
        status, _ = await asyncio.to_thread(service.get, "/metrics")
        tally.notes.append(f"service alive after the outage: /metrics {status}")
    finally:
        if service is not None:
            service.signal(signal.SIGTERM)
            await asyncio.to_thread(service.wait)
        await asyncio.to_thread(_kafka_local, home, "stop")
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


def fuzz_inputs(total: int, seed: int = 9) -> Inputs:
    """Arbitrary bytes, arbitrary JSON, and real claims with one field made arbitrary."""
    rng = random.Random(seed)

    def value(depth: int = 0) -> object:
        kinds = ["int", "str", "none", "bool", "float"] + (["list", "dict"] if depth < 3 else [])
        kind = rng.choice(kinds)
        if kind == "int":
            return rng.choice([0, -1, 2**70, rng.randint(-(10**6), 10**6)])
        if kind == "str":
            return "".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 12)))
        if kind == "float":
            return rng.uniform(-1e9, 1e9)
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "list":
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        if kind == "dict":
            return {str(value(depth + 1))[:8]: value(depth + 1) for _ in range(rng.randint(0, 5))}
        return None

    fuzz: Inputs = {}
    templates = list(claims(20, "tmpl", seed=seed).values())
    for index in range(total):
        key = f"fz-{index:06d}"
        choice = index % 3
        if choice == 0:  # the suffix keeps them unique, so a dead letter maps back to one input
            raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))) + b"#%d" % index
        elif choice == 1:
            raw = json.dumps({"event_id": key, "junk": value()}).encode()
        else:  # a real claim with one field replaced by something arbitrary
            document = json.loads(rng.choice(templates))
            document["event_id"] = key
            target = rng.choice(["claim", "lines", "line", "patient", "occurred_at"])
            if target == "claim":
                document["claim"][rng.choice(list(document["claim"]))] = value()
            elif target == "lines":
                document["claim"]["lines"] = value()
            elif target == "line":
                line = document["claim"]["lines"][0]
                line[rng.choice(list(line))] = value()
            elif target == "patient":
                document["claim"]["patient"] = value()
            else:
                document["occurred_at"] = value()
            raw = json.dumps(document).encode()
        fuzz[key] = raw
    return fuzz


async def fuzzed_events(
    bootstrap: str, workdir: Path, guarantee: str, total: int, seed: int = 9
) -> Tally:
    """Arbitrary bytes and arbitrary JSON objects: every one an outcome or a dead letter."""
    fuzz = fuzz_inputs(total, seed)
    tally = Tally(
        "fuzzed events (arbitrary bytes and JSON)", guarantee, f"{total} arbitrary events"
    )
    settings = service_settings(unique(f"fuzz-{guarantee[:3]}"))
    await create_service_topics(bootstrap, settings)
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap, settings, workdir / f"fuzz-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(bootstrap, settings.topic_submitted, keyed(fuzz))
        outputs = await collect(
            bootstrap,
            output_topics(settings),
            expected=len(fuzz),
            timeout=120,
            isolation_level=isolation(guarantee),
        )
        ready, _ = await asyncio.to_thread(service.get, "/health/ready")
        tally.notes.append(f"/health/ready after the fuzz: {ready}")
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, fuzz, set(fuzz), outputs)  # any of them may be a dead letter
