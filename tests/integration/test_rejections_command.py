"""`claim-edit rejections --once` against the real broker after the samples went through."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.kafka_helpers import (
    collect,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.running_service import running_service

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "claims.jsonl"


async def test_snapshot_counts_the_sample_rejections_by_edit_id(kafka_bootstrap: str) -> None:
    settings = service_settings(unique("watch"))
    events = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    async with running_service(kafka_bootstrap, settings):
        await produce(
            kafka_bootstrap,
            settings.topic_submitted,
            [(b"k%d" % i, raw, []) for i, raw in enumerate([*events, b"junk"])],
        )
        await collect(kafka_bootstrap, output_topics(settings), expected=len(events) + 1)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "claim-edit"), "rejections", "--once"],
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CLAIM_EDIT_TOPIC_REJECTED": settings.topic_rejected,
            "CLAIM_EDIT_TOPIC_DLQ": settings.topic_dlq,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rejected = sum(
        json.loads(case)["expect"]["event_type"] == "claim.rejected"
        for case in (SAMPLES.parent / "expected.jsonl").read_text().splitlines()
        if case.strip()
    )
    assert f"rejected claims: {rejected}   dead letters: 1" in done.stdout
    assert "PCI-TERR-002" in done.stdout and "PCI-DOC-001" in done.stdout
    assert "PAYER-MEDICARE" in done.stdout
