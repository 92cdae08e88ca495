"""The local broker tells in one line what the machine lacks, never with a traceback."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_without_java_the_local_broker_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to(sys.executable)
    for tool in ("bash", "tail", "dirname", "env"):
        found = subprocess.run(["which", tool], capture_output=True, text=True, check=True)
        (bare / tool).symlink_to(found.stdout.strip())
    env = {
        "PATH": str(bare),
        "KAFKA_LOCAL_HOME": str(tmp_path / "home"),
        "KAFKA_LOCAL_CACHE": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
    }
    for command in (
        [str(bare / "python3"), str(ROOT / "service" / "kafka_local.py"), "start"],
        [str(bare / "bash"), str(ROOT / "scripts" / "with-kafka"), "true"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "java" in lines[0] and "KAFKA_BOOTSTRAP_SERVERS" in lines[0]
        assert "Traceback" not in done.stderr
