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

from alliance_procurement.priority import group_niceness

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, os, sys; "
    "from alliance_procurement.priority import group_niceness, lower_cpu_priority; "
    "[lower_cpu_priority(int(niceness)) for niceness in sys.argv[1:]]; "
    "print(json.dumps({'nice': os.nice(0), 'group': group_niceness()}))"
)


def _probe(*niceness: int, own_session: bool) -> dict:
    """A child that lowers its priority to each of ``niceness`` in turn."""
    printed = subprocess.run(  # noqa: S603 -- fixed arguments
        [sys.executable, "-c", PROBE, *map(str, niceness)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
    ).stdout
    return json.loads(printed)


needs_a_session_group = pytest.mark.skipif(
    group_niceness() is None,
    reason="this process is in the root scheduling group, which has no niceness",
)


@pytest.mark.parametrize(
    ("shown", "niceness"),
    [
        ("/autogroup-85 nice 10\n", 10),
        ("/autogroup-7 nice -5\n", -5),
        ("/autogroup-85 nice 0\n", 0),
        # A process in the root group (the session the host booted with).
        ("", None),
        ("\n", None),
    ],
)
def test_the_session_groups_niceness_is_read_from_what_the_kernel_shows(
    tmp_path, shown, niceness
):
    autogroup = tmp_path / "autogroup"
    autogroup.write_text(shown)
    assert group_niceness(autogroup) == niceness


def test_no_session_group_where_the_kernel_shows_none(tmp_path):
    assert group_niceness(tmp_path / "missing") is None


def test_a_session_leader_lowers_itself_and_its_session():
    """A worker started in a session of its own (honcho, the benchmark) ends
    up niced, and so does its session's group, which the scheduler shares
    the CPU by first."""
    probed = _probe(10, own_session=True)
    assert probed["nice"] == max(os.nice(0), 10)
    if probed["group"] is not None:
        assert probed["group"] == 10


@needs_a_session_group
def test_a_process_in_someone_elses_session_leaves_the_session_alone():
    """Started by hand from a shell, the worker lowers only itself, never the
    group of the terminal it shares."""
    before = group_niceness()
    probed = _probe(10, own_session=False)
    assert probed["nice"] == max(os.nice(0), 10)
    assert probed["group"] == before
    assert group_niceness() == before


def test_a_lower_priority_already_set_is_kept():
    """Started at 15 (by whoever runs it), a worker asked for 10 stays at 15,
    and so does its session's group."""
    probed = _probe(15, 10, own_session=True)
    assert probed["nice"] == max(os.nice(0), 15)
    if probed["group"] is not None:
        assert probed["group"] == 15


def test_zero_leaves_the_priority_as_started():
    probed = _probe(0, own_session=True)
    assert probed["nice"] == os.nice(0)
    if probed["group"] is not None:
        assert probed["group"] == 0
