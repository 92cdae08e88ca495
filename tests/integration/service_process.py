"""`claim-edit serve` as a real OS process, configured by environment variables."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from service.config import ServiceSettings

CLAIM_EDIT = str(Path(sys.executable).parent / "claim-edit")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    def __init__(
        self, bootstrap: str, settings: ServiceSettings, log_path: Path, **extra_env: str
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "CLAIM_EDIT_TOPIC_SUBMITTED": settings.topic_submitted,
            "CLAIM_EDIT_TOPIC_ENRICHED": settings.topic_enriched,
            "CLAIM_EDIT_TOPIC_REJECTED": settings.topic_rejected,
            "CLAIM_EDIT_TOPIC_DLQ": settings.topic_dlq,
            "CLAIM_EDIT_GROUP_ID": settings.group_id,
            "CLAIM_EDIT_HTTP_HOST": "127.0.0.1",
            "CLAIM_EDIT_HTTP_PORT": str(self.port),
            "CLAIM_EDIT_BATCH_MAX_RECORDS": str(settings.batch_max_records),
            **extra_env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ServiceProcess":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [CLAIM_EDIT, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=3) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()
        except OSError:
            return 0, ""

    def wait_until(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited {self.process.returncode}: {self.log_text()}")
            if self.get(path)[0] == 200:
                return
            time.sleep(0.25)
        raise TimeoutError(f"{path} never answered 200: {self.log_text()[-2000:]}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        self.wait_until("/health/ready", timeout)

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def wait(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit code once the process has left its group and closed."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
