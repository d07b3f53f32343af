"""Savings pages and downloads: finance sees its own trust and the alliance's;
buyers see all; another trust's file is a 404 (DESIGN §7)."""

import datetime
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from reports import tasks
from reports.models import SavingsDocument
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 3, 1)


@pytest.fixture
def files(trust, other_trust):
    """Ready March files for the alliance, WMAS and SECAMB."""
    build_order(
        trusts=build_trusts(("WMAS", "SECAMB")),
        lines=2,
        issued_at=datetime.datetime(2026, 3, 5, 12, tzinfo=datetime.UTC),
    )
    now = timezone.now()
    for scope in (None, trust, other_trust):
        for file_format in ("pdf", "csv", "xlsx"):
            document = SavingsDocument(
                month=MONTH,
                trust=scope,
                format=file_format,
                status=SavingsDocument.Status.READY,
                requested_at=now,
                built_at=now,
            )
            document.file.save(f"x.{file_format}", ContentFile(b"data"), save=False)
            document.save()


def _download(scope, file_format="pdf"):
    return reverse("reports:savings-download", args=["2026-03", scope, file_format])


@pytest.fixture(autouse=True)
def _in_april_2026():
    with mock.patch(
        "django.utils.timezone.localdate", return_value=datetime.date(2026, 4, 10)
    ):
        yield


@pytest.mark.usefixtures("files")
@pytest.mark.parametrize(
    ("scope", "file_format", "content_type"),
    [
        ("WMAS", "pdf", "application/pdf"),
        ("alliance", "csv", "text/csv; charset=utf-8"),
        (
            "alliance",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_finance_downloads_own_trust_and_alliance_files(
    finance, client_for, scope, file_format, content_type
):
    """Finance downloads its own trust's files and the alliance's."""
    response = client_for(finance).get(_download(scope, file_format))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="savings-2026-03-{scope}.{file_format}"'
    )


@pytest.mark.usefixtures("files")
@pytest.mark.parametrize("file_format", ["pdf", "csv", "xlsx"])
def test_finance_gets_404_for_another_trusts_file(finance, client_for, file_format):
    """Another trust's savings file answers 404."""
    response = client_for(finance).get(_download("SECAMB", file_format))
    assert response.status_code == 404


@pytest.mark.usefixtures("files")
def test_buyer_downloads_every_trusts_file(buyer, client_for):
    """Buyers download any trust's file and the alliance's."""
    client = client_for(buyer)
    for scope in ("WMAS", "SECAMB", "alliance"):
        assert client.get(_download(scope)).status_code == 200


@pytest.mark.usefixtures("files")
@pytest.mark.parametrize("role", ["requisitioner", "approver", "contract_manager"])
def test_other_roles_get_403(trust, client_for, role):
    """Savings reports are for finance and buyers only."""
    user = factories.UserFactory(
        membership__trust=None if role == "contract_manager" else trust,
        **{f"membership__is_{role}": True},
    )
    client = client_for(user)
    assert client.get(_download("WMAS")).status_code == 403
    assert client.get(reverse("reports:savings-list")).status_code == 403
    detail = reverse("reports:savings-detail", args=["2026-03"])
    assert client.get(detail).status_code == 403


@pytest.mark.usefixtures("files")
@pytest.mark.parametrize(
    "url",
    [
        reverse("reports:savings-list"),
        reverse("reports:savings-detail", args=["2026-03"]),
        reverse("reports:savings-download", args=["2026-03", "WMAS", "pdf"]),
    ],
)
def test_anonymous_users_are_sent_to_sign_in(client, url):
    """Signed-out visitors are redirected to the login page."""
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.usefixtures("files")
def test_pending_file_answers_202(finance, client_for):
    """A file still being built answers 202 with a page saying so."""
    SavingsDocument.objects.update(status=SavingsDocument.Status.PENDING)
    response = client_for(finance).get(_download("WMAS"))
    assert response.status_code == 202
    assert b"is being built" in response.content


@pytest.mark.usefixtures("files")
def test_unknown_format_or_month_is_404(finance, client_for):
    """An unknown format or a month with no file is a 404."""
    client = client_for(finance)
    assert client.get(_download("WMAS", "docx")).status_code == 404
    assert (
        client.get(
            reverse("reports:savings-download", args=["2026-02", "WMAS", "pdf"])
        ).status_code
        == 404
    )


@pytest.mark.usefixtures("files")
def test_list_shows_finance_only_own_trust_and_alliance(finance, client_for):
    """Finance's list shows its trust's and the alliance's files, no other trust."""
    body = client_for(finance).get(reverse("reports:savings-list")).content.decode()
    assert _download("WMAS") in body
    assert _download("alliance", "xlsx") in body
    assert "SECAMB" not in body
    assert "March 2026" in body


@pytest.mark.usefixtures("files")
def test_list_shows_buyers_every_trust(buyer, client_for):
    """A buyer's list shows every trust's files."""
    body = client_for(buyer).get(reverse("reports:savings-list")).content.decode()
    assert _download("SECAMB") in body
    assert _download("WMAS") in body


@pytest.mark.usefixtures("files")
def test_list_polls_while_a_file_is_pending(buyer, client_for):
    """The list reloads every 2 s while a file is pending, not otherwise."""
    client = client_for(buyer)
    assert (
        "hx-trigger" not in client.get(reverse("reports:savings-list")).content.decode()
    )
    SavingsDocument.objects.filter(format="csv").update(status="pending")
    body = client.get(reverse("reports:savings-list")).content.decode()
    assert 'hx-trigger="every 2s"' in body


@pytest.mark.usefixtures("files")
def test_htmx_gets_the_months_alone_and_caches_keep_them_apart(buyer, client_for):
    """htmx's poll gets the months without the layout, the browser the whole
    page, at one address: both answers vary on the HX-Request header."""
    client = client_for(buyer)
    url = reverse("reports:savings-list")
    page = client.get(url)
    months = client.get(url, HTTP_HX_REQUEST="true")
    assert page.content.decode().startswith("<!DOCTYPE html>")
    assert "<html" not in months.content.decode()
    assert "HX-Request" in page["Vary"]
    assert "HX-Request" in months["Vary"]


@pytest.mark.usefixtures("files")
def test_detail_shows_figures_and_hides_other_trusts_detail(finance, client_for):
    """The page shows the month's figures; another trust's detail is a 404."""
    client = client_for(finance)
    url = reverse("reports:savings-detail", args=["2026-03"])
    alliance = client.get(url)
    assert alliance.status_code == 200
    body = alliance.content.decode()
    assert "Savings March 2026" in body
    assert "<svg" in body
    assert client.get(url, {"scope": "WMAS"}).status_code == 200
    assert client.get(url, {"scope": "SECAMB"}).status_code == 404


@pytest.mark.usefixtures("files")
def test_detail_chart_is_the_years_history_and_follows_a_new_order(
    finance, other_trust, client_for
):
    """The month chart's twelve months are the report's own figures, and an
    order issued since the last visit shows on the next one."""
    from reports import selectors

    client = client_for(finance)
    url = reverse("reports:savings-detail", args=["2026-03"])
    wmas = finance.membership.trust

    def shown():
        response = client.get(url, {"scope": "WMAS"})
        assert response.status_code == 200
        return response.context["summary"].history

    before = shown()
    assert before == selectors.savings_history(month=MONTH, trust=wmas)
    assert len(before) == 12
    assert before[-1].figures.savings > 0
    build_order(
        trusts=[wmas, other_trust],
        lines=1,
        issued_at=datetime.datetime(2026, 2, 9, 12, tzinfo=datetime.UTC),
        seed=7,
        number="AP-2026-000777",
    )
    after = shown()
    assert after == selectors.savings_history(month=MONTH, trust=wmas)
    assert after[-2].figures.savings > before[-2].figures.savings


def test_finance_build_asks_for_own_trust_and_alliance_only(
    trust, other_trust, finance, client_for, django_capture_on_commit_callbacks
):
    """Finance's Build now makes its trust's and the alliance's files only."""
    with (
        mock.patch.object(tasks.build_savings_document_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(finance).post(
            reverse("reports:savings-build", args=["2026-03"])
        )
    assert response.status_code == 302
    scopes = set(SavingsDocument.objects.values_list("trust__code", flat=True))
    assert scopes == {None, "WMAS"}
    assert delay.call_count == 6


def test_build_needs_post(finance, client_for):
    """Building is an action: GET is not allowed."""
    response = client_for(finance).get(
        reverse("reports:savings-build", args=["2026-03"])
    )
    assert response.status_code == 405


@pytest.mark.usefixtures("files")
def test_detail_figures_are_kept_per_scope(finance, client_for):
    """The alliance's and a trust's pages of the same month never share
    figures, kept or not."""
    client = client_for(finance)
    url = reverse("reports:savings-detail", args=["2026-03"])
    for _ in range(2):
        alliance = client.get(url).context["summary"]
        wmas = client.get(url, {"scope": "WMAS"}).context["summary"]
        assert alliance.trust is None
        assert wmas.trust.code == "WMAS"
        assert alliance.totals.savings > wmas.totals.savings > 0
        assert [row.code for row in alliance.by_trust] == ["SECAMB", "WMAS"]
        assert wmas.by_trust == []
