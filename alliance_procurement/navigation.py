"""The header navigation: which sections each role reaches (DESIGN §7)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch

from alliance_procurement.addresses import address


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

    The current entry is the one whose address is the longest prefix of the
    path, so /orders/approvals/ marks "Approvals", not "Orders" as well; "/"
    marks "Home" only on the home page itself. An entry whose section is not
    installed is left out rather than broken.
    """
    items = []
    for entry in NAV_ENTRIES:
        if entry.roles and not entry.roles.intersection(roles):
            continue
        try:
            url = address(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "current": False})
    matches = [
        item
        for item in items
        if current_path == item["url"]
        or (item["url"] != "/" and current_path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    return items
