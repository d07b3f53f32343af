"""A background process below the web server's CPU priority.

A PDF being laid out keeps a core busy for minutes; where the Celery worker
shares a host with gunicorn, the pages should not wait for it. ``nice``
alone does not do that on Linux: with automatic process grouping (the
default on Debian and Ubuntu kernels) the scheduler first shares the CPU
equally between sessions, and only then between the processes of a session
by their niceness. A worker in a session of its own (as honcho, which `make
run` uses, starts every process) so took half of a two-core host however
nice it was. So the worker lowers its session's group too, when it leads
that session (never, say, the terminal that started it by hand).

In a container the cgroup decides instead: docker compose gives the worker a
smaller CPU share (``cpu_shares``), and lowering the session's group there
changes nothing. A process still in the session the host booted with (where
a service manager starts processes without sessions of their own) is in the
kernel's root group, whose share cannot change: the kernel shows no group
for it and none is written.
"""

import os
import time
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def group_niceness(autogroup: Path = AUTOGROUP) -> int | None:
    """The niceness of the session group a process is scheduled in
    (``/autogroup-85 nice 10`` gives 10), or None where it is in none of its
    own: a kernel without automatic grouping, or a process in the session
    the host booted with (the root group, shown as nothing)."""
    try:
        shown = autogroup.read_text().split()
    except OSError:
        return None
    if "nice" not in shown[:-1]:
        return None
    return int(shown[shown.index("nice") + 1])


def lower_cpu_priority(niceness: int) -> None:
    """Run this process (and what it forks) at ``niceness``, and its session's
    group too if it leads the session. ``0`` leaves everything as it is."""
    if niceness <= 0:
        return
    current = os.nice(0)
    if current < niceness:
        os.nice(niceness - current)
    if os.getsid(0) != os.getpid():
        return
    group = group_niceness()
    if group is None or group >= niceness:  # never raise a group's priority
        return
    # From an unprivileged process the kernel takes one change of any group's
    # niceness per tenth of a second and answers EAGAIN to the next.
    for _attempt in range(5):
        try:
            AUTOGROUP.write_text(f"{niceness}\n")
            return
        except BlockingIOError:
            time.sleep(0.1)
        except OSError:  # not allowed here (a locked-down /proc): nice only
            return
