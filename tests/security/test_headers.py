"""Security headers and the Content-Security-Policy our pages live under."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_a_strict_content_security_policy(client_for, requisitioner):
    """Only our own scripts, styles and images; no inline code, no framing."""
    response = client_for(requisitioner).get(reverse("home"))
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_sign_in_page_carries_the_policy(client, db):
    """Anonymous pages are covered too."""
    response = client.get(reverse("login"))
    assert _policy(response)["script-src"] == ["'self'"]


def test_other_security_headers_are_set(client, db):
    """No framing, no MIME sniffing, same-origin referrer and opener."""
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_sign_in_pages_are_not_cached(client, requisitioner):
    """The code page must not be kept by shared caches."""
    client.post(
        reverse("login"),
        {"username": requisitioner.username, "password": "Not-the-password-1"},
    )
    response = client.get(reverse("login-otp"), follow=False)
    assert (
        "no-cache" in response.get("Cache-Control", "") or response.status_code == 302
    )


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def _templates() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*.html")
        if "/pdf/"
        not in path.as_posix()  # PDFs are rendered by WeasyPrint, not browsers
    )


def test_templates_hold_no_inline_script_style_or_handler():
    """Nothing in our templates needs 'unsafe-inline' (scripts live in static/js)."""
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER, JS_URL):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not offenders, "inline code blocked by the CSP:\n" + "\n".join(offenders)


def test_base_template_turns_off_htmx_indicator_styles():
    """htmx would inject a <style> element the policy blocks."""
    text = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in text


def test_api_docs_page_works_under_its_policy(client_for, requisitioner):
    """The Swagger UI page loads its scripts from our origin only."""
    try:
        url = reverse("api-docs")
    except NoReverseMatch:
        pytest.skip("the API docs page is not wired")
    response = client_for(requisitioner).get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    # Only this page's styles are relaxed, for Swagger UI's own <style> block.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)


def test_deploy_check_is_clean_with_production_settings():
    """manage.py check --deploy reports nothing with production settings."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "deploy-check-" + "k7Q2" * 16,
        "DJANGO_ALLOWED_HOSTS": "procurement.example.nhs.uk",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_and_transport_are_hardened():
    """Secure cookies and HSTS switch on with debug off (checked by --deploy)."""
    assert django_settings.SESSION_COOKIE_HTTPONLY is True
    assert django_settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert django_settings.CSRF_COOKIE_SAMESITE == "Lax"
