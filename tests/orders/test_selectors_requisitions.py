"""Requisition selectors: who sees what, searching items (DESIGN §7)."""

import pytest

from orders.models import Requisition
from orders.selectors import requisitions as selectors
from orders.services import requisitions as services
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    item_fixture,
    make_draft,
    make_submitted,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(requisitioner, approver, item):
    """A draft, a submitted and an approved requisition of the trust."""
    draft = make_draft(requisitioner, [(item, 1)])
    submitted = make_submitted(requisitioner, [(item, 1)])
    approved = make_submitted(requisitioner, [(item, 1)])
    services.requisition_approve(requisition_id=approved.pk, approver=approver)
    return draft, submitted, approved


@pytest.mark.parametrize("role", ["requisitioner", "approver", "finance"])
def test_trust_users_see_all_their_trusts_requisitions(request, three, role):
    """Requisitioners, approvers and finance read every state of their trust's."""
    user = request.getfixturevalue(role)
    assert set(selectors.requisitions_visible_to(user)) == set(three)


def test_buyers_see_only_approved_requisitions(buyer, three):
    """Buyers read approved (later ordered, received) requisitions only."""
    _, _, approved = three
    assert list(selectors.requisitions_visible_to(buyer)) == [approved]


def test_contract_managers_see_none(contract_manager, three):
    """Contract managers have no requisition access."""
    assert not selectors.requisitions_visible_to(contract_manager).exists()


def test_another_trusts_users_see_none(other_trust, three):
    """Another trust's users see none of this trust's requisitions."""
    for role in (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE):
        outsider = trust_user(other_trust, role)
        assert not selectors.requisitions_visible_to(outsider).exists()


def test_approved_lines_leave_out_pooled_lines_but_not_cancelled_ones(
    buyer, three, trust
):
    """A line with a live allocation is pooled; a cancelled allocation frees it."""
    _, _, approved = three
    line = approved.lines.get()
    assert list(selectors.approved_lines_list(user=buyer)) == [line]
    allocation = factories.AllocationFactory(
        requisition_line=line,
        order_line__item=line.item,
        share__trust=trust,
        quantity=1,
    )
    assert not selectors.approved_lines_list(user=buyer).exists()
    allocation.is_cancelled = True
    allocation.save()
    assert list(selectors.approved_lines_list(user=buyer)) == [line]


def test_approved_lines_are_for_buyers_only(finance, three):
    """Nobody else gets the alliance-wide list."""
    assert not selectors.approved_lines_list(user=finance).exists()


def test_item_search_puts_an_exact_sku_first(trust):
    """An exact SKU match comes before name matches."""
    for n in range(12):
        priced_item([trust], name=f"Airway {n:02d}", sku=f"AW-{n:02d}")
    wanted = priced_item([trust], name="Zinc tape", sku="AW")
    found = selectors.item_search(text="aw")
    assert found[0] == wanted
    assert len(found) == selectors.ITEM_SEARCH_LIMIT


def test_item_search_needs_two_characters(item):
    """One character finds nothing."""
    assert selectors.item_search(text="N") == []


def test_actions_offer_approval_only_within_the_limit(requisitioner, trust, item):
    """The approve button shows only when the total is within the limit."""
    submitted = make_submitted(requisitioner, [(item, 150)])  # £1,275.00
    small = trust_user(trust, Role.APPROVER, limit="1000.00")
    large = trust_user(trust, Role.APPROVER, limit="2000.00")
    refused = selectors.requisition_actions(user=small, requisition=submitted)
    allowed = selectors.requisition_actions(user=large, requisition=submitted)
    assert (refused.approve, refused.reject, str(refused.over_limit_by)) == (
        False,
        True,
        "275.00",
    )
    assert (allowed.approve, allowed.over_limit_by) == (True, None)


def test_actions_hide_cancel_once_pooled(requisitioner, approver, item, trust):
    """No cancel button once a line is pooled."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    assert selectors.requisition_actions(
        user=requisitioner, requisition=submitted
    ).cancel
    factories.AllocationFactory(
        requisition_line=submitted.lines.get(),
        order_line__item=item,
        share__trust=trust,
        quantity=1,
    )
    submitted = Requisition.objects.get(pk=submitted.pk)
    actions = selectors.requisition_actions(user=requisitioner, requisition=submitted)
    assert not actions.cancel


def test_requester_filter_lists_who_raised_requisitions_in_the_trust(trust):
    """Everyone who raised one in the trust (even after moving trust), no one
    else: not other trusts' requesters, not members who raised none."""
    other_trust = factories.TrustFactory(code="SECAMB")
    item = priced_item([trust, other_trust])
    raised = trust_user(trust, Role.REQUISITIONER)
    moved = trust_user(trust, Role.REQUISITIONER)
    trust_user(trust, Role.REQUISITIONER)  # a member who raised none
    elsewhere = trust_user(other_trust, Role.REQUISITIONER)
    for user in (raised, moved, elsewhere):
        make_submitted(user, [(item, 1)])
    moved.membership.trust = other_trust
    moved.membership.save(update_fields=["trust"])

    listed = set(selectors.requesters_of_trust(trust))

    assert listed == {raised, moved}
    assert selectors.requesters_of_trust(None).count() == 0
