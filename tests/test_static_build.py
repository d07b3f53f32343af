"""The Docker image's static files: its collectstatic step, run here as the
Dockerfile runs it (no Docker engine runs the tests), builds the hashed files
every page names, and leaves the PDF stylesheet's own addresses alone."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from orders import documents

ROOT = Path(__file__).resolve().parents[1]
STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]\s*%\}""")


def _collectstatic_step() -> tuple[dict[str, str], list[str]]:
    """The variables and the command of the Dockerfile's collectstatic step."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    steps = [
        line.removeprefix("RUN ")
        for line in text.splitlines()
        if line.startswith("RUN ") and "collectstatic" in line
    ]
    assert len(steps) == 1, "the image collects its static files in one step"
    words = shlex.split(steps[0])
    environment = {}
    while re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        environment[name] = value
    return environment, words


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The step's output in a scratch STATIC_ROOT, and its manifest's names."""
    root = tmp_path_factory.mktemp("staticfiles")
    environment, command = _collectstatic_step()
    assert command[:3] == ["python", "manage.py", "collectstatic"]
    result = subprocess.run(  # noqa: S603 -- the Dockerfile's own command
        [sys.executable, *command[1:]],
        cwd=ROOT,
        env={**os.environ, **environment, "STATIC_ROOT": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((root / "staticfiles.json").read_text())
    return root, manifest["paths"]


def test_the_image_hashes_its_static_files():
    """The image serves file names with their content's hash (cached for a
    year by browsers), which is what the step's variable switches on."""
    environment, _ = _collectstatic_step()
    assert environment["DJANGO_STATIC_MANIFEST"] == "true"
    assert environment["DJANGO_DEBUG"] == "false"


def test_every_static_file_a_template_names_is_built(collected):
    """With hashed names, a page naming a file the build lacks fails with a
    server error: every ``{% static %}`` in every template is in the manifest."""
    _, paths = collected
    templates = [
        *ROOT.glob("templates/**/*.html"),  # the project's
        *ROOT.glob("*/templates/**/*.html"),  # each app's
    ]
    named = {
        name
        for template in templates
        for name in STATIC_TAG.findall(template.read_text())
    }
    assert "css/app.css" in named
    assert named <= set(paths), sorted(named - set(paths))
    for name in named:
        assert (collected[0] / paths[name]).is_file(), name


def test_the_pdf_stylesheet_keeps_its_own_addresses(collected):
    """The PDF stylesheet's fonts are loaded by the documents' own URL
    fetcher, not by a browser: the build copies their addresses unchanged
    (it rewrites only relative ones), and the fetcher serves them."""
    root, paths = collected
    built = (root / paths["css/pdf.css"]).read_text()
    addresses = set(re.findall(r'url\("([^"]+)"\)', built))
    assert addresses == {
        f"{documents.STATIC_SCHEME}fonts/LiberationSans-Regular.ttf",
        f"{documents.STATIC_SCHEME}fonts/LiberationSans-Bold.ttf",
    }
    fetcher = documents.StaticFilesURLFetcher()
    for address in addresses:
        assert fetcher.fetch(address).read(4) == b"\x00\x01\x00\x00"  # TrueType
