"""Our pages run under the Content-Security-Policy without a single violation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/accounts/two-factor/",
    "/catalogue/",
    "/orders/requisitions/",
    "/orders/requisitions/new/",
    "/api/docs/",
]


def test_pages_raise_no_policy_violation_in_a_browser(
    page, sign_in, live_server, requisitioner
):
    """Chromium reports no Content-Security-Policy violation on our main pages."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    sign_in(page, requisitioner)
    for path in PAGES:
        page.goto(f"{live_server.url}{path}", wait_until="networkidle")
    assert not violations, "\n".join(violations)
