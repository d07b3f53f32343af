"""Run the project's shell scripts (``scripts/``) as an operator would."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    """``bash scripts/<name> args…`` from the checkout, with exactly ``env``."""
    return subprocess.run(  # noqa: S603 -- our own scripts, fixed arguments
        ["bash", str(ROOT / "scripts" / name), *args],  # noqa: S607 -- bash from PATH
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
