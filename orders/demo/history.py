"""Give the demonstration alliance a past, made through the real services.

Requisitions are raised, submitted, approved, rejected and cancelled, rounds
committed, orders issued and goods received by the demo users through the
same services the web pages call, so every figure is computed as in real use.
Each step runs at a moment in the past (``orders.demo.data`` says which day)
when ``time_machine`` is installed; without it everything happens now.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.utils import timezone

from catalogue.models import Item
from orders.demo import data
from orders.models import Allocation, JointPurchaseOrder, Requisition
from orders.services import pooling as pooling_services
from orders.services import purchase_orders as order_services
from orders.services import requisitions as requisition_services
from trusts.models import CostCentre, Site, Trust

try:
    import time_machine
except ImportError:  # a development tool: production images build history now
    time_machine = None

User = get_user_model()

NEEDED_AFTER_DAYS = 14


@contextmanager
def at(day: datetime.date, hour: int, minute: int = 0) -> Iterator[None]:
    """Run the block as if it were ``hour:minute`` on ``day``, Europe/London."""
    if time_machine is None:
        yield
        return
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )
    with time_machine.travel(moment, tick=False):
        yield


class Cast:
    """The demo users, sites, cost centres and items the history refers to."""

    def __init__(self, trusts: dict[str, Trust]):
        self.trusts = trusts
        usernames = [
            f"{code.lower()}.{role}"
            for code in trusts
            for role in ("requisitioner", "approver")
        ]
        self.users = User.objects.in_bulk(
            [*usernames, "alliance.buyer"], field_name="username"
        )
        self.buyer = self.users["alliance.buyer"]
        self.sites = {
            (site.trust_id, site.code): site
            for site in Site.objects.filter(trust__in=trusts.values())
        }
        self.cost_centres = {
            (centre.trust_id, centre.code): centre
            for centre in CostCentre.objects.filter(trust__in=trusts.values())
        }
        self.items = Item.objects.in_bulk(field_name="sku")

    def user(self, trust_code: str, role: str):
        return self.users[f"{trust_code.lower()}.{role}"]

    def requisition_create(
        self, trust_code: str, site: str, cost_centre: str, lines, notes: str = ""
    ) -> Requisition:
        trust = self.trusts[trust_code]
        return requisition_services.requisition_create(
            requester=self.user(trust_code, "requisitioner"),
            site_id=self.sites[(trust.pk, site)].pk,
            cost_centre_id=self.cost_centres[(trust.pk, cost_centre)].pk,
            needed_by=timezone.localdate() + datetime.timedelta(days=NEEDED_AFTER_DAYS),
            notes=notes,
            lines=[
                requisition_services.LineInput(
                    item_id=self.items[sku].pk, quantity=quantity
                )
                for sku, quantity in lines
            ],
        )


def requisition_raise(
    cast: Cast,
    *,
    day: datetime.date,
    state: str,
    trust_code: str,
    site: str,
    cost_centre: str,
    lines,
    notes: str = "",
    reason: str = "",
    minute: int = 0,
) -> Requisition:
    """Take one requisition from draft to ``state`` on ``day``, step by step."""
    requisitioner = cast.user(trust_code, "requisitioner")
    approver = cast.user(trust_code, "approver")
    with at(day, 9, minute):
        requisition = cast.requisition_create(
            trust_code, site, cost_centre, lines, notes
        )
    if state == Requisition.Status.DRAFT:
        return requisition
    if state == Requisition.Status.CANCELLED and not reason:
        with at(day, 9, minute + 20):
            return requisition_services.requisition_cancel(
                requisition_id=requisition.pk, actor=requisitioner
            )
    with at(day, 10, minute):
        requisition = requisition_services.requisition_submit(
            requisition_id=requisition.pk, submitter=requisitioner
        )
    with at(day, 11, minute):
        if state == Requisition.Status.APPROVED:
            requisition = requisition_services.requisition_approve(
                requisition_id=requisition.pk, approver=approver
            )
        elif state == Requisition.Status.REJECTED:
            requisition = requisition_services.requisition_reject(
                requisition_id=requisition.pk, approver=approver, reason=reason
            )
        elif state == Requisition.Status.CANCELLED:
            requisition = requisition_services.requisition_cancel(
                requisition_id=requisition.pk, actor=requisitioner, reason=reason
            )
    return requisition


def receipts_record(cast: Cast, order: JointPurchaseOrder, how: str) -> None:
    """Receive an order's goods: all in full, or for ``part`` a mix.

    With ``part`` every third allocation is received in full, the next in
    part and the next not yet, so the order shows as part received.
    """
    allocations = Allocation.objects.filter(
        order_line__order=order, is_cancelled=False
    ).order_by("pk")
    for position, allocation in enumerate(allocations):
        if how == "all" or position % 3 == 0:
            quantity = allocation.quantity
        elif position % 3 == 1:
            quantity = max(1, allocation.quantity // 2)
        else:
            continue
        order_services.allocation_receive(
            allocation_id=allocation.pk,
            user=cast.user(allocation.trust.code, "requisitioner"),
            quantity=quantity,
            note="Delivered to site and checked.",
        )


def round_run(cast: Cast, spec: dict, today: datetime.date) -> None:
    """Raise a round's requisitions, commit it, issue and receive its orders."""
    day = today - datetime.timedelta(days=spec["days_ago"])
    for minute, (trust_code, site, cost_centre, lines) in enumerate(
        spec["requisitions"]
    ):
        requisition_raise(
            cast,
            day=day,
            state=Requisition.Status.APPROVED,
            trust_code=trust_code,
            site=site,
            cost_centre=cost_centre,
            lines=lines,
            minute=minute,
        )
    with at(day, 15):
        pooling_round = pooling_services.pooling_round_open(
            buyer=cast.buyer, cut_off=timezone.now()
        )
    with at(day, 15, 30):
        orders = pooling_services.pooling_round_commit(
            round_id=pooling_round.pk, buyer=cast.buyer
        )
    issued = []
    with at(day, 16):
        for order in orders:
            if order.contract.reference in spec["leave_draft"]:
                continue
            issued.append(
                order_services.joint_order_issue(order_id=order.pk, buyer=cast.buyer)
            )
    if spec["receive"] == "none":
        return
    received_on = day + datetime.timedelta(days=spec["receive_after_days"])
    with at(received_on, 10):
        for order in issued:
            receipts_record(cast, order, spec["receive"])


def history_build(*, trusts: dict[str, Trust], today: datetime.date) -> str:
    """Build the demo history once: only while the demo trusts have no requisitions.

    Returns a line saying what was done, for the command to print.
    """
    if Requisition.objects.filter(trust__in=trusts.values()).exists():
        return "The demo trusts already have requisitions: history left as it is."
    # The demo people are fictional: the notifications their past steps
    # would send (run in this process when tasks run eagerly) go nowhere.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
    ):
        _history_build(trusts=trusts, today=today)
    requisitions = Requisition.objects.filter(trust__in=trusts.values())
    orders = JointPurchaseOrder.objects.filter(shares__trust__in=trusts.values())
    return (
        f"History built: {requisitions.count()} requisitions, "
        f"{orders.distinct().count()} joint purchase orders."
    )


def _history_build(*, trusts: dict[str, Trust], today: datetime.date) -> None:
    cast = Cast(trusts)
    for spec in data.HISTORY_ROUNDS:
        round_run(cast, spec, today)
    for minute, (
        days_ago,
        state,
        trust_code,
        site,
        cost_centre,
        lines,
        notes,
        reason,
    ) in enumerate(data.RECENT_REQUISITIONS):
        requisition_raise(
            cast,
            day=today - datetime.timedelta(days=days_ago),
            state=state,
            trust_code=trust_code,
            site=site,
            cost_centre=cost_centre,
            lines=lines,
            notes=notes,
            reason=reason,
            minute=minute,
        )
