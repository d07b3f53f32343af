"""The worker's CPU priority below the web server (alliance_procurement/priority.py).

Each case runs in a child process: a process cannot raise its own priority
back once lowered, and the session's group is shared with whatever else is in
the session.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AUTOGROUP = Path("/proc/self/autogroup")
PROBE = (
    "import json, os, sys; from pathlib import Path; "
    "from alliance_procurement.priority import lower_cpu_priority; "
    "lower_cpu_priority(int(sys.argv[1])); "
    "group = Path('/proc/self/autogroup'); "
    "print(json.dumps({'nice': os.nice(0), "
    "'group': group.read_text().split() if group.exists() else None}))"
)


def _probe(niceness: int, *, own_session: bool) -> dict:
    printed = subprocess.run(  # noqa: S603 -- fixed arguments
        [sys.executable, "-c", PROBE, str(niceness)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
    ).stdout
    return json.loads(printed)


def _group_nice(group: list[str]) -> int:
    """``/autogroup-85 nice 10`` → 10."""
    return int(group[group.index("nice") + 1])


needs_autogroup = pytest.mark.skipif(
    not AUTOGROUP.exists(), reason="this kernel groups no sessions"
)


def test_a_session_leader_lowers_itself_and_its_session():
    """A worker started in a session of its own (honcho, the benchmark) ends
    up niced, and so does its session's group, which the scheduler shares
    the CPU by first."""
    probed = _probe(10, own_session=True)
    assert probed["nice"] == max(os.nice(0), 10)
    if probed["group"] is not None:
        assert _group_nice(probed["group"]) == 10


@needs_autogroup
def test_a_process_in_someone_elses_session_leaves_the_session_alone():
    """Started by hand from a shell, the worker lowers only itself, never the
    group of the terminal it shares."""
    before = _group_nice(AUTOGROUP.read_text().split())
    probed = _probe(10, own_session=False)
    assert probed["nice"] == max(os.nice(0), 10)
    assert _group_nice(probed["group"]) == before
    assert _group_nice(AUTOGROUP.read_text().split()) == before


def test_zero_leaves_the_priority_as_started():
    probed = _probe(0, own_session=True)
    assert probed["nice"] == os.nice(0)
    if probed["group"] is not None:
        assert _group_nice(probed["group"]) == 0
