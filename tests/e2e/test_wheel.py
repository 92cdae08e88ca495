"""The built wheel is the whole product: installed (not editable) into a fresh virtualenv,
`claim-edit` checks claims and lists the catalog from any directory."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = work.glob("claim_edit-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True
    )
    return venv / "bin" / "claim-edit"


def run(claim_edit: Path, *args: str, cwd: Path, stdin: bytes = b"") -> str:
    done = subprocess.run(
        [str(claim_edit), *args], cwd=cwd, input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_the_installed_check_edits_the_samples_with_the_packaged_tables(
    installed: Path, tmp_path: Path
) -> None:
    samples = (ROOT / "samples" / "claims.jsonl").read_bytes()
    outputs = [
        json.loads(line)
        for line in run(installed, "check", cwd=tmp_path, stdin=samples).splitlines()
    ]
    assert len(outputs) == len([line for line in samples.splitlines() if line.strip()])
    assert {o["event_type"] for o in outputs} == {"claim.enriched", "claim.rejected"}
    # the samples are of 2026, and one of 2025 (a physician's 93458-26): both packaged rulesets
    assert {o["ruleset"]["version"] for o in outputs} == {"pci-2025", "pci-2026.1"}


def test_the_installed_rules_and_version_answer_from_another_directory(
    installed: Path, tmp_path: Path
) -> None:
    assert "PCI-TERR-001" in run(installed, "rules", "--as-of", "2026-03-02", cwd=tmp_path)
    assert run(installed, "--version", cwd=tmp_path).startswith("claim-edit ")


def test_the_wheel_carries_its_data_and_no_source_tree_paths(installed: Path) -> None:
    site = next(installed.parent.parent.glob("lib/python*/site-packages"))
    assert (site / "reference" / "rulesets.toml").is_file()
    assert (site / "reference" / "pci-2025" / "ZIP5_OCT2025.txt.gz").is_file()
    assert (site / "reference" / "pci-2025" / "GPCI2025.csv").is_file()
    assert (site / "reference" / "pci-2026.1" / "GPCI2026.csv").is_file()
    assert (site / "reference" / "pci-2026.1" / "carried_forward.csv").is_file()
    assert (site / "samples" / "claims.jsonl").is_file()
    assert (site / "contracts" / "schemas" / "claim.submitted.v1.json").is_file()
    assert not (site / "tests").exists()
