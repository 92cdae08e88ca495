"""An instance id that is stable on a host and never shared by two live processes there.

Exactly-once writes under the transactional id `<group_id>-<instance_id>`; two processes
with one id fence each other. When CLAIM_EDIT_INSTANCE_ID is not set, each process takes
`<host name>-<n>`, n the lowest slot whose lock file no live process holds (an exclusive
`flock`, released by the kernel when the process ends, however it ends). A restarted
instance takes its old slot back, so it still fences what its predecessor left open.
"""

import contextlib
import fcntl
import os
import socket
import tempfile
from pathlib import Path
from typing import IO

SLOTS = 256


class InstanceSlot:
    def __init__(self, instance_id: str, lock: IO[bytes] | None) -> None:
        self.instance_id = instance_id
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None


def claim_slot(group_id: str, directory: Path | None = None) -> InstanceSlot:
    """The lowest free slot of this host for the group; its lock is held until release()
    or the end of the process."""
    folder = directory or Path(tempfile.gettempdir()) / "claim-edit-instances"
    folder.mkdir(parents=True, exist_ok=True)
    safe_group = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in group_id)
    host = socket.gethostname()
    for slot in range(SLOTS):
        lock = (folder / f"{safe_group}-{slot}.lock").open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return InstanceSlot(f"{host}-{slot}", lock)
    # Every slot taken (or locks unsupported here): unique for this process at least.
    return InstanceSlot(f"{host}-pid{os.getpid()}", None)
