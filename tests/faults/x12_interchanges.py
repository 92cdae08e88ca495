"""X12 interchanges through real `claim-edit serve` processes killed mid-stream: every
claim still gets an outcome and every interchange a 277CA; under exactly-once, as a
read_committed consumer sees it, exactly one of each."""

import asyncio
import json
import random
import signal
import time
from collections import Counter
from pathlib import Path

from tests.faults.scenarios import env_for, isolation
from tests.faults.tally import Tally
from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    create_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess
from tests.x12_837 import interchange_837, numbered_sample_claims


def interchanges(count: int, claims_each: int) -> dict[str, list[str]]:
    """ISA13 → its 837P text and claim ids (distinct across interchanges)."""
    found: dict[str, list[str]] = {}
    for number in range(1, count + 1):
        claims = numbered_sample_claims(claims_each, f"IX{number:03d}")
        found[f"{number:09d}"] = [
            interchange_837(claims, "837P", control_number=number),
            *(c["claim_id"] for c in claims),
        ]
    return found


async def kill_and_restart(
    bootstrap: str, workdir: Path, guarantee: str, *, count: int, claims_each: int, kills: int = 2
) -> Tally:
    rng = random.Random(12)
    prefix = unique(f"x12kill-{guarantee[:3]}")
    settings = service_settings(prefix, batch_max_records=20)
    topics = {"CLAIM_EDIT_TOPIC_X12": f"{prefix}.x12", "CLAIM_EDIT_TOPIC_277CA": f"{prefix}.277ca"}
    await create_service_topics(bootstrap, settings)
    await create_topics(bootstrap, list(topics.values()), partitions=3)
    sent = interchanges(count, claims_each)
    tally = Tally(
        "SIGKILL while X12 interchanges flow, restart each time",
        guarantee,
        f"{kills} x SIGKILL while {count} interchanges of {claims_each} claims are edited",
    )
    started = time.monotonic()
    log = workdir / f"x12-kill-{guarantee}.log"
    env = {**env_for(guarantee, "a"), **topics}
    service = ServiceProcess(bootstrap, settings, log, **env).start()
    await asyncio.to_thread(service.wait_ready)

    async def feed() -> None:
        for number, (text, *_) in sent.items():
            await produce(
                bootstrap, topics["CLAIM_EDIT_TOPIC_X12"], [(number.encode(), text.encode(), [])]
            )
            await asyncio.sleep(0.3)

    feeding = asyncio.create_task(feed())
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(1.0, 3.0))
        service.kill()
        tally.notes.append(f"killed at {time.monotonic() - started:.1f}s")
        service = ServiceProcess(bootstrap, settings, log, **env).start()
    restarted = time.monotonic()
    await feeding
    claim_ids = {claim for _, *claims in sent.values() for claim in claims}
    try:
        answers = await collect(
            bootstrap,
            [topics["CLAIM_EDIT_TOPIC_277CA"]],
            expected=count,
            timeout=240,
            isolation_level=isolation(guarantee),
            settle=3.0,
        )
        outcomes = await collect(
            bootstrap,
            output_topics(settings),
            expected=len(claim_ids),
            timeout=240,
            isolation_level=isolation(guarantee),
            settle=3.0,
        )
        tally.recovery_seconds = round(time.monotonic() - restarted, 1)
    finally:
        service.signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait)
    # an answer's key is <ISA05>:<ISA06>:<ISA13> of the 837 it answers
    per_interchange = Counter((r.key or b"").decode().rsplit(":", 1)[-1] for r in answers)
    per_claim = Counter(json.loads(r.value).get("claim_id") for r in outcomes)
    tally.inputs = count
    tally.outputs = len(answers) + len(outcomes)
    tally.lost = sum(1 for n in sent if per_interchange[n] == 0) + sum(
        1 for c in claim_ids if per_claim[c] == 0
    )
    tally.duplicates = sum(max(0, n - 1) for n in per_interchange.values()) + sum(
        max(0, n - 1) for n in per_claim.values()
    )
    tally.dead_letters = sum(r.topic == settings.topic_dlq for r in outcomes)
    tally.unexpected_dead_letters = tally.dead_letters
    kinds = Counter(dict(r.headers).get("event-type", b"").decode() for r in answers)
    tally.notes.append(
        f"{len(claim_ids)} claims; answers: {dict(kinds)}; "
        f"interchanges answered {sum(1 for n in sent if per_interchange[n])} of {count}"
    )
    tally.seconds = round(time.monotonic() - started, 1)
    return tally
