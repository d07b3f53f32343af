"""Order PDFs with WeasyPrint: the consolidated order and each trust's share.

``render_pdf`` turns HTML into PDF bytes with a URL fetcher that serves only
the project's own static files (``appstatic:css/pdf.css``), so a document
can never reach the network or the file system (STYLE §7).
``order_document_data`` loads everything one order's documents show in a few
queries, whatever the number of lines; ``order_document_render`` renders the
consolidated document (``trust_id=None``) or one trust's share from it.
"""

import hashlib
import json
import mimetypes
import posixpath
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from catalogue.models import Item
from orders.models import Allocation, JointPurchaseOrder, OrderLine, OrderShare

# Every URL a document may load starts with this; nothing else is fetched.
# Letters only: Django's hashed static files (the image's collectstatic) leave
# a URL alone when it starts with ``[a-z]+:``, and would otherwise look for
# ``css/<scheme>:fonts/…`` among the files and fail the build.
STATIC_SCHEME = "appstatic:"
# Change when a template or the CSS changes what a document shows, so ready
# documents are built again rather than skipped as unchanged.
LAYOUT_VERSION = "order-pdf-2"
ZERO = Decimal("0.00")
ALLIANCE_NAME = "Ambulance Trusts' Procurement Alliance"


class StaticFilesURLFetcher(URLFetcher):
    """Serve ``appstatic:<path>`` from the static files; refuse anything else.

    ``http(s)://``, ``file://``, ``data:`` and every other scheme raise
    ``ValueError``; so does a path leaving the static directories or not
    found there. WeasyPrint then leaves the resource out.
    """

    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_SCHEME):
            raise ValueError(f"Only the project's static files may be loaded: {url}")
        path = url.removeprefix(STATIC_SCHEME).split("?", 1)[0].split("#", 1)[0]
        path = posixpath.normpath(path.lstrip("/"))
        if path.startswith("..") or path in {".", ""}:
            raise ValueError(f"Not a static file: {url}")
        try:
            found = finders.find(path)
        except SuspiciousFileOperation as exc:
            raise ValueError(f"Not a static file: {url}") from exc
        if not found:
            raise ValueError(f"No such static file: {url}")
        with open(found, "rb") as handle:
            body = handle.read()
        mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})


def render_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes, loading only the project's static files."""
    return HTML(
        string=html, base_url=STATIC_SCHEME, url_fetcher=StaticFilesURLFetcher()
    ).write_pdf()


# --- What an order's documents show -----------------------------------------


def _money(amount: Decimal) -> str:
    # Stored amounts are already rounded to the penny (DESIGN §3).
    return f"£{amount:,.2f}"


def _price(amount: Decimal) -> str:
    return f"£{amount:,.4f}"


@dataclass
class Amounts:
    net: Decimal = ZERO
    vat: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def add(self, net: Decimal, vat: Decimal) -> None:
        self.net += net
        self.vat += vat

    def shown(self) -> dict:
        return {
            "net": _money(self.net),
            "vat": _money(self.vat),
            "gross": _money(self.gross),
        }


@dataclass
class ShareSection:
    trust_id: int
    trust_code: str
    trust_name: str
    reference: str
    totals: dict
    sites: list = field(default_factory=list)
    cost_centres: list = field(default_factory=list)


@dataclass
class OrderDocumentData:
    order: dict
    lines: list
    totals: dict
    shares: list

    def share(self, trust_id: int) -> ShareSection:
        for section in self.shares:
            if section.trust_id == trust_id:
                return section
        raise LookupError(f"The order has no share for trust {trust_id}.")

    def fingerprint(self, *, trust_id: int | None = None) -> str:
        """SHA-256 of what the document shows, to skip an unchanged rebuild."""
        shown = (
            {"order": self.order, "share": asdict(self.share(trust_id))}
            if trust_id
            else {"order": self.order, "lines": self.lines, "shares": self.shares}
        )
        payload = json.dumps(
            [LAYOUT_VERSION, shown], default=_jsonable, sort_keys=True
        ).encode()
        return hashlib.sha256(payload).hexdigest()


def _jsonable(value):
    if isinstance(value, ShareSection):
        return asdict(value)
    return str(value)


def order_document_data(*, order_id: int) -> OrderDocumentData:
    """Load what an order's PDFs show, in four queries whatever its size.

    Lines come from the order lines; each trust's section from its
    allocations, grouped by order line, delivery site and cost centre. Every
    total is a sum of stored rounded figures (DESIGN §5), never recomputed.
    """
    order = JointPurchaseOrder.objects.select_related("contract", "supplier").get(
        pk=order_id
    )
    line_rows = list(
        OrderLine.objects.filter(order_id=order_id)
        .order_by("item__sku", "pk")
        .values_list(
            "pk",
            "supplier_code",
            "item__sku",
            "item__name",
            "item__unit",
            "quantity",
            "unit_price",
            "tier_min_quantity",
            "net",
            "vat",
        )
    )
    share_rows = list(
        OrderShare.objects.filter(order_id=order_id)
        .order_by("trust__code")
        .values_list(
            "trust_id", "trust__code", "trust__name", "reference", "net", "vat"
        )
    )
    allocation_rows = (
        Allocation.objects.filter(order_line__order_id=order_id, is_cancelled=False)
        .order_by("site__name", "site_id", "order_line__item__sku", "pk")
        .values_list(
            "trust_id",
            "order_line_id",
            "quantity",
            "net",
            "vat",
            "site_id",
            "site__name",
            "site__address",
            "site__postcode",
            "site__gln",
            "cost_centre__code",
            "cost_centre__name",
            "requisition_line__requisition__number",
            "requisition_line__requisition__needed_by",
        )
        .iterator(chunk_size=5000)
    )
    units = dict(Item.Unit.choices)
    lines = []
    line_info = {}
    for pk, code, sku, name, unit, quantity, unit_price, tier, net, vat in line_rows:
        info = {
            "supplier_code": code,
            "sku": sku,
            "description": name,
            "unit": str(units.get(unit, unit)),
            "unit_price": _price(unit_price),
        }
        line_info[pk] = info
        lines.append(
            {
                **info,
                "quantity": f"{quantity:,}",
                "tier": f"{tier:,}+",
                **Amounts(net, vat).shown(),
            }
        )

    per_trust_sites: dict[int, dict[int, dict]] = defaultdict(dict)
    per_trust_centres: dict[int, dict[str, list]] = defaultdict(dict)
    for (
        trust_id,
        line_id,
        quantity,
        net,
        vat,
        site_id,
        site_name,
        address,
        postcode,
        gln,
        centre_code,
        centre_name,
        requisition_number,
        needed_by,
    ) in allocation_rows:
        centre = per_trust_centres[trust_id].setdefault(
            centre_code, [centre_name, Amounts()]
        )
        centre[1].add(net, vat)
        site = per_trust_sites[trust_id].setdefault(
            site_id,
            {
                "name": site_name,
                "address": address,
                "postcode": postcode,
                "gln": gln,
                "deliveries": [],
            },
        )
        info = line_info[line_id]
        site["deliveries"].append(
            {
                **info,
                "quantity": f"{quantity:,}",
                "needed_by": needed_by.strftime("%d/%m/%Y") if needed_by else "",
                "cost_centre": centre_code,
                "requisition": requisition_number,
                **Amounts(net, vat).shown(),
            }
        )

    shares = []
    for trust_id, code, name, reference, net, vat in share_rows:
        shares.append(
            ShareSection(
                trust_id=trust_id,
                trust_code=code,
                trust_name=name,
                reference=reference,
                totals=Amounts(net, vat).shown(),
                sites=list(per_trust_sites[trust_id].values()),
                cost_centres=[
                    {"code": code_, "name": centre_name, **amounts.shown()}
                    for code_, (centre_name, amounts) in sorted(
                        per_trust_centres[trust_id].items()
                    )
                ],
            )
        )

    issued = order.issued_at or order.created_at
    supplier = order.supplier
    return OrderDocumentData(
        order={
            "number": order.number,
            "date": timezone.localdate(issued).strftime("%d/%m/%Y"),
            "contract_reference": order.contract.reference,
            "contract_title": order.contract.title,
            "supplier_name": supplier.name,
            "supplier_address": supplier.address,
            "supplier_email": supplier.email,
            "supplier_vat_number": supplier.vat_number,
            "alliance_name": getattr(settings, "ALLIANCE_NAME", ALLIANCE_NAME),
            "alliance_address": getattr(settings, "ALLIANCE_ADDRESS", ""),
        },
        lines=lines,
        totals=Amounts(order.net, order.vat).shown(),
        shares=shares,
    )


def order_document_html(data: OrderDocumentData, *, trust_id: int | None) -> str:
    """Render the consolidated order (no trust) or one trust's share as HTML."""
    context = {"order": data.order}
    if trust_id is None:
        template = "orders/pdf/order.html"
        context |= {"lines": data.lines, "totals": data.totals, "shares": data.shares}
    else:
        template = "orders/pdf/share.html"
        context["share"] = data.share(trust_id)
    return render_to_string(template, context)


def order_document_render(data: OrderDocumentData, *, trust_id: int | None) -> bytes:
    """Render the consolidated order (no trust) or one trust's share as PDF."""
    return render_pdf(order_document_html(data, trust_id=trust_id))
