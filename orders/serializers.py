"""API shapes for requisitions, pooling rounds and joint purchase orders
(DESIGN §10)."""

import re

from rest_framework import serializers

from alliance_procurement.api import AmountField, UnitPriceField
from catalogue.models import Item
from orders.models import JointPurchaseOrder, PoolingRound, Requisition
from suppliers.models import MAX_LINE_QUANTITY

MAX_REQUISITION_LINES = 500

# --- Requisitions ------------------------------------------------------------


# ASCII digits only: "1_000" or other scripts' digits are not quantities,
# though Python's int() would take them.
_WHOLE_NUMBER = re.compile(r"^\+?[0-9]+$", re.ASCII)


class WholeNumberField(serializers.IntegerField):
    """A whole number: a JSON integer, or a string of ASCII digits.

    Refuses ``true``, ``5.0``, ``"5.0"`` and ``"1_000"``, which DRF's
    ``IntegerField`` would take as numbers.
    """

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str):
            text = data.strip()
            if not _WHOLE_NUMBER.match(text):
                self.fail("invalid")
            digits = text.lstrip("+").lstrip("0") or "0"
            if self.max_value is not None and len(digits) > len(str(self.max_value)):
                self.fail("max_value", max_value=self.max_value)
            data = int(digits)
        return data


class RequisitionLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = WholeNumberField(min_value=1, max_value=MAX_LINE_QUANTITY)


class RequisitionInputSerializer(serializers.Serializer):
    site = serializers.CharField(
        max_length=20, help_text="The delivery site's code, a site of your trust."
    )
    cost_centre = serializers.CharField(
        max_length=20, help_text="A cost centre code of your trust."
    )
    needed_by = serializers.DateField()
    notes = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    lines = RequisitionLineInputSerializer(many=True, max_length=MAX_REQUISITION_LINES)

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        """Resolve each SKU to its item; an unknown SKU is named at its line."""
        items = {
            item.sku: item
            for item in Item.objects.filter(sku__in=[line["sku"] for line in lines])
        }
        # Keyed by position from 0, as DRF keys a nested list's errors.
        errors = {
            position: {"sku": [f"No catalogue item has SKU {line['sku']}."]}
            for position, line in enumerate(lines)
            if line["sku"] not in items
        }
        if errors:
            raise serializers.ValidationError(errors)
        return [{**line, "item": items[line["sku"]]} for line in lines]


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class RequisitionLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField(source="item.sku")
    name = serializers.CharField(source="item.name")
    quantity = serializers.IntegerField()
    estimated_unit_price = UnitPriceField(
        allow_null=True,
        help_text="Set on submit: the tier the line's quantity reaches.",
    )
    estimated_net = AmountField(allow_null=True)


class RequisitionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    trust = serializers.CharField(source="trust.code")
    status = serializers.ChoiceField(choices=Requisition.Status.choices)
    site = serializers.CharField(source="site.code")
    cost_centre = serializers.CharField(source="cost_centre.code")
    needed_by = serializers.DateField()
    notes = serializers.CharField(allow_blank=True)
    requester = serializers.CharField(source="requester.username")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    lines = RequisitionLineOutputSerializer(many=True, source="lines.all")
    estimated_total = AmountField(allow_null=True)


# --- Pooling rounds ----------------------------------------------------------


class PoolingRoundInputSerializer(serializers.Serializer):
    cut_off = serializers.DateTimeField(
        help_text="Approved lines submitted before this instant are pooled."
    )


class NextTierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField()
    unit_price = UnitPriceField(allow_null=True, required=False)
    units_needed = serializers.IntegerField(
        help_text="How many more units would reach the next tier."
    )
    extra_savings = AmountField(
        help_text="How much less the quantity wanted would cost at that tier."
    )


class PreviewTrustSerializer(serializers.Serializer):
    trust = serializers.CharField(help_text="The trust's code.")
    quantity = serializers.IntegerField()
    standalone_unit_price = UnitPriceField(
        help_text="The tier this trust's own quantity would reach alone."
    )
    net = AmountField()
    savings = AmountField()


class PreviewGroupSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    contract = serializers.CharField(help_text="The contract's reference.")
    combined_quantity = serializers.IntegerField()
    tier_min_quantity = serializers.IntegerField(
        help_text="The tier the combined quantity reaches, by its minimum."
    )
    pooled_unit_price = UnitPriceField()
    net = AmountField()
    vat = AmountField()
    trusts = PreviewTrustSerializer(many=True)
    savings = AmountField()
    next_tier = NextTierSerializer(allow_null=True)


class HeldLineSerializer(serializers.Serializer):
    requisition_line = serializers.IntegerField(help_text="The line's id.")
    requisition = serializers.CharField(help_text="The requisition's number.")
    sku = serializers.CharField()
    trust = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=[
            "no_contract",
            "below_moq",
            "not_multiple",
            "exceeds_ceiling",
            "no_index_price",
        ]
    )
    message = serializers.CharField()
    contract = serializers.CharField(allow_null=True)


class PoolingRoundSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PoolingRound.Status.choices)
    cut_off = serializers.DateTimeField()
    pricing_date = serializers.DateField()
    opened_at = serializers.DateTimeField()
    opened_by = serializers.CharField(source="opened_by.username")
    committed_at = serializers.DateTimeField(allow_null=True)


class PoolingRoundOutputSerializer(PoolingRoundSummarySerializer):
    groups = PreviewGroupSerializer(
        many=True, help_text="While the round is open: what commit would order."
    )
    held = HeldLineSerializer(
        many=True, help_text="While the round is open: lines left out, and why."
    )
    savings = AmountField(help_text="The groups' savings together.")
    orders = serializers.ListField(
        child=serializers.CharField(), help_text="Once committed: its orders' numbers."
    )


class CommitOutputSerializer(serializers.Serializer):
    orders = serializers.ListField(child=serializers.CharField())


# --- Joint purchase orders ---------------------------------------------------


class AllocationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trust = serializers.CharField(source="trust.code")
    reference = serializers.CharField(
        help_text="The trust's own order reference, to quote on its invoice."
    )
    site = serializers.CharField(source="site.code")
    cost_centre = serializers.CharField(source="cost_centre.code")
    requisition_line = serializers.IntegerField(source="requisition_line_id")
    requisition = serializers.CharField(source="requisition_line.requisition.number")
    quantity = serializers.IntegerField()
    unit_price = UnitPriceField(help_text="The pooled unit price.")
    standalone_unit_price = UnitPriceField()
    net = AmountField()
    vat = AmountField()
    standalone_net = AmountField()
    savings = AmountField()
    received_quantity = serializers.IntegerField()
    is_cancelled = serializers.BooleanField()


class OrderLineOutputSerializer(serializers.Serializer):
    sku = serializers.CharField(source="line.item.sku")
    name = serializers.CharField(source="line.item.name")
    supplier_code = serializers.CharField(source="line.supplier_code")
    quantity = serializers.IntegerField(
        help_text="For a trust's users, their own allocations' quantity."
    )
    unit_price = UnitPriceField(source="line.unit_price")
    tier_min_quantity = serializers.IntegerField(source="line.tier_min_quantity")
    net = AmountField()
    vat = AmountField()
    gross = AmountField()
    standalone_net = AmountField()
    savings = AmountField()
    allocations = AllocationOutputSerializer(many=True)


class MoneyTotalsSerializer(serializers.Serializer):
    net = AmountField()
    vat = AmountField()
    gross = AmountField()
    standalone_net = AmountField()
    savings = AmountField()


class OrderShareOutputSerializer(serializers.Serializer):
    trust = serializers.CharField(source="trust.code")
    reference = serializers.CharField()
    net = AmountField()
    vat = AmountField()
    gross = AmountField()
    standalone_net = AmountField()
    savings = AmountField()


class OrderOutputSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    status = serializers.ChoiceField(
        source="order.status", choices=JointPurchaseOrder.Status.choices
    )
    supplier = serializers.CharField(source="order.supplier.name")
    contract = serializers.CharField(source="order.contract.reference")
    pricing_date = serializers.DateField(source="order.pricing_date")
    created_at = serializers.DateTimeField(source="order.created_at")
    issued_at = serializers.DateTimeField(source="order.issued_at", allow_null=True)
    lines = OrderLineOutputSerializer(many=True)
    totals = MoneyTotalsSerializer(
        source="*",
        help_text="The order's totals for buyers; a trust's users see their share's.",
    )
    shares = OrderShareOutputSerializer(
        many=True, source="share_list", help_text="A trust's users see only theirs."
    )


class OrderSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=JointPurchaseOrder.Status.choices)
    supplier = serializers.CharField(source="supplier.name")
    contract = serializers.CharField(source="contract.reference")
    reference = serializers.CharField(
        source="shown_reference",
        help_text="Your trust's share reference; for buyers the order number.",
    )
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    net = AmountField(source="shown_net")
    vat = AmountField(source="shown_vat")
    gross = AmountField(source="shown_gross")
    savings = AmountField(source="shown_savings")


class ReceiptInputSerializer(serializers.Serializer):
    allocation = serializers.IntegerField(
        min_value=1, max_value=10**18, help_text="The allocation's id."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class ReceiptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    allocation = serializers.IntegerField(source="allocation_id")
    quantity = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    received_at = serializers.DateTimeField()
    received_by = serializers.CharField(source="received_by.username")
    received_quantity = serializers.IntegerField(
        help_text="The allocation's quantity received so far."
    )
    order_status = serializers.ChoiceField(choices=JointPurchaseOrder.Status.choices)
