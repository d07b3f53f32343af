"""API shapes for savings (DESIGN §10)."""

from rest_framework import serializers

from alliance_procurement.api import AmountField


class SavingsFiguresSerializer(serializers.Serializer):
    pooled_spend = AmountField(help_text="Net of the pooled orders.")
    standalone_spend = AmountField(
        help_text="What the same goods would have cost each trust alone."
    )
    savings = AmountField()
    savings_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        help_text="Savings as a percentage of standalone spend, to 1 place.",
    )


class TrustSavingsSerializer(SavingsFiguresSerializer):
    trust = serializers.CharField(source="code", help_text="The trust's code.")
    name = serializers.CharField(source="label")


class LabelledSavingsSerializer(SavingsFiguresSerializer):
    label = serializers.CharField()


class ItemSavingsSerializer(SavingsFiguresSerializer):
    sku = serializers.CharField(source="code")
    name = serializers.CharField(source="label")


class SavingsDetailSerializer(serializers.Serializer):
    scope = serializers.CharField(
        help_text="The trust's code, or ALLIANCE for the alliance-wide detail."
    )
    by_category = LabelledSavingsSerializer(many=True)
    by_supplier = LabelledSavingsSerializer(many=True)
    top_items = ItemSavingsSerializer(many=True)


class SavingsOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    trusts = TrustSavingsSerializer(
        many=True, help_text="Each trust with pooled spend in the month."
    )
    alliance = SavingsFiguresSerializer()
    detail = SavingsDetailSerializer(
        help_text="By category, supplier and item: finance for their own trust, "
        "buyers for the alliance or the trust asked for."
    )
