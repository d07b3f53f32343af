"""Who is signed in, for the header of every page."""

from alliance_procurement.navigation import nav_items
from trusts import selectors


def membership(request) -> dict:
    membership = selectors.membership_get(request.user)
    if membership is None:
        return {"membership": None, "nav_items": [], "organisation_name": ""}
    return {
        "membership": membership,
        "organisation_name": (
            membership.trust.name if membership.trust else "Alliance procurement team"
        ),
        "nav_items": nav_items(membership.roles, request.path),
    }
