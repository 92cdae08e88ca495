"""Fault scenarios for the claim memory (issue 22): replays after SIGKILL, two instances
racing on one patient, and PostgreSQL stopped mid-stream. Real `claim-edit serve` processes,
a real broker and a real PostgreSQL.

Every run gives its patients, claim ids and event ids a token of its own, so runs sharing one
database (scripts/with-postgres keeps its data) never see each other's claims. What a run
without the fault would give is the domain's answer with a plain list per patient
(tests/history_cases.edit_in_order), in the order the claims were sent: each patient's
claims travel on one key, so one partition keeps their order.
"""

import asyncio
import copy
import json
import shutil
import signal
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from benchmarks.corpus import corpus
from contracts import ClaimSubmitted
from service.devtools import local_postgres
from tests.faults.scenarios import (
    Inputs,
    _await_coverage,
    env_for,
    isolation,
)
from tests.faults.tally import Tally, count, input_identity
from tests.history_cases import edit_in_order
from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess

DUPLICATE = "PCI-HIST-001"
SECRET = "faults-memory-secret"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
Signature = tuple[str, tuple[tuple[str, tuple[int, ...]], ...]]
"""An outcome as the scenarios compare it: event type and findings (edit id, line numbers)."""


def memory_env(url: str, guarantee: str, instance: str) -> dict[str, str]:
    return {
        **env_for(guarantee, instance),
        "CLAIM_EDIT_MEMORY_URL": url,
        "CLAIM_EDIT_MEMORY_SECRET": SECRET,
    }


def signature_of(document: dict[str, Any]) -> Signature:
    findings = document.get("findings") or []
    return (
        str(document["event_type"]),
        tuple(sorted((str(f["edit_id"]), tuple(f["line_numbers"])) for f in findings)),
    )


def expected_signatures(inputs: Inputs) -> dict[str, Signature]:
    """Each input's outcome without the fault: the domain, a list per patient, send order."""
    events = [ClaimSubmitted.model_validate_json(raw) for raw in inputs.values()]
    outcomes = edit_in_order(events)
    return {
        key: (
            outcomes[key].event_type,
            tuple(sorted((f.edit_id, tuple(f.line_numbers)) for f in outcomes[key].findings)),
        )
        for key in inputs
    }


def claims_with_duplicates(
    total: int, prefix: str, seed: int, every: int = 5
) -> tuple[Inputs, set[str]]:
    """`total` claims of the benchmark corpus, each of a patient of its own, except that every
    `every`-th one resends an earlier accepted claim (same patient, identical lines, a new
    claim id and event id). Returns the inputs in send order and the planted duplicates."""
    token = uuid.uuid4().hex[:8]
    documents = corpus(total, seed=seed)
    inputs: Inputs = {}
    planted: set[str] = set()
    accepted: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        event_id = f"{prefix}-{index:06d}"
        if index % every == every - 1 and accepted:
            resent = copy.deepcopy(accepted[(index * 7919) % len(accepted)])
            resent["event_id"] = event_id
            resent["claim"]["claim_id"] = f"{prefix}-{token}-{index:06d}"
            inputs[event_id] = orjson.dumps(resent)
            planted.add(event_id)
            continue
        document["event_id"] = event_id
        document["claim"]["claim_id"] = f"{prefix}-{token}-{index:06d}"
        document["claim"]["patient"]["member_id"] = f"M-{token}-{index:06d}"
        inputs[event_id] = orjson.dumps(document)
        alone = expected_signatures({event_id: inputs[event_id]})[event_id]
        if alone[0] == "claim.enriched":
            accepted.append(document)
    return inputs, planted


def by_patient(inputs: Inputs) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    """Keyed by member id: one patient's claims on one partition, in send order."""
    return [
        (json.loads(raw)["claim"]["patient"]["member_id"].encode(), raw, [])
        for raw in inputs.values()
    ]


def judge(
    tally: Tally,
    inputs: Inputs,
    outputs: Sequence[ConsumerRecord[bytes, bytes]],
    planted: set[str],
) -> Tally:
    """Counts, then what memory adds: copies of one input that differ, outcomes a run
    without the fault would not give, and which inputs were rejected as duplicates."""
    count(tally, inputs, set(), outputs)
    expected = expected_signatures(inputs)
    raw_to_id = {raw: key for key, raw in inputs.items()}
    copies: dict[str, list[tuple[Signature, str, bytes]]] = defaultdict(list)
    for (key, document), record in zip(input_identity(outputs, raw_to_id), outputs, strict=True):
        copies[key].append((signature_of(document), str(document["event_id"]), record.value or b""))
    differing_copies = sum(1 for found in copies.values() if len({(s, e) for s, e, _ in found}) > 1)
    byte_different = sum(1 for found in copies.values() if len({raw for *_, raw in found}) > 1)
    unexpected = sorted(
        key for key, found in copies.items() if key in expected and found[0][0] != expected[key]
    )
    duplicates_found = {
        key
        for key, found in copies.items()
        if any(edit_id == DUPLICATE for edit_id, _ in found[0][0][1])
    }
    tally.measured.update(
        {
            "planted_duplicates": len(planted),
            "duplicate_rejections": len(duplicates_found),
            "duplicates_as_planted": duplicates_found == planted,
            "copies_with_another_outcome": differing_copies,
            "copies_with_other_bytes": byte_different,
            "outcomes_unlike_a_run_without_the_fault": len(unexpected),
        }
    )
    if unexpected:
        shown = [f"{key}: got {copies[key][0][0]} want {expected[key]}" for key in unexpected[:3]]
        tally.notes.append("unlike a run without the fault: " + "; ".join(shown))
    tally.notes.append(
        f"{len(duplicates_found)} rejected as duplicates of {len(planted)} planted "
        f"({len(duplicates_found & planted)} of them planted)"
    )
    return tally


async def replay_after_kills(
    bootstrap: str, workdir: Path, memory_url: str, guarantee: str, total: int, *, kills: int = 2
) -> Tally:
    """Claims with planted duplicates while the service is SIGKILLed and restarted: each
    input's copies carry one outcome, and exactly the planted duplicates are rejected as such.
    Then every input is edited once more, by a service in a group of its own writing to
    topics of its own (a replay of the whole stream, as after offsets lost): each replay must
    give the outcome the first edit gave."""
    settings = service_settings(unique(f"mreplay-{guarantee[:3]}"), batch_max_records=50)
    await create_service_topics(bootstrap, settings)
    inputs, planted = claims_with_duplicates(total, "mrep", seed=11)
    tally = Tally(
        "memory: SIGKILL and replay with duplicates planted",
        guarantee,
        f"{kills} x SIGKILL while {total} claims flow ({len(planted)} resent under new "
        "ids), then the whole stream edited again by another group",
    )
    env = memory_env(memory_url, guarantee, "a")
    log = workdir / f"mreplay-{guarantee}.log"
    started = time.monotonic()
    service = ServiceProcess(bootstrap, settings, log, **env).start()
    await asyncio.to_thread(service.wait_ready)
    items = by_patient(inputs)
    chunk = max(1, total // 20)

    async def feed() -> None:
        for start in range(0, len(items), chunk):
            await produce(bootstrap, settings.topic_submitted, items[start : start + chunk])
            await asyncio.sleep(0.25)

    feeding = asyncio.create_task(feed())
    last_restart = time.monotonic()
    for kill in range(kills):
        # each kill once the (restarted) service has written more, so it dies mid-stream
        await collect(
            bootstrap,
            output_topics(settings),
            expected=min(total, (kill + 1) * total // (kills + 2)),
            timeout=120,
            isolation_level=isolation(guarantee),
        )
        service.kill()
        tally.notes.append(f"killed at {time.monotonic() - started:.1f}s")
        service = ServiceProcess(bootstrap, settings, log, **env).start()
        last_restart = time.monotonic()
    await feeding
    try:
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=300)
        tally.recovery_seconds = round(time.monotonic() - last_restart, 1)
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    replay_settings = service_settings(unique(f"mreplay2-{guarantee[:3]}"), batch_max_records=50)
    await create_service_topics(bootstrap, replay_settings)
    replay_settings = replay_settings.model_copy(
        update={"topic_submitted": settings.topic_submitted}
    )
    again = ServiceProcess(
        bootstrap,
        replay_settings,
        workdir / f"mreplay2-{guarantee}.log",
        **memory_env(memory_url, guarantee, "replay"),
    ).start()
    try:
        replayed = await _await_coverage(bootstrap, replay_settings, inputs, guarantee, 300)
    finally:
        again.signal(signal.SIGTERM)
        await asyncio.to_thread(again.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    judge(tally, inputs, outputs, planted)
    first = _first_outcomes(inputs, outputs)
    second = _first_outcomes(inputs, replayed)
    tally.measured["replayed_inputs"] = len(second)
    tally.measured["replays_with_another_outcome"] = sum(
        1 for key, found in second.items() if first.get(key) != found
    )
    return tally


def _first_outcomes(
    inputs: Inputs, outputs: Sequence[ConsumerRecord[bytes, bytes]]
) -> dict[str, tuple[Signature, str]]:
    """Each input's first outcome: its signature and its event id."""
    raw_to_id = {raw: key for key, raw in inputs.items()}
    found: dict[str, tuple[Signature, str]] = {}
    for key, document in input_identity(outputs, raw_to_id):
        found.setdefault(key, (signature_of(document), str(document["event_id"])))
    return found


def _template() -> dict[str, Any]:
    """The worked sample's first claim: a clean LAD stent, accepted when alone."""
    first = (SAMPLES / "memory-claims.jsonl").read_text().splitlines()[0]
    document: dict[str, Any] = json.loads(first)
    return document


async def _produce_to_partitions(
    bootstrap: str, topic: str, records: Sequence[tuple[int, bytes, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        pending = [
            await producer.send(topic, value, key=key, partition=partition)
            for partition, key, value in records
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def pairs_on_two_instances(
    bootstrap: str, workdir: Path, memory_url: str, guarantee: str, pairs: int, *, waves: int = 10
) -> Tally:
    """Two instances in one group; each pair is one patient's identical claim twice (two claim
    ids) on partitions p and p+3 of six, so on different instances under a range or a
    round-robin assignment, sent together: exactly one of each pair is the duplicate. The
    pairs go in `waves` bursts a second apart, so both instances are running and idle when a
    burst lands and edit its two halves at the same time (which instance found the duplicate
    is in the notes: both finding some shows the race was run)."""
    settings = service_settings(unique(f"mpairs-{guarantee[:3]}"), batch_max_records=100)
    await create_service_topics(bootstrap, settings)  # six partitions
    token = uuid.uuid4().hex[:8]
    template = _template()
    inputs: Inputs = {}
    records: list[tuple[int, bytes, bytes]] = []
    pair_of: dict[str, int] = {}
    for pair in range(pairs):
        for side, partition in (("a", pair % 3), ("b", pair % 3 + 3)):
            document = copy.deepcopy(template)
            document["event_id"] = f"mpair-{pair:05d}-{side}"
            document["claim"]["claim_id"] = f"MP-{token}-{pair:05d}-{side}"
            document["claim"]["patient"]["member_id"] = f"M-{token}-{pair:05d}"
            raw = orjson.dumps(document)
            inputs[document["event_id"]] = raw
            pair_of[document["event_id"]] = pair
            records.append((partition, f"{pair}-{side}".encode(), raw))
    tally = Tally(
        "memory: two instances, one patient's identical claims on two partitions",
        guarantee,
        f"{pairs} pairs in {waves} bursts, the two claims of a pair to different instances",
    )
    started = time.monotonic()
    processes = [
        ServiceProcess(
            bootstrap,
            settings,
            workdir / f"mpairs-{name}-{guarantee}.log",
            **memory_env(memory_url, guarantee, name),
        ).start()
        for name in ("a", "b")
    ]
    try:
        await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p in processes))
        await asyncio.sleep(8)  # both members in the group before the first record
        size = max(2, len(records) // waves)
        for start in range(0, len(records), size):
            await _produce_to_partitions(
                bootstrap, settings.topic_submitted, records[start : start + size]
            )
            await asyncio.sleep(1.0)
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=300)
        for name, process in zip(("a", "b"), processes, strict=True):
            _, text = await asyncio.to_thread(process.get, "/metrics")
            tally.notes.append(f"instance {name}: {_instance_share(text)}")
            tally.measured[f"instance_{name}_outcomes"] = _metric_sum(
                text, "claim_edit_outcomes_total"
            )
            tally.measured[f"instance_{name}_duplicates"] = _metric_sum(
                text, "claim_edit_findings_total", having='"PCI-HIST-001"'
            )
    finally:
        for process in processes:
            process.signal(signal.SIGTERM)
        for process in processes:
            await asyncio.to_thread(process.wait)
    tally.seconds = round(time.monotonic() - started, 1)
    count(tally, inputs, set(), outputs)
    rejected_per_pair: dict[int, int] = defaultdict(int)
    raw_to_id = {raw: key for key, raw in inputs.items()}
    seen: set[str] = set()
    for key, document in input_identity(outputs, raw_to_id):
        if key in seen or key not in pair_of:
            continue
        seen.add(key)
        if any(edit_id == DUPLICATE for edit_id, _ in signature_of(document)[1]):
            rejected_per_pair[pair_of[key]] += 1
    spread: dict[int, int] = defaultdict(int)
    for pair in range(pairs):
        spread[rejected_per_pair[pair]] += 1
    tally.measured.update(
        {
            "pairs": pairs,
            "pairs_with_exactly_one_duplicate": spread[1],
            "pairs_with_no_duplicate": spread[0],
            "pairs_with_two_duplicates": spread[2],
        }
    )
    by_instance = {p.log_path.name: p.log_text().count("Traceback") for p in processes}
    tally.notes.append(f"pairs by duplicates found: {dict(sorted(spread.items()))}")
    tally.notes.append(f"tracebacks per instance log: {by_instance}")
    return tally


def _metric_sum(text: str, name: str, *, having: str = "") -> int:
    """The sum of a Prometheus counter's samples whose labels contain `having`."""
    total = 0.0
    for line in text.splitlines():
        if (line.startswith(name + "{") or line.startswith(name + " ")) and having in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _instance_share(text: str) -> str:
    """What one instance did, from its /metrics: outcomes, duplicates, partitions held."""
    partitions = sorted(
        {
            line.split('partition="', 1)[1].split('"', 1)[0]
            for line in text.splitlines()
            if line.startswith("claim_edit_consumer_lag{") and 'partition="' in line
        }
    )
    outcomes = _metric_sum(text, "claim_edit_outcomes_total")
    duplicates = _metric_sum(text, "claim_edit_findings_total", having='"PCI-HIST-001"')
    return f"{outcomes} outcomes, {duplicates} duplicates, input partitions {partitions}"


async def _watch_readiness(
    service: ServiceProcess, since: float, seconds: float
) -> list[tuple[float, int]]:
    """/health/ready every 0.5 s until `seconds` after `since`: (seconds since, status)."""
    statuses: list[tuple[float, int]] = []
    while time.monotonic() < since + seconds:
        answer = (await asyncio.to_thread(service.get, "/health/ready"))[0]
        statuses.append((time.monotonic() - since, answer))
        await asyncio.sleep(0.5)
    return statuses


def _note_readiness(tally: Tally, statuses: list[tuple[float, int]]) -> None:
    not_ready = [at for at, answer in statuses if answer == 503]
    tally.measured["ready_503_during_outage"] = bool(not_ready)
    tally.measured["first_503_after_seconds"] = round(not_ready[0], 1) if not_ready else None
    tally.measured["ready_200_after_first_503"] = sum(
        1 for at, answer in statuses if answer == 200 and not_ready and at > not_ready[0]
    )
    first = f"{not_ready[0]:.1f}s" if not_ready else "never"
    tally.notes.append(
        f"/health/ready during the outage: {len(not_ready)} x 503 of {len(statuses)} probes, "
        f"the first {first} after the stop"
    )


def _port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def postgres_outage(
    bootstrap: str, workdir: Path, guarantee: str, total: int, outage_seconds: float = 10.0
) -> Tally:
    """A PostgreSQL of its own (service/devtools/local_postgres), stopped mid-stream for
    `outage_seconds` and started again on the same port: not ready meanwhile, nothing lost,
    and every outcome the one a run without the fault gives."""
    home = local_postgres.PROJECT / ".postgres" / f"outage-{uuid.uuid4().hex[:8]}"
    if await asyncio.to_thread(local_postgres.start, home) != 0:
        raise RuntimeError(f"the scenario's PostgreSQL did not start: see {home}/server.log")
    url = local_postgres.url_of(home)
    assert url is not None
    from service.adapters.memory import apply_migrations

    await asyncio.to_thread(apply_migrations, url)
    settings = service_settings(unique(f"mout-{guarantee[:3]}"), batch_max_records=50)
    inputs, planted = claims_with_duplicates(total, "mout", seed=12)
    tally = Tally(
        "memory: PostgreSQL stopped and restarted mid-stream",
        guarantee,
        f"PostgreSQL down {outage_seconds:.0f}s while {total} claims flow "
        f"({len(planted)} resent under new ids)",
    )
    started = time.monotonic()
    service = None
    try:
        await create_service_topics(bootstrap, settings)
        items = by_patient(inputs)
        first, second = items[: len(items) // 2], items[len(items) // 2 :]
        service = ServiceProcess(
            bootstrap,
            settings,
            workdir / f"mout-{guarantee}.log",
            **memory_env(url, guarantee, "a"),
        ).start()
        await asyncio.to_thread(service.wait_ready)
        await produce(bootstrap, settings.topic_submitted, first)
        await collect(
            bootstrap,
            output_topics(settings),
            expected=min(20, len(first)),
            timeout=60,
            isolation_level=isolation(guarantee),
        )
        await asyncio.to_thread(local_postgres.stop, home)
        down = time.monotonic()
        await produce(bootstrap, settings.topic_submitted, second)
        _note_readiness(tally, await _watch_readiness(service, down, outage_seconds))
        port = _port_of(url)
        if await asyncio.to_thread(local_postgres.start, home, port) != 0:
            raise RuntimeError(f"the scenario's PostgreSQL did not restart on port {port}")
        back = time.monotonic()
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=300)
        tally.recovery_seconds = round(time.monotonic() - back, 1)
        status, _ = await asyncio.to_thread(service.get, "/health/ready")
        tally.notes.append(f"/health/ready after: {status}")
        _, text = await asyncio.to_thread(service.get, "/metrics")
        waits = _metric_sum(text, "claim_edit_editing_unavailable_total")
        tally.notes.append(f"waits for the memory (claim_edit_editing_unavailable_total): {waits}")
    finally:
        if service is not None:
            service.signal(signal.SIGTERM)
            await asyncio.to_thread(service.wait)
        await asyncio.to_thread(local_postgres.stop, home)
        shutil.rmtree(home, ignore_errors=True)
    tally.seconds = round(time.monotonic() - started, 1)
    return judge(tally, inputs, outputs, planted)
