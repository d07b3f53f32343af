"""API views about people and trusts (DESIGN §10)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alliance_procurement.api import TokenRequestThrottle, cursor_pagination
from trusts import selectors, services
from trusts.serializers import (
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    TrustSerializer,
)


class TokenCreateApi(APIView):
    """Exchange a username and password for the user's API token."""

    # No authentication: a stale token header must not stand in the way.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenRequestThrottle,)

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
        summary="Get an API token",
    )
    def post(self, request):
        serializer = AuthTokenSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        token = services.api_token_get_or_create(
            user=serializer.validated_data["user"], request=request
        )
        return Response(TokenSerializer({"token": token.key}).data)


class MeApi(APIView):
    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer})
    def get(self, request):
        membership = selectors.membership_get(request.user)
        data = {
            "username": request.user.get_username(),
            "organisation": membership.organisation_code if membership else None,
            "roles": membership.roles if membership else [],
            "approval_limit": membership.approval_limit if membership else 0,
        }
        return Response(MeSerializer(data).data)


class TrustListApi(generics.ListAPIView):
    serializer_class = TrustSerializer
    pagination_class = cursor_pagination("code")

    def get_queryset(self):
        return selectors.trusts_list()
