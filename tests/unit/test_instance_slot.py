"""Instances on one host take distinct ids without a setting, and a restart takes its old id
back (so exactly-once still fences what the predecessor left open)."""

import subprocess
import sys
from pathlib import Path

from service.adapters.instance_slot import claim_slot


def test_two_live_instances_on_one_host_get_different_ids(tmp_path: Path) -> None:
    first = claim_slot("claim-edit", tmp_path)
    second = claim_slot("claim-edit", tmp_path)
    assert first.instance_id != second.instance_id
    assert first.instance_id.endswith("-0") and second.instance_id.endswith("-1")


def test_a_released_slot_is_taken_again_by_the_next_instance(tmp_path: Path) -> None:
    first = claim_slot("claim-edit", tmp_path)
    first.release()
    assert claim_slot("claim-edit", tmp_path).instance_id == first.instance_id


def test_a_killed_process_frees_its_slot(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path;"
        "from service.adapters.instance_slot import claim_slot;"
        f"s = claim_slot('g', Path({str(tmp_path)!r})); print(s.instance_id, flush=True);"
        "sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    taken = child.stdout.readline().strip()
    assert claim_slot("g", tmp_path).instance_id != taken  # held by the live child
    child.kill()
    child.wait()
    assert claim_slot("g", tmp_path).instance_id == taken


def test_groups_have_slots_of_their_own(tmp_path: Path) -> None:
    assert claim_slot("a", tmp_path).instance_id == claim_slot("b", tmp_path).instance_id
