"""The systemd units of ``deploy/systemd``: systemd reads them without a
complaint, every queue has a worker, and a stop waits for gunicorn."""

import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
PREFIX = "/opt/alliance-procurement"
SERVICES = (
    "alliance-procurement-web.service",
    "alliance-procurement-worker@.service",
    "alliance-procurement-beat.service",
)


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with its values in order (a key such
    as ``Environment=`` may be given more than once)."""
    text = re.sub(r"\\\n\s*", " ", (UNITS / name).read_text())
    sections: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key, []).append(value)
    return sections


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def _verify(*units: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 -- fixed arguments, our own files
        ["systemd-analyze", "verify", *map(str, units)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )


@needs_systemd
def test_systemd_reads_every_unit_without_a_complaint(tmp_path):
    # Pointed at this checkout, whose virtual environment ``make install``
    # built, so that systemd also finds every command they run.
    for unit in UNITS.iterdir():
        if unit.suffix in (".service", ".target"):
            name = unit.name.replace("@.service", "@documents.service")
            (tmp_path / name).write_text(unit.read_text().replace(PREFIX, str(ROOT)))
    result = _verify(*sorted(tmp_path.iterdir()))
    assert (result.returncode, result.stderr) == (0, "")


@needs_systemd
def test_a_misspelt_setting_or_a_missing_command_is_a_complaint(tmp_path):
    """The check above can fail: systemd names a key it does not know, and a
    command that is not there."""
    unit = tmp_path / "alliance-procurement-beat.service"
    unit.write_text(
        (UNITS / unit.name)
        .read_text()
        .replace(PREFIX, str(ROOT))
        .replace("RestartSec=", "RestartSecs=")
    )
    assert "RestartSecs" in _verify(unit).stderr
    unit.write_text((UNITS / unit.name).read_text())  # /opt/… is not here
    missing = _verify(unit)
    assert missing.returncode != 0
    assert f"{PREFIX}/.venv/bin/celery" in missing.stderr


def test_the_install_example_runs_a_worker_for_every_queue():
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE} | {
        route["queue"] for route in settings.CELERY_TASK_ROUTES.values()
    }
    readme = (UNITS / "README.md").read_text()
    example = readme[readme.index("systemctl enable --now") :]
    example = example[: example.index("```")]
    workers = set(re.findall(r"alliance-procurement-worker@(\w+)\.service", example))
    assert workers == queues
    assert "alliance-procurement-beat.service" in example
    assert "alliance-procurement-web.service" in example


def test_a_stop_waits_for_the_requests_gunicorn_lets_finish():
    web = _unit("alliance-procurement-web.service")["Service"]
    # gunicorn reads gunicorn.conf.py from the directory it starts in.
    assert web["WorkingDirectory"] == [PREFIX]
    assert (ROOT / "gunicorn.conf.py").exists()
    graceful = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    assert int(web["TimeoutStopSec"][-1]) > graceful


def test_the_worker_yields_the_cpu_to_the_web_server():
    web = _unit("alliance-procurement-web.service")["Service"]
    worker = _unit("alliance-procurement-worker@.service")["Service"]
    assert int(worker["CPUWeight"][-1]) < int(web.get("CPUWeight", ["100"])[-1])


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_unprivileged_on_a_read_only_system(name):
    service = _unit(name)["Service"]
    assert service["User"] == ["alliance"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["EnvironmentFile"] == ["/etc/alliance-procurement/environment"]
    assert _unit(name)["Install"]["WantedBy"] == ["alliance-procurement.target"]
    assert _unit(name)["Unit"]["PartOf"] == ["alliance-procurement.target"]
