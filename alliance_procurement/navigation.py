"""The header navigation: which sections each role reaches (DESIGN §7)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str]  # empty: every signed-in user


TRUST_ROLES = frozenset({"requisitioner", "approver", "finance"})

NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry("Home", "home", frozenset()),
    NavEntry("Requisitions", "orders:requisition-list", TRUST_ROLES),
    NavEntry("Approvals", "orders:approval-queue", frozenset({"approver"})),
    NavEntry("Approved lines", "orders:approved-lines", frozenset({"buyer"})),
    NavEntry("Pooling rounds", "orders:round-list", frozenset({"buyer"})),
    NavEntry("Orders", "orders:order-list", TRUST_ROLES | {"buyer"}),
    NavEntry("Savings", "reports:savings-list", frozenset({"finance", "buyer"})),
    NavEntry("Catalogue", "catalogue:item-list", frozenset()),
    NavEntry("Contracts", "suppliers:contract-list", frozenset()),
    NavEntry("Imports", "suppliers:import-list", frozenset({"contract_manager"})),
)


def nav_items(roles: list[str], current_path: str) -> list[dict]:
    """Return the entries a user with ``roles`` reaches, marking the current one.

    An entry whose section is not installed is left out rather than broken.
    """
    items = []
    for entry in NAV_ENTRIES:
        if entry.roles and not entry.roles.intersection(roles):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": entry.label, "url": url, "current": current})
    return items
