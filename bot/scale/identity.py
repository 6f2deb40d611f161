"""Who this process is among the bot processes sharing a database (issue 18): the id of its
heartbeat row (bot.storage.processes), which also names the owner of the albums it claims
(bot.storage.albums), and its *process space*, in which the kernel can be asked whether a
peer still runs.

The process space is the machine's boot id with the pid namespace's inode: two processes
with the same space see the same pids, so ``kill(pid, 0)`` answering "no such process" means
that peer is gone (killed, crashed) — known at once, without waiting for its heartbeat to
go stale. Processes on other machines, or in other containers, have another space and are
judged by their heartbeat only. A pid reused by an unrelated process reads as alive: the
heartbeat then decides, a few seconds later.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Identity:
    id: str          # host:pid:random
    host: str
    pid: int
    pid_space: str | None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def pid_space() -> str | None:
    """The boot id and the pid namespace (None where the system does not tell)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}:{namespace}" if boot else None


def this_process() -> Identity:
    host = socket.gethostname()
    pid = os.getpid()
    return Identity(f"{host}:{pid}:{secrets.token_hex(3)}", host, pid, pid_space())


def alive(pid: int) -> bool:
    """Whether a process of that pid runs in this process space."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # it runs, under another user
        return True
    return True
