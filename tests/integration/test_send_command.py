"""`claim-edit send` against `claim-edit serve` on the real broker: two worked samples as JSON
lines and the worked 837P come back as `check` prints them, each with its own outcomes."""

import asyncio
import json
import subprocess
from pathlib import Path

from tests.integration.kafka_helpers import (
    create_service_topics,
    create_topics,
    service_settings,
    unique,
)
from tests.integration.service_process import CLAIM_EDIT, ServiceProcess

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def comparable(document: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in document.items() if k not in ("occurred_at", "source", "event_id")}


async def test_send_prints_the_outcomes_of_a_running_service_as_check_does(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = unique("send")
    settings = service_settings(prefix, topic_x12=f"{prefix}.x12", topic_277ca=f"{prefix}.277ca")
    assert settings.topic_x12 is not None
    await create_service_topics(kafka_bootstrap, settings)
    await create_topics(kafka_bootstrap, [settings.topic_x12, settings.topic_277ca], partitions=3)
    two = tmp_path / "two-samples.jsonl"
    lines = (SAMPLES / "claims.jsonl").read_text().splitlines()
    two.write_text("\n".join(lines[1:3]) + "\n")  # a correction, then a rejection
    x12 = SAMPLES / "x12" / "samples.837p.x12"
    claims_in_x12 = x12.read_bytes().count(b"~CLM*")
    service = ServiceProcess(
        kafka_bootstrap,
        settings,
        tmp_path / "service.log",
        CLAIM_EDIT_TOPIC_X12=settings.topic_x12,
        CLAIM_EDIT_TOPIC_277CA=settings.topic_277ca,
    )
    service.start()
    try:
        await asyncio.to_thread(service.wait_ready)
        sent = await asyncio.to_thread(
            subprocess.run,
            [CLAIM_EDIT, "send", "--timeout", "90", str(two), str(x12)],
            env=service.env,
            capture_output=True,
            timeout=180,
            check=False,
        )
    finally:
        service.terminate()
    assert sent.returncode == 0, sent.stderr.decode()[-2000:]
    *outcomes, answer = sent.stdout.splitlines()
    assert answer.startswith(b"ISA*") and b"ST*277*" in answer
    documents = [json.loads(text) for text in outcomes]
    assert len(documents) == 2 + claims_in_x12
    checked = subprocess.run(
        [CLAIM_EDIT, "check", str(two)], capture_output=True, timeout=120, check=True
    )
    expected = [json.loads(text) for text in checked.stdout.splitlines()]
    assert [comparable(d) for d in documents[:2]] == [comparable(d) for d in expected]
    assert [d["event_type"] for d in documents[:2]] == ["claim.enriched", "claim.rejected"]
