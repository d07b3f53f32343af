"""API shapes for people and trusts (DESIGN §10)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alliance_procurement.api import AmountField


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, style={"input_type": "password"}, trim_whitespace=False
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    organisation = serializers.CharField(
        allow_null=True,
        help_text="A trust code, or ALLIANCE for the alliance's own team.",
    )
    roles = serializers.ListField(child=serializers.CharField())
    approval_limit = AmountField()


class SiteSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    gln = serializers.CharField(allow_blank=True)


class CostCentreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TrustSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    ods_code = serializers.CharField()
    sites = serializers.SerializerMethodField()
    cost_centres = serializers.SerializerMethodField()

    @extend_schema_field(SiteSerializer(many=True))
    def get_sites(self, trust) -> list[dict]:
        # Prefetched by the selector; only places a delivery may go.
        return SiteSerializer(
            [site for site in trust.sites.all() if site.is_active], many=True
        ).data

    @extend_schema_field(CostCentreSerializer(many=True))
    def get_cost_centres(self, trust) -> list[dict]:
        return CostCentreSerializer(
            [centre for centre in trust.cost_centres.all() if centre.is_active],
            many=True,
        ).data
