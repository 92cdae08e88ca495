"""`claim-edit demo` on the configured broker: every sample's outcome, readable, exit 0."""

import json
import os
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_demo_prints_every_sample_outcome_in_80_columns(kafka_bootstrap: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "claim-edit"), "demo"],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cases = [
        json.loads(text)["expect"]["event_type"]
        for text in (SAMPLES / "expected.jsonl").read_text().splitlines()
        if text.strip()
    ]
    enriched, rejected = cases.count("claim.enriched"), cases.count("claim.rejected")
    summary = (
        f"demo: {len(cases)} outcomes for {len(cases)} claims: {enriched} enriched, "
        f"{rejected} rejected, 0 dead_letter"
    )
    assert summary in done.stdout
    assert "PCI-TERR-004 correction" in done.stdout
    # the claim memory's part: the resent claim is the duplicate, the hospital's claim
    # disagrees with the physician's
    memory = [
        json.loads(text)["expect"]["event_type"]
        for text in (SAMPLES / "memory-expected.jsonl").read_text().splitlines()
        if text.strip()
    ]
    assert f"demo: {len(memory)} outcomes for {len(memory)} claims" in done.stdout
    assert "PCI-HIST-001 line_rejection" in done.stdout
    assert "PCI-HIST-005 warning" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "waiting for their outcomes" in done.stderr
