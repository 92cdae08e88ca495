"""Fault scenarios for legal but hostile traffic and refusals that never end (issue: nothing
lost, nothing blocked, nothing doubled). Each returns a Tally; the CI tests run them small,
`make faults` at full size."""

import asyncio
import copy
import json
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from benchmarks.corpus import corpus
from service.config import ServiceSettings
from tests.faults.scenarios import (
    Inputs,
    _await_coverage,
    _produce_slowly,
    claims,
    env_for,
    isolation,
    keyed,
)
from tests.faults.tally import Tally, count
from tests.integration.kafka_helpers import (
    Headers,
    create_service_topics,
    create_topics,
    deny_writes,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess

HOSTILE_HEADERS: list[Headers] = [
    [("x-trace", None)],
    [("correlation-id", None)],
    [("correlation-id", b"\xff\xfe\x00binary")],
    [("correlation-id", b"c" * 950_000)],
    [("correlation-id", b"first"), ("correlation-id", None), ("", b"")],
]


@asynccontextmanager
async def serving(
    bootstrap: str, settings: ServiceSettings, log: Path, guarantee: str
) -> AsyncIterator[ServiceProcess]:
    """One `claim-edit serve` process, ready; SIGTERM and wait on leaving."""
    service = ServiceProcess(bootstrap, settings, log, **env_for(guarantee, "a")).start()
    try:
        await asyncio.to_thread(service.wait_ready)
        yield service
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)


async def covered_and_ready(
    bootstrap: str,
    settings: ServiceSettings,
    inputs: Inputs,
    guarantee: str,
    *,
    tally: Tally,
    service: ServiceProcess,
) -> list:  # type: ignore[type-arg]
    """Every input's outcome, and what /health/ready says once they are all there."""
    outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=180)
    ready, _ = await asyncio.to_thread(service.get, "/health/ready")
    tally.notes.append(f"/health/ready afterwards: {ready}")
    return outputs


async def hostile_headers(bootstrap: str, workdir: Path, guarantee: str, total: int) -> Tally:
    """Every third record carries a null, binary, huge or repeated header."""
    settings = service_settings(unique(f"hdr-{guarantee[:3]}"), batch_max_records=100)
    await create_service_topics(bootstrap, settings)
    inputs = claims(total, "hdr", seed=11)
    records = [
        (key.encode(), raw, HOSTILE_HEADERS[(i // 3) % len(HOSTILE_HEADERS)] if i % 3 == 0 else [])
        for i, (key, raw) in enumerate(inputs.items())
    ]
    tally = Tally(
        "hostile headers (null, binary, 950 KB, repeated) on every third record",
        guarantee,
        f"{total} claims, a third with hostile headers",
    )
    started = time.monotonic()
    async with serving(bootstrap, settings, workdir / f"hdr-{guarantee}.log", guarantee) as svc:
        await produce(bootstrap, settings.topic_submitted, records)
        outputs = await covered_and_ready(
            bootstrap, settings, inputs, guarantee, tally=tally, service=svc
        )
    longest = max(
        (len(v) for r in outputs for k, v in r.headers if k == "correlation-id"), default=0
    )
    tally.notes.append(f"longest correlation-id copied: {longest} bytes")
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def refused_outputs(bootstrap: str, workdir: Path, guarantee: str, total: int) -> Tally:
    """The rejected topic takes 1 KiB at most and an ACL denies the enriched topic: every
    outcome is refused for good and must become an `unpublishable` dead letter."""
    prefix = unique(f"refuse-{guarantee[:3]}")
    settings = service_settings(prefix, batch_max_records=100)
    await create_topics(
        bootstrap,
        [settings.topic_submitted, *output_topics(settings)],
        configs={settings.topic_rejected: {"max.message.bytes": "1024"}},
    )
    await deny_writes(bootstrap, settings.topic_enriched)
    inputs = claims(total, "refuse", seed=12)
    tally = Tally(
        "outputs refused for good (rejected topic limit 1 KiB, enriched topic denied by ACL)",
        guarantee,
        f"{total} claims whose outcomes cannot be published",
    )
    started = time.monotonic()
    log = workdir / f"refuse-{guarantee}.log"
    async with serving(bootstrap, settings, log, guarantee) as service:
        await produce(bootstrap, settings.topic_submitted, keyed(inputs))
        outputs = await covered_and_ready(
            bootstrap, settings, inputs, guarantee, tally=tally, service=service
        )
    kinds = {json.loads(r.value or b"{}").get("error_kind") for r in outputs}
    tally.notes.append(f"dead-letter kinds: {sorted(str(k) for k in kinds)}")
    tally.notes.append(f"tracebacks logged: {service.log_text().count('Traceback')}")
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(inputs), outputs)


async def dead_letter_topic_denied(
    bootstrap: str, workdir: Path, guarantee: str, total: int
) -> Tally:
    """An ACL denies the dead-letter topic and a poison event arrives: the service must stop
    with a clear error and a non-zero exit, not loop; the claims before it keep one outcome."""
    settings = service_settings(unique(f"dlqacl-{guarantee[:3]}"), batch_max_records=50)
    await create_service_topics(bootstrap, settings)
    await deny_writes(bootstrap, settings.topic_dlq)
    inputs = claims(total, "dlqacl", seed=13)
    tally = Tally(
        "dead-letter topic denied by ACL, then a poison event",
        guarantee,
        f"{total} claims, then one undecodable event",
    )
    started = time.monotonic()
    service = ServiceProcess(
        bootstrap, settings, workdir / f"dlqacl-{guarantee}.log", **env_for(guarantee, "a")
    ).start()
    try:
        await asyncio.to_thread(service.wait_ready)
        await produce(
            bootstrap, settings.topic_submitted, [(b"same", v, []) for v in inputs.values()]
        )
        await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=120)
        await produce(bootstrap, settings.topic_submitted, [(b"same", b"\x00poison", [])])
        exit_code = await asyncio.to_thread(service.wait, 60)
    finally:
        service.kill()
    tally.notes.append(f"exit code: {exit_code}")
    tally.notes.append(
        "stderr names the refusal: "
        + str(
            "TopicAuthorizationFailedError" in service.log_text()
            and "dead-letter" in service.log_text()
        )
    )
    from tests.integration.kafka_helpers import collect

    outputs = await collect(
        bootstrap,
        output_topics(settings),
        expected=0,
        timeout=5,
        settle=2.0,
        isolation_level=isolation(guarantee),
        done=lambda _: False,
    )
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


def largest_claim(document: dict[str, Any], index: int) -> dict[str, Any]:
    """The contract's largest claim: 50 lines and 50 lesions."""
    big = copy.deepcopy(document)
    template = big["claim"]["lines"][0]
    big["claim"]["lines"] = [{**template, "line_number": n} for n in range(1, 51)]
    lesion = (big["claim"].get("procedure") or {}).get("lesions", [{}])[0] or {"lesion_id": "L"}
    procedure = big["claim"].setdefault("procedure", {})
    procedure["lesions"] = [
        {**lesion, "lesion_id": f"L{n}", "line_number": n} for n in range(1, 51)
    ]
    big["event_id"] = f"big-{index:06d}"
    return big


async def long_batches(bootstrap: str, workdir: Path, guarantee: str, total: int) -> Tally:
    """Batches of 500 of the largest claims with the shortest allowed session (6 s): the
    member must stay in its group and /health/live must answer throughout."""
    settings = service_settings(unique(f"long-{guarantee[:3]}"), batch_max_records=500)
    await create_service_topics(bootstrap, settings)
    documents = [largest_claim(d, i) for i, d in enumerate(corpus(total, seed=14))]
    inputs: Inputs = {d["event_id"]: orjson.dumps(d) for d in documents}
    tally = Tally(
        "largest claims (50 lines, 50 lesions) in batches of 500, 6 s session",
        guarantee,
        f"{total} claims of ~{max(len(v) for v in inputs.values()) // 1024} KB",
    )
    started = time.monotonic()
    live_failures = 0
    probes = 0
    async with serving(
        bootstrap, settings, workdir / f"long-{guarantee}.log", guarantee
    ) as service:
        await produce(bootstrap, settings.topic_submitted, keyed(inputs))
        coverage = asyncio.create_task(
            _await_coverage(bootstrap, settings, inputs, guarantee, timeout=300)
        )
        while not coverage.done():
            status, _ = await asyncio.to_thread(service.get, "/health/live")
            probes += 1
            live_failures += status != 200
            await asyncio.sleep(0.5)
        outputs = await coverage
    tally.notes.append(f"/health/live: {probes - live_failures} of {probes} probes answered 200")
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)


async def members_join_and_leave(
    bootstrap: str, workdir: Path, guarantee: str, total: int
) -> Tally:
    """Six partitions; three more members join while the stream runs, then one leaves."""
    settings = service_settings(unique(f"scale-{guarantee[:3]}"), batch_max_records=200)
    await create_service_topics(bootstrap, settings)
    documents = [
        largest_claim(d, i) if i % 4 == 0 else d for i, d in enumerate(corpus(total, seed=15))
    ]
    for i, d in enumerate(documents):
        d["event_id"] = f"scale-{i:06d}"
    inputs: Inputs = {d["event_id"]: orjson.dumps(d) for d in documents}
    tally = Tally(
        "three members join mid-stream, one leaves",
        guarantee,
        f"{total} claims (a quarter of them the largest) on 6 partitions",
    )
    started = time.monotonic()

    def member(name: str) -> ServiceProcess:
        return ServiceProcess(
            bootstrap,
            settings,
            workdir / f"scale-{name}-{guarantee}.log",
            **env_for(guarantee, name),
        )

    members = [member("a").start()]
    try:
        await asyncio.to_thread(members[0].wait_ready)
        feeding = asyncio.create_task(
            _produce_slowly(
                bootstrap, settings.topic_submitted, inputs, chunk=max(1, total // 20), pause=0.3
            )
        )
        for name in ("b", "c", "d"):
            await asyncio.sleep(1.0)
            members.append(member(name).start())
        await asyncio.sleep(2.0)
        members[1].signal(signal.SIGTERM)
        left_code = await asyncio.to_thread(members[1].wait)
        tally.notes.append(f"member b left with exit code {left_code}")
        await feeding
        outputs = await _await_coverage(bootstrap, settings, inputs, guarantee, timeout=300)
    finally:
        for process in members:
            if process.process is not None and process.process.poll() is None:
                process.signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(p.wait) for p in members]
    tally.notes.append(f"exit codes: {codes}")
    tally.seconds = round(time.monotonic() - started, 1)
    return count(tally, inputs, set(), outputs)
