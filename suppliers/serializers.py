"""API shapes for suppliers, contracts and fuel prices (DESIGN §10)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alliance_procurement.api import AmountField, UnitPriceField
from suppliers.models import MAX_LINE_QUANTITY, Contract, ContractItem

MAX_TIERS = 100
MAX_CONTRACT_ITEMS = 1000


class SupplierOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    address = serializers.CharField(allow_blank=True)
    vat_number = serializers.CharField(allow_blank=True)


class SupplierInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    address = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    vat_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    unit_price = UnitPriceField(
        help_text="Price per unit; for index-linked items the margin per litre "
        "over the index (may be negative)."
    )


class ContractItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    supplier_code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    minimum_order_quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_LINE_QUANTITY, required=False, default=1
    )
    order_multiple = serializers.IntegerField(
        min_value=1, max_value=MAX_LINE_QUANTITY, required=False, default=1
    )
    price_basis = serializers.ChoiceField(
        choices=ContractItem.PriceBasis.choices,
        required=False,
        default=ContractItem.PriceBasis.FIXED,
    )
    fuel_index = serializers.CharField(
        max_length=100,
        allow_null=True,
        required=False,
        default=None,
        help_text="The fuel price index's name, for index-linked items; else null.",
    )
    tiers = TierSerializer(many=True, max_length=MAX_TIERS)


class ContractItemOutputSerializer(serializers.Serializer):
    sku = serializers.CharField(source="item.sku")
    supplier_code = serializers.CharField(allow_blank=True)
    minimum_order_quantity = serializers.IntegerField()
    order_multiple = serializers.IntegerField()
    price_basis = serializers.ChoiceField(choices=ContractItem.PriceBasis.choices)
    fuel_index = serializers.CharField(source="fuel_index.name", allow_null=True)
    tiers = TierSerializer(many=True, source="tiers.all")


class ContractInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    supplier = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The supplier's id."
    )
    trusts = serializers.ListField(
        child=serializers.CharField(max_length=12),
        max_length=1000,
        help_text="Codes of the participating trusts.",
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    value_ceiling = AmountField(min_value=0)
    status = serializers.ChoiceField(
        choices=Contract.Status.choices,
        required=False,
        default=Contract.Status.ACTIVE,
        help_text="Active unless given: an active contract is priced and pooled.",
    )
    items = ContractItemSerializer(
        many=True, required=False, default=list, max_length=MAX_CONTRACT_ITEMS
    )


class ContractSummarySerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    supplier = serializers.IntegerField(source="supplier_id")
    supplier_name = serializers.CharField(source="supplier.name")
    trusts = serializers.SerializerMethodField(help_text="Participating trusts' codes.")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    value_ceiling = AmountField()
    status = serializers.ChoiceField(choices=Contract.Status.choices)
    committed_value = AmountField(
        help_text="Net of the contract's orders that are not cancelled."
    )
    remaining_ceiling = AmountField(
        help_text="The value ceiling less the committed value."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_trusts(self, contract) -> list[str]:
        return [trust.code for trust in contract.trusts.all()]


class ContractOutputSerializer(ContractSummarySerializer):
    items = ContractItemOutputSerializer(many=True, source="items.all")


class FuelIndexPriceInputSerializer(serializers.Serializer):
    effective_date = serializers.DateField()
    price_per_litre = UnitPriceField(min_value=0)


class FuelIndexPriceOutputSerializer(serializers.Serializer):
    index = serializers.CharField(source="index.name")
    effective_date = serializers.DateField()
    price_per_litre = UnitPriceField()
