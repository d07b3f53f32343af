"""Order document pages and downloads: who may fetch what (DESIGN §6, §7)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderDocument
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts
from trusts.models import Role

pytestmark = pytest.mark.django_db


def _user(trust, role):
    return factories.UserFactory(
        membership__trust=trust, **{f"membership__is_{role}": True}
    )


@pytest.fixture
def order(trust, other_trust):
    """An order shared by WMAS and SECAMB, with its documents ready."""
    order = build_order(trusts=build_trusts(("WMAS", "SECAMB")), lines=2)
    now = timezone.now()
    for trust_ in [None, trust, other_trust]:
        document = OrderDocument(
            order=order,
            kind="share" if trust_ else "consolidated",
            trust=trust_,
            status=OrderDocument.Status.READY,
            requested_at=now,
            built_at=now,
        )
        document.file.save("doc.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
        document.save()
    return order


def _share_url(order, code):
    return reverse("orders:order-share-pdf", args=[order.number, code])


def test_buyer_downloads_the_consolidated_pdf(order, buyer, client_for):
    """A buyer gets the consolidated PDF, named after the order."""
    response = client_for(buyer).get(reverse("orders:order-pdf", args=[order.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="{order.number}.pdf"'
    )
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"


@pytest.mark.parametrize("role", ["requisitioner", "approver", "finance"])
def test_trust_users_may_not_download_the_consolidated_pdf(
    order, trust, client_for, role
):
    """The whole order is for buyers: a trust's users get 403."""
    response = client_for(_user(trust, role)).get(
        reverse("orders:order-pdf", args=[order.number])
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["requisitioner", "approver", "finance"])
def test_trust_users_download_their_own_share(order, trust, client_for, role):
    """A trust's users get their share, named with the trust's code."""
    response = client_for(_user(trust, role)).get(_share_url(order, "WMAS"))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{order.number}-WMAS.pdf"'
    )


@pytest.mark.parametrize("role", ["requisitioner", "approver", "finance"])
def test_another_trusts_share_is_not_found(order, trust, client_for, role):
    """Another trust's share answers 404, not 403."""
    response = client_for(_user(trust, role)).get(_share_url(order, "SECAMB"))
    assert response.status_code == 404


def test_order_without_the_users_trust_is_not_found(order, client_for):
    """A trust with no share in the order sees none of it: 404."""
    third = factories.TrustFactory(code="SWASFT")
    user = _user(third, "finance")
    client = client_for(user)
    assert client.get(_share_url(order, "SWASFT")).status_code == 404
    assert client.get(_share_url(order, "WMAS")).status_code == 404
    documents = client.get(reverse("orders:order-documents", args=[order.number]))
    assert documents.status_code == 404


def test_buyer_downloads_any_share(order, buyer, client_for):
    """A buyer may download every trust's share."""
    client = client_for(buyer)
    assert client.get(_share_url(order, "WMAS")).status_code == 200
    assert client.get(_share_url(order, "SECAMB")).status_code == 200


def test_contract_manager_gets_no_order_documents(order, contract_manager, client_for):
    """A contract manager has no role for orders: 403."""
    client = client_for(contract_manager)
    assert client.get(_share_url(order, "WMAS")).status_code == 403
    assert (
        client.get(reverse("orders:order-pdf", args=[order.number])).status_code == 403
    )


@pytest.mark.parametrize(
    "name", ["orders:order-pdf", "orders:order-documents", "orders:order-share-pdf"]
)
def test_anonymous_users_are_sent_to_sign_in(order, client, name):
    """Signed-out visitors are redirected to the login page."""
    args = [order.number, "WMAS"] if name.endswith("share-pdf") else [order.number]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_pending_share_answers_202_with_a_page(order, trust, finance, client_for):
    """A share still being built answers 202 with a page saying so."""
    OrderDocument.objects.filter(trust=trust).update(status="pending")
    response = client_for(finance).get(_share_url(order, "WMAS"))
    assert response.status_code == 202
    assert b"is being built" in response.content


def test_failed_share_answers_409_with_the_reason(order, trust, finance, client_for):
    """A share that could not be built says so, with the reason."""
    OrderDocument.objects.filter(trust=trust).update(
        status="failed", failure_reason="Font missing"
    )
    response = client_for(finance).get(_share_url(order, "WMAS"))
    assert response.status_code == 409
    assert b"Font missing" in response.content


def test_panel_shows_trust_users_only_their_share(order, finance, client_for):
    """A trust's users see their own share's document only, no Rebuild."""
    response = client_for(finance).get(
        reverse("orders:order-documents", args=[order.number])
    )
    body = response.content.decode()
    assert f"{order.number}/WMAS" in body
    assert "SECAMB" not in body
    assert "Consolidated" not in body
    assert "Rebuild" not in body


def test_panel_polls_only_while_a_document_is_pending(order, buyer, client_for):
    """The panel reloads every 2 s while a document is pending, then stops."""
    client = client_for(buyer)
    url = reverse("orders:order-documents", args=[order.number])
    ready = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in ready
    assert "Rebuild documents" in ready
    OrderDocument.objects.filter(kind="consolidated").update(status="pending")
    pending = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in pending
    assert "Being built" in pending


def test_buyer_rebuild_sets_documents_pending(
    order, buyer, client_for, django_capture_on_commit_callbacks
):
    """A buyer's Rebuild sets every document pending and queues the builds."""
    from unittest import mock

    from orders import tasks

    with (
        mock.patch.object(tasks.render_order_document_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(buyer).post(
            reverse("orders:order-documents-rebuild", args=[order.number]),
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert set(OrderDocument.objects.values_list("status", flat=True)) == {"pending"}
    assert delay.call_count == 3


@pytest.mark.parametrize("role", [Role.FINANCE, Role.REQUISITIONER])
def test_trust_users_may_not_rebuild(order, trust, client_for, role):
    """Only buyers rebuild documents: others get 403 and nothing changes."""
    response = client_for(_user(trust, role.value)).post(
        reverse("orders:order-documents-rebuild", args=[order.number])
    )
    assert response.status_code == 403
    assert set(OrderDocument.objects.values_list("status", flat=True)) == {"ready"}


def _documents_url(order):
    return reverse("orders:order-documents", args=[order.number])


def test_without_javascript_the_documents_are_a_page(order, finance, client_for):
    """A browser without JavaScript follows the order page's link to a whole
    page: the layout, the way back to the order, and the download link."""
    response = client_for(finance).get(_documents_url(order))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith("<!DOCTYPE html>")
    assert f"<title>Documents of order {order.number} –" in body
    assert f'href="{order.get_absolute_url()}"' in body
    assert reverse("orders:order-share-pdf", args=[order.number, "WMAS"]) in body
    assert "Check again" not in body


def test_htmx_gets_the_panel_alone(order, finance, client_for):
    """htmx asks for the panel it swaps in: no layout around it, and caches
    are told the answer depends on the HX-Request header."""
    response = client_for(finance).get(_documents_url(order), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="order-documents"')
    assert "HX-Request" in response["Vary"]
    page = client_for(finance).get(_documents_url(order))
    assert "HX-Request" in page["Vary"]


def test_a_pending_document_page_offers_to_check_again(order, buyer, client_for):
    """Without JavaScript nothing polls: a pending document's page says it is
    being built and links to itself to look again."""
    OrderDocument.objects.filter(kind="consolidated").update(status="pending")
    body = client_for(buyer).get(_documents_url(order)).content.decode()
    assert "Being built" in body
    assert f'href="{_documents_url(order)}">Check again</a>' in body


def test_rebuild_without_javascript_returns_to_the_documents_page(
    order, buyer, client_for, django_capture_on_commit_callbacks
):
    """A buyer's Rebuild sent as a plain form lands on the documents page,
    which says the documents are being built again."""
    from unittest import mock

    from orders import tasks

    client = client_for(buyer)
    with (
        mock.patch.object(tasks.render_order_document_task, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("orders:order-documents-rebuild", args=[order.number])
        )
    assert response.status_code == 302
    assert response["Location"] == _documents_url(order)
    body = client.get(response["Location"]).content.decode()
    assert "The documents are being built again." in body
    assert "Being built" in body
