"""Requisition pages: raise, edit, submit, decide, track (DESIGN §4, §7)."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Requisition
from orders.services import requisitions as services
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    cost_centre_fixture,
    fast_passwords_fixture,
    future,
    item_fixture,
    make_draft,
    make_submitted,
    priced_item,
    site_fixture,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db


def _post_data(site, cost_centre, lines, needed_by=None, **extra):
    data = {
        "site": site.pk,
        "cost_centre": cost_centre.pk,
        "needed_by": (needed_by or future()).isoformat(),
        "notes": "Winter stock",
        "lines-TOTAL_FORMS": str(max(lines) + 1 if lines else 1),
        "lines-INITIAL_FORMS": "0",
    }
    for index, (item_text, quantity) in lines.items():
        data[f"lines-{index}-item"] = item_text
        data[f"lines-{index}-quantity"] = str(quantity)
    data.update(extra)
    return data


# --- raise and edit -----------------------------------------------------------


def test_create_page_offers_only_the_users_trusts_sites(
    client_for, requisitioner, site, cost_centre, other_trust
):
    """Site and cost centre choices are the requisitioner's own trust's."""
    foreign_site = factories.SiteFactory(trust=other_trust, name="Foreign station")
    response = client_for(requisitioner).get(reverse("orders:requisition-create"))
    assert response.status_code == 200
    body = response.content.decode()
    assert site.name in body
    assert foreign_site.name not in body
    assert 'list="lines-0-item-options"' in body


def test_create_saves_a_draft_and_shows_it(
    client_for, requisitioner, site, cost_centre, item
):
    """Saving the form creates a numbered draft and opens its page."""
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: (item.sku, 12)}),
    )
    requisition = Requisition.objects.get()
    assert response.status_code == 302
    assert response.url == requisition.get_absolute_url()
    assert requisition.status == Requisition.Status.DRAFT
    assert requisition.lines.get().quantity == 12


def test_create_finds_the_item_by_nhs_code(
    client_for, requisitioner, site, cost_centre, trust
):
    """An item may be typed as its NHS product code."""
    coded = priced_item([trust], nhs_code="FTX123")
    client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: ("ftx123", 3)}),
    )
    assert Requisition.objects.get().lines.get().item == coded


def test_create_error_names_the_line_and_field_and_saves_nothing(
    client_for, requisitioner, site, cost_centre, item, trust
):
    """A bad quantity on line 2 is reported as 'Line 2: Quantity: …'."""
    second = priced_item([trust])
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: (item.sku, 1), 1: (second.sku, 0)}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Line 2: Quantity: Enter the quantity as a whole number" in body
    assert 'href="#id_lines-1-quantity"' in body
    assert not Requisition.objects.exists()


def test_create_reports_an_unknown_item_on_its_line(
    client_for, requisitioner, site, cost_centre
):
    """Text matching no item is refused on its line."""
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: ("no such thing", 1)}),
    )
    assert "Line 1: Item: No item matches" in response.content.decode()
    assert not Requisition.objects.exists()


def test_create_reports_an_inactive_item_from_the_rules(
    client_for, requisitioner, site, cost_centre, trust
):
    """The service's refusal of an inactive item lands on that line's item field."""
    retired = priced_item([trust], is_active=False)
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: (retired.sku, 1)}),
    )
    body = response.content.decode()
    assert f"Line 1: Item: {retired}" in body
    assert 'aria-invalid="true"' in body
    assert not Requisition.objects.exists()


def test_create_reports_a_past_needed_by_date_on_its_field(
    client_for, requisitioner, site, cost_centre, item
):
    """A needed-by date in the past is reported on that field."""
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: (item.sku, 1)}, needed_by=yesterday),
    )
    body = response.content.decode()
    assert 'href="#id_needed_by"' in body
    assert "The needed-by date must be today or later." in body


def test_create_skips_lines_removed_in_the_page(
    client_for, requisitioner, site, cost_centre, item, trust
):
    """A line removed from the middle leaves a gap in the numbering; it is ignored."""
    third = priced_item([trust])
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        _post_data(site, cost_centre, {0: (item.sku, 1), 2: (third.sku, 5)}),
    )
    assert response.status_code == 302
    lines = Requisition.objects.get().lines.order_by("pk")
    assert [(ln.item, ln.quantity) for ln in lines] == [(item, 1), (third, 5)]


def test_create_with_no_lines_asks_for_one(
    client_for, requisitioner, site, cost_centre
):
    """An empty line list is refused with 'Add at least one line.'."""
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"), _post_data(site, cost_centre, {})
    )
    assert "Add at least one line." in response.content.decode()
    assert not Requisition.objects.exists()


def test_edit_shows_and_replaces_the_drafts_lines(
    client_for, requisitioner, item, trust
):
    """The edit page shows the draft's lines; saving replaces them."""
    draft = make_draft(requisitioner, [(item, 4)])
    client = client_for(requisitioner)
    url = reverse("orders:requisition-edit", kwargs={"pk": draft.pk})
    page = client.get(url).content.decode()
    assert f'value="{item.sku}"' in page
    other = priced_item([trust])
    response = client.post(
        url, _post_data(draft.site, draft.cost_centre, {0: (other.sku, 9)})
    )
    assert response.status_code == 302
    assert [(ln.item, ln.quantity) for ln in draft.lines.all()] == [(other, 9)]


def test_edit_of_a_submitted_requisition_goes_back_to_it(
    client_for, requisitioner, item
):
    """Only drafts are edited; a submitted one redirects to its page."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    response = client_for(requisitioner).get(
        reverse("orders:requisition-edit", kwargs={"pk": submitted.pk})
    )
    assert response.status_code == 302
    assert response.url == submitted.get_absolute_url()


# --- htmx pieces ----------------------------------------------------------------


def test_item_search_matches_name_sku_and_nhs_code(client_for, requisitioner, trust):
    """Typing part of a name, SKU or NHS code lists active items only."""
    gloves = priced_item([trust], name="Nitrile gloves", sku="GLV-001")
    coded = priced_item([trust], name="Bandage", nhs_code="EKB123")
    priced_item([trust], name="Nitrile old stock", is_active=False)
    client = client_for(requisitioner)
    url = reverse("orders:requisition-item-search")
    by_name = client.get(url, {"lines-0-item": "nitr"}).content.decode()
    assert f'value="{gloves.sku}"' in by_name
    assert "old stock" not in by_name
    assert "GLV-001" in client.get(url, {"lines-3-item": "glv"}).content.decode()
    assert coded.sku in client.get(url, {"q": "ekb1"}).content.decode()


def test_line_estimate_prices_the_lines_own_quantity(client_for, requisitioner, item):
    """The estimate shows unit, pack size, the tier's unit price and line total."""
    response = client_for(requisitioner).get(
        reverse("orders:requisition-line-estimate"),
        {"prefix": "lines-2", "lines-2-item": item.sku, "lines-2-quantity": "120"},
    )
    body = response.content.decode()
    assert 'id="lines-2-estimate"' in body
    assert "£8.5000" in body
    assert "£1,020.00" in body
    assert "pack size 1" in body


def test_line_estimate_says_when_no_contract_is_open(
    client_for, requisitioner, other_trust
):
    """An item without a contract open to the trust shows no price."""
    theirs = priced_item([other_trust])
    body = (
        client_for(requisitioner)
        .get(
            reverse("orders:requisition-line-estimate"),
            {"prefix": "lines-0", "lines-0-item": theirs.sku, "lines-0-quantity": "1"},
        )
        .content.decode()
    )
    assert "No active contract open to your trust" in body


def test_line_estimate_refuses_a_bad_prefix(client_for, requisitioner):
    """Only line prefixes are accepted."""
    response = client_for(requisitioner).get(
        reverse("orders:requisition-line-estimate"), {"prefix": "<script>"}
    )
    assert response.status_code == 400


def test_adding_a_line_returns_the_next_form_and_count(client_for, requisitioner):
    """Adding a line renders form N and raises TOTAL_FORMS to N+1 out of band."""
    body = (
        client_for(requisitioner)
        .get(reverse("orders:requisition-line-add"), {"lines-TOTAL_FORMS": "3"})
        .content.decode()
    )
    assert 'name="lines-3-item"' in body
    assert 'name="lines-TOTAL_FORMS" value="4"' in body
    assert 'hx-swap-oob="true"' in body


# --- detail, actions ----------------------------------------------------------


def test_detail_offers_a_requisitioner_edit_submit_and_cancel_on_a_draft(
    client_for, requisitioner, item
):
    """A draft's page offers its requisitioners edit, submit and cancel."""
    draft = make_draft(requisitioner, [(item, 2)])
    body = client_for(requisitioner).get(draft.get_absolute_url()).content.decode()
    assert reverse("orders:requisition-edit", kwargs={"pk": draft.pk}) in body
    assert reverse("orders:requisition-submit", kwargs={"pk": draft.pk}) in body
    assert reverse("orders:requisition-cancel", kwargs={"pk": draft.pk}) in body
    assert "£10.0000" in body  # today's estimate for a draft


def test_detail_offers_finance_no_actions(client_for, finance, requisitioner, item):
    """Finance reads; no buttons."""
    submitted = make_submitted(requisitioner, [(item, 2)])
    body = client_for(finance).get(submitted.get_absolute_url()).content.decode()
    assert "Approve" not in body
    assert "/cancel/" not in body
    assert "£20.00" in body


def test_detail_tells_an_approver_over_the_limit_by_how_much(
    client_for, requisitioner, trust, item
):
    """Over the limit: no approve button, and the excess in pounds."""
    submitted = make_submitted(requisitioner, [(item, 150)])  # £1,275.00
    approver = trust_user(trust, Role.APPROVER, limit="1000.00")
    body = client_for(approver).get(submitted.get_absolute_url()).content.decode()
    assert (
        reverse("orders:requisition-approve", kwargs={"pk": submitted.pk}) not in body
    )
    assert "£275.00" in body
    assert reverse("orders:requisition-reject", kwargs={"pk": submitted.pk}) in body


def test_detail_shows_the_history(client_for, requisitioner, approver, item):
    """Every transition shows in the history with who did it."""
    submitted = make_submitted(requisitioner, [(item, 2)])
    services.requisition_reject(
        requisition_id=submitted.pk, approver=approver, reason="Wrong cost centre"
    )
    body = client_for(requisitioner).get(submitted.get_absolute_url()).content.decode()
    for label in ("Created", "Submitted", "Rejected", "Wrong cost centre"):
        assert label in body


def test_submit_button_submits(client_for, requisitioner, item):
    """Posting to submit submits the draft and shows it submitted."""
    draft = make_draft(requisitioner, [(item, 2)])
    client = client_for(requisitioner)
    response = client.post(
        reverse("orders:requisition-submit", kwargs={"pk": draft.pk}), follow=True
    )
    draft.refresh_from_db()
    assert draft.status == Requisition.Status.SUBMITTED
    assert 'data-status="submitted"' in response.content.decode()


def test_submit_refusal_names_the_item(client_for, requisitioner, other_trust):
    """A refused submission says which item has no contract."""
    theirs = priced_item([other_trust], name="Oxygen mask XL")
    draft = make_draft(requisitioner, [(theirs, 1)])
    response = client_for(requisitioner).post(
        reverse("orders:requisition-submit", kwargs={"pk": draft.pk}), follow=True
    )
    assert "Oxygen mask XL is not on an active contract" in response.content.decode()


def test_approve_from_the_queue_returns_to_the_queue(
    client_for, approver, requisitioner, item
):
    """Approving from the queue comes back to it, with the outcome."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    queue = reverse("orders:approval-queue")
    response = client_for(approver).post(
        reverse("orders:requisition-approve", kwargs={"pk": submitted.pk}),
        {"next": queue},
    )
    assert response.status_code == 302
    assert response.url == queue
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.APPROVED


def test_approve_ignores_a_next_address_elsewhere(
    client_for, approver, requisitioner, item
):
    """An outside ``next`` address is ignored (no open redirect)."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    response = client_for(approver).post(
        reverse("orders:requisition-approve", kwargs={"pk": submitted.pk}),
        {"next": "https://evil.example.com/"},
    )
    assert response.url == submitted.get_absolute_url()


def test_second_approval_gets_a_clear_message(
    client_for, approver, requisitioner, item
):
    """Approving an already approved requisition says it no longer awaits approval."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    response = client_for(approver).post(
        reverse("orders:requisition-approve", kwargs={"pk": submitted.pk}), follow=True
    )
    assert "no longer awaiting approval" in response.content.decode()


def test_reject_needs_a_reason(client_for, approver, requisitioner, item):
    """The reject form refuses an empty reason and keeps the requisition submitted."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    url = reverse("orders:requisition-reject", kwargs={"pk": submitted.pk})
    response = client_for(approver).post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Give a reason for rejecting." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.SUBMITTED


def test_reject_with_a_reason(client_for, approver, requisitioner, item):
    """With a reason the requisition is rejected and the queue shown."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    url = reverse("orders:requisition-reject", kwargs={"pk": submitted.pk})
    response = client_for(approver).post(url, {"reason": "Use the framework stock"})
    assert response.url == reverse("orders:approval-queue")
    submitted.refresh_from_db()
    assert submitted.rejection_reason == "Use the framework stock"


def test_cancel_asks_to_confirm_first(client_for, requisitioner, item):
    """Cancelling shows a confirmation page; nothing changes until it is posted."""
    draft = make_draft(requisitioner, [(item, 1)])
    response = client_for(requisitioner).get(
        reverse("orders:requisition-cancel", kwargs={"pk": draft.pk})
    )
    assert "This cannot be undone" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Requisition.Status.DRAFT


def test_cancel_confirmed_cancels_with_the_reason(client_for, requisitioner, item):
    """Confirming cancels and keeps the reason in the history."""
    draft = make_draft(requisitioner, [(item, 1)])
    client_for(requisitioner).post(
        reverse("orders:requisition-cancel", kwargs={"pk": draft.pk}),
        {"reason": "Bought locally"},
    )
    draft.refresh_from_db()
    assert draft.status == Requisition.Status.CANCELLED
    assert draft.events.last().note == "Bought locally"


# --- queue and lists ------------------------------------------------------------


def test_queue_lists_the_trusts_submitted_requisitions_with_totals(
    client_for, approver, requisitioner, item, other_trust
):
    """The queue shows this trust's submitted requisitions only, with totals."""
    mine = make_submitted(requisitioner, [(item, 3)])
    draft = make_draft(requisitioner, [(item, 1)])
    theirs = make_submitted(
        trust_user(other_trust, Role.REQUISITIONER), [(priced_item([other_trust]), 1)]
    )
    body = client_for(approver).get(reverse("orders:approval-queue")).content.decode()
    assert mine.number in body
    assert "£30.00" in body
    assert draft.number not in body
    assert theirs.number not in body


def _many_submitted(requester, count: int, item):
    for _ in range(count):
        make_submitted(requester, [(item, 1)])


@pytest.mark.parametrize("rows", [10, 30])
def test_queue_query_count_does_not_grow_with_rows(
    client_for, approver, requisitioner, item, django_assert_max_num_queries, rows
):
    """The approval queue costs the same number of queries for 10 or 30 rows."""
    _many_submitted(requisitioner, rows, item)
    client = client_for(approver)
    client.get(reverse("orders:approval-queue"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("orders:approval-queue"), {"per_page": 100})
    assert response.content.decode().count("Approve<span") == rows


def test_queue_shows_25_a_page_oldest_first_with_how_many_wait(
    client_for, approver, requisitioner, item
):
    """A long queue is paged, oldest submitted first, and says how many wait."""
    _many_submitted(requisitioner, 27, item)
    oldest_first = list(
        Requisition.objects.filter(status=Requisition.Status.SUBMITTED)
        .order_by("submitted_at", "pk")
        .values_list("number", flat=True)
    )
    client = client_for(approver)
    queue = reverse("orders:approval-queue")
    first = client.get(queue).content.decode()
    second = client.get(queue, {"page": 2}).content.decode()
    assert first.count("Approve<span") == 25
    assert second.count("Approve<span") == 2
    assert "27 requisitions awaiting a decision" in first
    assert "Page 1 of 2 (27 results)" in first
    shown = [
        number
        for page in (first, second)
        for number in re.findall(r">([A-Z]+-R-[0-9-]+)</a></td>", page)
    ]
    assert shown == oldest_first
    # A page past the end shows the last one, as after approving its last row.
    assert client.get(queue, {"page": 9}).content.decode().count("Approve<span") == 2


def test_approving_on_a_later_page_returns_to_that_page(
    client_for, approver, requisitioner, item
):
    """Each approve button sends the approver back to the page it was on."""
    _many_submitted(requisitioner, 26, item)
    client = client_for(approver)
    queue = reverse("orders:approval-queue")
    page = client.get(queue, {"page": 2}).content.decode()
    assert 'name="next" value="/orders/approvals/?page=2"' in page
    last = Requisition.objects.order_by("-submitted_at", "-pk").first()
    response = client.post(
        reverse("orders:requisition-approve", kwargs={"pk": last.pk}),
        {"next": f"{queue}?page=2"},
    )
    assert response.url == f"{queue}?page=2"
    last.refresh_from_db()
    assert last.status == Requisition.Status.APPROVED


@pytest.mark.parametrize("rows", [10, 30])
def test_list_query_count_does_not_grow_with_rows(
    client_for, finance, requisitioner, item, django_assert_max_num_queries, rows
):
    """The tracking list costs the same number of queries for 10 or 30 rows."""
    _many_submitted(requisitioner, rows, item)
    client = client_for(finance)
    client.get(reverse("orders:requisition-list"))
    with django_assert_max_num_queries(11):
        response = client.get(reverse("orders:requisition-list"))
    assert response.status_code == 200


def test_list_filters_by_status_and_item(
    client_for, finance, requisitioner, item, trust
):
    """Filtering by status and by an item's name narrows the list."""
    bandage = priced_item([trust], name="Crepe bandage")
    with_gloves = make_submitted(requisitioner, [(item, 1)])
    with_bandage = make_draft(requisitioner, [(bandage, 1)])
    client = client_for(finance)
    url = reverse("orders:requisition-list")
    by_status = client.get(url, {"status": "submitted"}).content.decode()
    assert with_gloves.number in by_status
    assert with_bandage.number not in by_status
    by_item = client.get(url, {"item": "crepe"}).content.decode()
    assert with_bandage.number in by_item
    assert with_gloves.number not in by_item


def test_list_shows_only_the_users_trust(
    client_for, finance, requisitioner, item, other_trust
):
    """Another trust's requisitions never appear in the list."""
    mine = make_draft(requisitioner, [(item, 1)])
    theirs = make_draft(
        trust_user(other_trust, Role.REQUISITIONER), [(priced_item([other_trust]), 1)]
    )
    body = client_for(finance).get(reverse("orders:requisition-list")).content.decode()
    assert mine.number in body
    assert theirs.number not in body


def test_list_exports_what_is_filtered_as_csv(client_for, finance, requisitioner, item):
    """The CSV holds the filtered rows, totals as numbers."""
    submitted = make_submitted(requisitioner, [(item, 3)])
    draft = make_draft(requisitioner, [(item, 1)])
    response = client_for(finance).get(
        reverse("orders:requisition-list"), {"status": "submitted", "_export": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [submitted.number]
    assert draft.number not in response.content.decode()
    assert rows[1][-1] == "30.00"


def test_list_exports_xlsx(client_for, finance, requisitioner, item):
    """The XLSX export opens as a workbook with the rows."""
    submitted = make_submitted(requisitioner, [(item, 3)])
    response = client_for(finance).get(
        reverse("orders:requisition-list"), {"_export": "xlsx"}
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [cell.value for cell in workbook.active["A"]]
    assert submitted.number in values


def test_approved_lines_show_every_trusts_unpooled_lines(
    client_for, buyer, requisitioner, approver, item, trust, other_trust
):
    """Buyers see approved, unpooled lines of every trust; pooled ones drop out."""
    ours = make_submitted(requisitioner, [(item, 5)])
    services.requisition_approve(requisition_id=ours.pk, approver=approver)
    their_requester = trust_user(other_trust, Role.REQUISITIONER)
    theirs = make_submitted(their_requester, [(priced_item([other_trust]), 2)])
    services.requisition_approve(
        requisition_id=theirs.pk, approver=trust_user(other_trust, Role.APPROVER)
    )
    pooled = make_submitted(requisitioner, [(priced_item([trust]), 1)])
    services.requisition_approve(requisition_id=pooled.pk, approver=approver)
    factories.AllocationFactory(
        requisition_line=pooled.lines.get(),
        order_line__item=pooled.lines.get().item,
        share__trust=pooled.trust,
        quantity=1,
    )
    waiting = make_submitted(requisitioner, [(item, 1)])
    body = client_for(buyer).get(reverse("orders:approved-lines")).content.decode()
    assert ours.number in body
    assert theirs.number in body
    assert pooled.number not in body
    assert waiting.number not in body


def test_approved_lines_filter_by_trust_and_export(
    client_for, buyer, requisitioner, approver, item, trust, other_trust
):
    """Filtering by trust narrows the lines, and the CSV holds the same."""
    ours = make_submitted(requisitioner, [(item, 5)])
    services.requisition_approve(requisition_id=ours.pk, approver=approver)
    theirs = make_submitted(
        trust_user(other_trust, Role.REQUISITIONER), [(priced_item([other_trust]), 2)]
    )
    services.requisition_approve(
        requisition_id=theirs.pk, approver=trust_user(other_trust, Role.APPROVER)
    )
    response = client_for(buyer).get(
        reverse("orders:approved-lines"), {"trust": other_trust.pk, "_export": "csv"}
    )
    text = response.content.decode()
    assert theirs.number in text
    assert ours.number not in text


def test_buyer_reads_an_approved_requisition_without_actions(
    client_for, buyer, requisitioner, approver, item
):
    """A buyer opens an approved requisition read-only."""
    submitted = make_submitted(requisitioner, [(item, 5)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    body = client_for(buyer).get(submitted.get_absolute_url()).content.decode()
    assert submitted.number in body
    assert "What you can do" not in body
    assert Decimal("50.00") == Requisition.objects.get().estimated_total


@pytest.mark.parametrize(
    "query",
    [
        {"page": "999"},
        {"page": "abc"},
        {"sort": "nonsense"},
        {"created_from": "not-a-date"},
        {"site": "999999"},
        {"status": "<b>"},
        {"_export": "pdf"},
    ],
)
def test_list_survives_bad_query_strings(
    client_for, finance, requisitioner, item, query
):
    """Odd filters, pages and formats never give a server error (DESIGN §8)."""
    make_draft(requisitioner, [(item, 1)])
    response = client_for(finance).get(reverse("orders:requisition-list"), query)
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(
    "query",
    [
        {
            "prefix": "lines-0",
            "lines-0-item": "x" * 500,
            "lines-0-quantity": "99999999999",
        },
        {"prefix": "lines-0", "lines-0-quantity": "-5"},
        {},
    ],
)
def test_line_estimate_survives_bad_input(client_for, requisitioner, query):
    """The estimate endpoint answers odd input without a server error."""
    response = client_for(requisitioner).get(
        reverse("orders:requisition-line-estimate"), query
    )
    assert response.status_code in (200, 400)


def test_line_add_survives_a_bad_count(client_for, requisitioner):
    """A nonsense form count still gives a line."""
    response = client_for(requisitioner).get(
        reverse("orders:requisition-line-add"), {"lines-TOTAL_FORMS": "x"}
    )
    assert response.status_code == 200


def test_create_survives_garbage(client_for, requisitioner):
    """Nonsense in every field is answered with messages, not a server error."""
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"),
        {
            "site": "abc",
            "cost_centre": "",
            "needed_by": "2026-13-45",
            "lines-TOTAL_FORMS": "nonsense",
            "lines-0-item": "",
            "lines-0-quantity": "1.5",
            "lines-7-quantity": "1e9",
            "lines-x-item": "ignored",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a delivery site" in body or "Select a valid choice" in body
    assert "Line 1: Quantity" in body
    assert not Requisition.objects.exists()


def _numbers_in(body: str) -> list[str]:
    return re.findall(r"WMAS-R-\d{4}-\d{5}", body)


def test_list_sorts_by_estimated_total(client_for, finance, requisitioner, item):
    """Sorting by a column orders the rows by it."""
    small = make_submitted(requisitioner, [(item, 1)])
    large = make_submitted(requisitioner, [(item, 50)])
    url = reverse("orders:requisition-list")
    client = client_for(finance)
    ascending = _numbers_in(
        client.get(url, {"sort": "estimated_total"}).content.decode()
    )
    descending = _numbers_in(
        client.get(url, {"sort": "-estimated_total"}).content.decode()
    )
    assert ascending == [small.number, large.number]
    assert descending == [large.number, small.number]


def test_list_paginates_by_25(client_for, finance, requisitioner, item):
    """Twenty-five rows a page; the rest on the next."""
    for _ in range(26):
        make_draft(requisitioner, [(item, 1)])
    client = client_for(finance)
    url = reverse("orders:requisition-list")
    first = _numbers_in(client.get(url).content.decode())
    second = _numbers_in(client.get(url, {"page": "2"}).content.decode())
    assert (len(first), len(second)) == (25, 1)
    assert "Page 1 of 2" in client.get(url).content.decode()


def test_list_filters_by_site_cost_centre_requester_and_dates(
    client_for, finance, requisitioner, item, trust
):
    """Site, cost centre, requester and created dates each narrow the list."""
    one = make_draft(requisitioner, [(item, 1)])
    colleague = trust_user(trust, Role.REQUISITIONER)
    two = make_draft(colleague, [(item, 1)])
    Requisition.objects.filter(pk=two.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=40)
    )
    client = client_for(finance)
    url = reverse("orders:requisition-list")

    def numbers(**query):
        return set(_numbers_in(client.get(url, query).content.decode()))

    assert numbers(site=one.site_id) == {one.number}
    assert numbers(cost_centre=two.cost_centre_id) == {two.number}
    assert numbers(requester=colleague.pk) == {two.number}
    since = (timezone.localdate() - timezone.timedelta(days=7)).isoformat()
    assert numbers(created_from=since) == {one.number}
    assert numbers(created_to=since) == {two.number}


# --- without JavaScript ---------------------------------------------------------


def test_add_a_line_without_javascript_keeps_what_was_typed(
    client_for, requisitioner, site, cost_centre, item, trust
):
    """The form's own "Add a line" button (pages without JavaScript) saves
    nothing and brings the form back as typed, without errors, with an
    empty line after the others; removed and emptied lines are gone."""
    second = priced_item([trust])
    data = _post_data(
        site,
        cost_centre,
        {0: (item.sku, 3), 1: ("", ""), 3: (second.sku, 7)},
        add_line="1",
    )
    response = client_for(requisitioner).post(
        reverse("orders:requisition-create"), data
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert not Requisition.objects.exists()
    assert 'name="lines-TOTAL_FORMS" value="3"' in body
    assert f'name="lines-0-item" value="{item.sku}"' in body
    assert 'name="lines-0-quantity" value="3"' in body
    assert f'name="lines-1-item" value="{second.sku}"' in body
    assert 'name="lines-2-item"' in body
    assert 'name="lines-2-item" value=' not in body
    assert f'<option value="{site.pk}" selected>' in body
    assert "Winter stock" in body
    assert "There is a problem" not in body


def test_add_a_line_on_a_drafts_edit_page_changes_nothing_saved(
    client_for, requisitioner, item
):
    """On a draft's edit page the same button changes nothing saved."""
    draft = make_draft(requisitioner, [(item, 2)])
    data = _post_data(draft.site, draft.cost_centre, {0: (item.sku, 9)}, add_line="1")
    response = client_for(requisitioner).post(
        reverse("orders:requisition-edit", args=[draft.pk]), data
    )
    assert response.status_code == 200
    assert draft.lines.get().quantity == 2
    assert 'name="lines-TOTAL_FORMS" value="2"' in response.content.decode()
