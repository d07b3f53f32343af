"""Reads for order documents, scoped to the asking user (DESIGN §7).

Buyers see every order's documents. A trust's users (requisitioner,
approver, finance) see an order only if their trust has a share of it, and
only their own share's document; any other order is a 404.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from orders.models import JointPurchaseOrder, OrderDocument
from trusts import selectors as trust_selectors
from trusts.models import Role

TRUST_ROLES = (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)


def _is_buyer(user) -> bool:
    return trust_selectors.user_has_role(user, Role.BUYER)


def order_for_documents_get(user, *, number: str) -> JointPurchaseOrder:
    """The order, if the user may see its documents: else 404 (or 403).

    A user with neither the buyer role nor a trust role may see none (403).
    """
    if _is_buyer(user):
        order = JointPurchaseOrder.objects.filter(number=number).first()
    elif any(trust_selectors.user_has_role(user, role) for role in TRUST_ROLES):
        trust = trust_selectors.user_trust(user)
        order = (
            JointPurchaseOrder.objects.with_share_of(trust)
            .filter(number=number)
            .first()
        )
    else:
        raise PermissionDenied
    if order is None:
        raise Http404
    return order


def order_documents_visible_to(user, *, order: JointPurchaseOrder) -> list:
    """The order's documents the user may see: all for buyers, else their share."""
    documents = OrderDocument.objects.filter(order=order).select_related("trust")
    if not _is_buyer(user):
        documents = documents.filter(
            kind=OrderDocument.Kind.SHARE, trust=trust_selectors.user_trust(user)
        )
    return list(documents.order_by("kind", "trust__code"))


def order_consolidated_document_get(user, *, number: str) -> OrderDocument:
    """The consolidated document of an order, for buyers only (else 403)."""
    if not _is_buyer(user):
        raise PermissionDenied
    order = order_for_documents_get(user, number=number)
    document = (
        OrderDocument.objects.select_related("order")
        .filter(order=order, kind=OrderDocument.Kind.CONSOLIDATED)
        .first()
    )
    if document is None:
        raise Http404
    return document


def order_share_document_get(user, *, number: str, trust_code: str) -> OrderDocument:
    """One trust's share document: buyers any, a trust's users their own.

    Another trust's share is a 404, as is a share not yet requested.
    """
    order = order_for_documents_get(user, number=number)
    if not _is_buyer(user):
        own = trust_selectors.user_trust(user)
        if own is None or own.code != trust_code:
            raise Http404
    document = (
        OrderDocument.objects.select_related("order", "trust")
        .filter(order=order, kind=OrderDocument.Kind.SHARE, trust__code=trust_code)
        .first()
    )
    if document is None:
        raise Http404
    return document


def user_may_rebuild_order_documents(user) -> bool:
    return _is_buyer(user)
