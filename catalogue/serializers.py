"""API shapes for the catalogue (DESIGN §10)."""

from decimal import Decimal

from rest_framework import serializers

from catalogue.models import Item

VAT_RATE_CHOICES = [
    str(value) for value in (Decimal("0.20"), Decimal("0.05"), Decimal("0.00"))
]


class ItemOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField(source="category.name")
    unit = serializers.ChoiceField(choices=Item.Unit.choices)
    pack_size = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    vat_rate = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        help_text="A fraction: 0.20 is 20%.",
    )
    nhs_code = serializers.CharField(allow_blank=True)
    gtin = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)


class ItemInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    category = serializers.CharField(
        max_length=100, help_text="A category name; a new name creates it."
    )
    unit = serializers.ChoiceField(choices=Item.Unit.choices)
    pack_size = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, default=1
    )
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    vat_rate = serializers.ChoiceField(
        choices=VAT_RATE_CHOICES, help_text="A fraction: 0.20 is 20%."
    )
    nhs_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    gtin = serializers.CharField(
        max_length=14, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default=""
    )

    def validate_vat_rate(self, value: str) -> Decimal:
        return Decimal(value)
