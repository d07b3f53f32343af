"""Run every benchmark and print one line per figure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.run [--size default|smoke] [--only B3,B5]

Speed is a ratio against a raw floor run in the same process on the same
data, never an absolute time. Each line reads, for example::

    B3 requisition list page 1 1M lines: app 41.2 ms, raw 6.1 ms,
    ratio 6.75 (target <= 10) PASS

``DATABASE_URL`` names the PostgreSQL server (any database on it). The run
creates ``ap_bench_<pid>``, migrates it, fills it with ``bench.generate``
(a year of requisitions, pooled orders), runs B3 to B7 against it and drops
it; B1 (``bench.pooling``) and B2 (``bench.pdf``) build their own databases
and run as subprocesses.

- B1 pooling preview and commit vs one ``INSERT … SELECT … GROUP BY``.
- B2 order PDF vs a bare WeasyPrint table of the same rows.
- B3 requisition and order list pages, page 1 and page 1000 (or the last
  page when there are fewer), through the whole Django stack with the test
  Client, vs the raw SELECT of the same rows plus the same count; and the
  deep page against page 1.
- B4 price-list import of a CSV vs COPY of the same rows.
- B5 a month's savings summary and its PDF vs raw aggregates of the same
  figures and a bare table PDF of the same rows.
- B6 queries per list and detail page with 100 rows vs 10 rows; then, for
  every main page and API address, its server time, size and queries at
  this size, printed (no target: these show a page that grows with the
  data, such as a list that is not paged).
- B7 gunicorn (5 workers) and a Celery worker under locust, 50 users: p95
  while a 10,000-line order PDF is being built vs without (after a warm-up
  run, not judged), and errors.

The default size must finish in under 30 minutes on a 2-core machine; the
smoke size (``make bench-smoke``) in about two minutes, and checks that
every benchmark runs: at that size timings are noise, so only the figures
that do not depend on the machine (B6 query counts, B7 errors) fail it.
"""

import argparse
import contextlib
import csv
import dataclasses
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclasses.dataclass(frozen=True)
class Size:
    lines: int
    trusts: int
    items: int
    contracts: int
    price_rows: int
    pooling_lines: int
    pdf_sizes: tuple[int, ...]
    load_users: int
    load_seconds: int
    load_pdf_lines: int
    repeat: int
    # List pages take milliseconds: their median needs more calls to settle.
    page_repeat: int
    strict: bool


SIZES = {
    "default": Size(
        lines=1_000_000,
        trusts=10,
        items=5000,
        contracts=50,
        price_rows=200_000,
        pooling_lines=1_000_000,
        pdf_sizes=(1000, 10_000),
        load_users=50,
        load_seconds=60,
        load_pdf_lines=10_000,
        repeat=5,
        page_repeat=31,
        strict=True,
    ),
    # For a machine shared with other work: a fifth of the year, same shape.
    "medium": Size(
        lines=200_000,
        trusts=10,
        items=5000,
        contracts=50,
        price_rows=50_000,
        pooling_lines=20_000,
        pdf_sizes=(100,),
        load_users=50,
        load_seconds=30,
        load_pdf_lines=2000,
        repeat=3,
        page_repeat=15,
        strict=True,
    ),
    "smoke": Size(
        lines=20_000,
        trusts=3,
        items=300,
        contracts=5,
        price_rows=2_000,
        pooling_lines=2_000,
        pdf_sizes=(20,),
        load_users=5,
        load_seconds=15,
        load_pdf_lines=200,
        repeat=2,
        page_repeat=3,
        strict=False,
    ),
}


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 1000 and n % 100 == 0:
        return f"{n / 1000:g}k"
    return str(n)


class Report:
    """Collects the printed lines; remembers whether a counted target was missed."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.failed: list[str] = []

    def ratio(
        self, bench_id, name, app, raw, target, *, unit="ms", counted=None, words=None
    ):
        ratio = app / raw if raw else float("inf")
        ok = ratio <= target
        first, second = words or ("app", "raw")
        scale, fmt = (1000, ".1f") if unit == "ms" else (1, ".2f")
        print(
            f"{bench_id} {name}: {first} {app * scale:{fmt}} {unit}, "
            f"{second} {raw * scale:{fmt}} {unit}, ratio {ratio:.2f} "
            f"(target <= {target:g}) {'PASS' if ok else 'FAIL'}",
            flush=True,
        )
        if not ok and (self.strict if counted is None else counted):
            self.failed.append(f"{bench_id} {name}")
        return ok

    def check(self, bench_id, text, ok, *, counted=True):
        print(f"{bench_id} {text} {'PASS' if ok else 'FAIL'}", flush=True)
        if not ok and counted:
            self.failed.append(f"{bench_id} {text}")


def _timed(function, repeat: int) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _timed_in_turns(first, second, repeat: int) -> tuple[float, float]:
    """Median seconds of each of two calls, taken in turns: a spell when the
    machine runs slower or faster falls on both alike, not on whichever ran
    then. Each timed call follows an untimed call of itself, so that it
    meets the caches as warm as a run of its own would leave them (timed
    straight after the other, the raw SQL took a fifth to a third longer)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, kept in ((first, times[0]), (second, times[1])):
            function()
            started = time.perf_counter()
            function()
            kept.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _server_url(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


# --- B3: list pages ------------------------------------------------------------


def _raw_page(queryset, offset: int, per_page: int):
    """The same rows and the same count as the page, by hand-run SQL."""
    from django.db import connection

    count_sql, count_params = queryset.order_by().values("pk").query.sql_with_params()
    page_sql, page_params = queryset[offset : offset + per_page].query.sql_with_params()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({count_sql}) counted", count_params)
            cursor.fetchone()
            cursor.execute(page_sql, page_params)
            return cursor.fetchall()

    return run


def bench_lists(report: Report, size: Size, users) -> None:
    from django.test import Client

    from orders.selectors import purchase_orders as order_selectors
    from orders.selectors import requisitions as requisition_selectors

    label = _label(size.lines)
    cases = [
        (
            "requisition list",
            "trust user",
            users["requisitioner"],
            "/orders/requisitions/",
            lambda u: requisition_selectors.requisition_list(user=u),
            25,
        ),
        (
            "order list",
            "trust user",
            users["requisitioner"],
            "/orders/",
            lambda u: order_selectors.joint_orders_list(u).order_by("-number"),
            25,
        ),
        (
            "order list",
            "buyer",
            users["buyer"],
            "/orders/",
            lambda u: order_selectors.joint_orders_list(u).order_by("-number"),
            25,
        ),
    ]
    for name, who, user, url, queryset_of, per_page in cases:
        client = Client()
        client.force_login(user)
        queryset = queryset_of(user)
        pages = max(1, -(-queryset.count() // per_page))
        deep = min(1000, pages)
        app_times = {}
        for page in sorted({1, deep}):

            def app(page=page, client=client, url=url):
                response = client.get(url, {"page": page})
                if response.status_code != 200:
                    raise RuntimeError(f"{url} page {page}: {response.status_code}")

            app_seconds, raw_seconds = _timed_in_turns(
                app,
                _raw_page(queryset, (page - 1) * per_page, per_page),
                size.page_repeat,
            )
            app_times[page] = app_seconds
            report.ratio(
                "B3",
                f"{name} page {page} ({who}) {label} lines",
                app_seconds,
                raw_seconds,
                10,
            )
        if deep > 1:
            report.ratio(
                "B3",
                f"{name} page {deep} vs page 1 ({who})",
                app_times[deep],
                app_times[1],
                2,
                words=(f"page {deep}", "page 1"),
            )


# --- B4: price-list import -------------------------------------------------------

PRICE_HEADER = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple"
)


def bench_price_list(report: Report, size: Size) -> None:
    from decimal import Decimal

    from django.db import connection, transaction

    from catalogue.models import Category, Item
    from suppliers import services
    from suppliers.models import Contract, PriceTier, Supplier

    rows = size.price_rows
    skus = [f"PL-{n:07d}" for n in range(max(1, rows // 4))]
    category = Category.objects.create(name="Price list bench")
    Item.objects.bulk_create(
        (
            Item(
                sku=sku,
                name=f"Priced {sku}",
                category=category,
                unit=Item.Unit.EACH,
                kind=Item.Kind.CONSUMABLE,
                vat_rate=Decimal("0.20"),
            )
            for sku in skus
        ),
        batch_size=5000,
    )
    supplier = Supplier.objects.create(name="Price list supplier", email="pl@x.test")
    contracts = {}
    for reference in ("BENCH-PL-APP", "BENCH-PL-RAW"):
        contracts[reference] = Contract.objects.create(
            reference=reference,
            title=reference,
            supplier=supplier,
            start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2099, 12, 31),
            value_ceiling=Decimal("999999999.00"),
            status=Contract.Status.ACTIVE,
        )
    path = Path(tempfile.mkdtemp(prefix="bench-prices-")) / "prices.csv"
    per_sku = max(1, rows // len(skus))
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(PRICE_HEADER + "\n")
        written = 0
        for sku in skus:
            for tier in range(per_sku):
                if written == rows:
                    break
                price = Decimal("500.0000") - tier * Decimal("0.0125")
                out.write(f"{sku},S-{sku},{1 + tier * 10},{price},1,1\n")
                written += 1

    def app():
        with open(path, "rb") as file:
            return services.price_list_import(
                contract_reference="BENCH-PL-APP", file=file
            )

    raw_contract = contracts["BENCH-PL-RAW"].pk

    def raw():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_prices (sku text, supplier_code text, "
                "min_quantity int, unit_price numeric(12, 4), moq int, multiple int) "
                "ON COMMIT DROP"
            )
            with (
                open(path, encoding="utf-8", newline="") as file,
                cursor.cursor.copy(
                    "COPY bench_prices FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                while chunk := file.read(1 << 20):
                    copy.write(chunk)
            cursor.execute(
                "DELETE FROM suppliers_pricetier WHERE contract_item_id IN "
                "(SELECT id FROM suppliers_contractitem WHERE contract_id = %s)",
                [raw_contract],
            )
            cursor.execute(
                "DELETE FROM suppliers_contractitem WHERE contract_id = %s",
                [raw_contract],
            )
            cursor.execute(
                "INSERT INTO suppliers_contractitem (contract_id, item_id, "
                "supplier_code, minimum_order_quantity, order_multiple, price_basis) "
                "SELECT DISTINCT ON (p.sku) %s, i.id, p.supplier_code, p.moq, "
                "p.multiple, 'fixed' FROM bench_prices p "
                "JOIN catalogue_item i ON i.sku = p.sku ORDER BY p.sku",
                [raw_contract],
            )
            cursor.execute(
                "INSERT INTO suppliers_pricetier (contract_item_id, min_quantity, "
                "unit_price) SELECT ci.id, p.min_quantity, p.unit_price "
                "FROM bench_prices p JOIN catalogue_item i ON i.sku = p.sku "
                "JOIN suppliers_contractitem ci ON ci.item_id = i.id "
                "AND ci.contract_id = %s",
                [raw_contract],
            )

    repeat = 1 if size.strict else 2
    app_seconds = _timed(app, repeat)
    raw_seconds = _timed(raw, repeat)
    tiers = PriceTier.objects.filter(contract_item__contract__reference="BENCH-PL-APP")
    raw_tiers = PriceTier.objects.filter(contract_item__contract_id=raw_contract)
    report.ratio(
        "B4",
        f"price list import {_label(rows)} rows",
        app_seconds,
        raw_seconds,
        12,
        unit="s",
    )
    report.check(
        "B4",
        f"imported {tiers.count():,} tiers, COPY {raw_tiers.count():,}: same",
        tiers.count() == raw_tiers.count() == rows,
    )
    path.unlink()


# --- B5: monthly savings summary ------------------------------------------------

SAVINGS_RAW_SQL = """
    WITH counted AS (
        SELECT a.net, a.standalone_net, a.savings, a.trust_id, ol.item_id,
               o.supplier_id, o.issued_at
        FROM orders_allocation a
        JOIN orders_orderline ol ON ol.id = a.order_line_id
        JOIN orders_jointpurchaseorder o ON o.id = ol.order_id
        WHERE NOT a.is_cancelled AND o.issued_at >= %(start)s
          AND o.issued_at < %(end)s AND o.status NOT IN ('cancelled', 'draft')
    )
    SELECT 'total', '', sum(net), sum(standalone_net), sum(savings) FROM counted
    UNION ALL
    (SELECT 'trust', t.name, sum(net), sum(standalone_net), sum(savings)
     FROM counted c JOIN trusts_trust t ON t.id = c.trust_id GROUP BY t.code, t.name
     ORDER BY t.code)
    UNION ALL
    (SELECT 'category', k.name, sum(net), sum(standalone_net), sum(savings)
     FROM counted c JOIN catalogue_item i ON i.id = c.item_id
     JOIN catalogue_category k ON k.id = i.category_id GROUP BY k.id, k.name
     ORDER BY 5 DESC)
    UNION ALL
    (SELECT 'supplier', s.name, sum(net), sum(standalone_net), sum(savings)
     FROM counted c JOIN suppliers_supplier s ON s.id = c.supplier_id
     GROUP BY s.id, s.name ORDER BY 5 DESC)
    UNION ALL
    (SELECT 'item', i.name, sum(net), sum(standalone_net), sum(savings)
     FROM counted c JOIN catalogue_item i ON i.id = c.item_id
     GROUP BY i.sku, i.name ORDER BY 5 DESC, i.sku LIMIT 10)
"""
SAVINGS_HISTORY_SQL = """
    SELECT date_trunc('month', o.issued_at AT TIME ZONE 'Europe/London'),
           sum(a.net), sum(a.standalone_net), sum(a.savings)
    FROM orders_allocation a
    JOIN orders_orderline ol ON ol.id = a.order_line_id
    JOIN orders_jointpurchaseorder o ON o.id = ol.order_id
    WHERE NOT a.is_cancelled AND o.issued_at >= %(first)s AND o.issued_at < %(end)s
      AND o.status NOT IN ('cancelled', 'draft')
    GROUP BY 1 ORDER BY 1
"""


def bench_savings(report: Report, size: Size) -> None:
    from django.db import connection
    from django.utils import timezone
    from weasyprint import HTML

    from reports import documents, selectors

    month = selectors.month_add(selectors.month_start(timezone.localdate()), -1)
    start, end = selectors.month_bounds(month)
    first, _ = selectors.month_bounds(selectors.month_add(month, -11))

    def app():
        summary = selectors.savings_summary(month=month)
        return documents.savings_pdf(summary)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(SAVINGS_RAW_SQL, {"start": start, "end": end})
            rows = cursor.fetchall()
            cursor.execute(SAVINGS_HISTORY_SQL, {"first": first, "end": end})
            rows += cursor.fetchall()
        html = (
            "<table>"
            + "".join(
                "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                for row in rows
            )
            + "</table>"
        )
        return HTML(string=html).write_pdf()

    app_seconds = _timed(app, max(1, size.repeat // 2))
    raw_seconds = _timed(raw, max(1, size.repeat // 2))
    summary = selectors.savings_summary(month=month)
    with connection.cursor() as cursor:
        cursor.execute(SAVINGS_RAW_SQL, {"start": start, "end": end})
        raw_total = cursor.fetchone()
    report.ratio(
        "B5",
        f"savings summary and PDF for {month:%B %Y} of {_label(size.lines)} lines",
        app_seconds,
        raw_seconds,
        2,
    )
    report.check(
        "B5",
        f"summary savings £{summary.totals.savings:,} equal the raw "
        f"£{raw_total[4] or 0:,}:",
        summary.totals.savings == (raw_total[4] or 0),
    )


# --- B6: queries per page --------------------------------------------------------


def _queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A first request renews the session (one write a minute at most): count
    # the page's own queries, as every later request makes them.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code}")
    return len(captured.captured_queries)


def _requisition_of(lines: int, user, trust) -> int:
    from orders.models import Requisition, RequisitionLine
    from trusts.models import CostCentre, Site

    requisition = Requisition.objects.create(
        trust=trust,
        number=f"B6-{lines}",
        requester=user,
        site=Site.objects.filter(trust=trust).first(),
        cost_centre=CostCentre.objects.filter(trust=trust).first(),
        needed_by=datetime.date.today() + datetime.timedelta(days=7),  # noqa: DTZ011
    )
    items = list(
        __import__("catalogue.models", fromlist=["Item"]).Item.objects.order_by("pk")[
            :lines
        ]
    )
    RequisitionLine.objects.bulk_create(
        RequisitionLine(requisition=requisition, item=item, quantity=1)
        for item in items
    )
    return requisition.pk


def bench_queries(report: Report, size: Size, users) -> None:
    from django.db.models import Count
    from django.test import Client

    from catalogue.models import Item
    from orders.models import JointPurchaseOrder
    from suppliers.models import Contract

    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    lists = [
        ("requisitioner", "/orders/requisitions/", "requisition list"),
        ("requisitioner", "/orders/", "order list (trust user)"),
        ("buyer", "/orders/", "order list (buyer)"),
        ("buyer", "/orders/approved-lines/", "approved lines"),
        ("approver", "/orders/approvals/", "approval queue"),
        ("buyer", "/catalogue/", "catalogue"),
        ("buyer", "/contracts/", "contract list"),
    ]
    for role, url, name in lists:
        ten = _queries(clients[role], url, {"per_page": 10})
        hundred = _queries(clients[role], url, {"per_page": 100})
        report.check(
            "B6",
            f"{name} queries 100 rows {hundred}, 10 rows {ten}, "
            f"ratio {hundred / ten:.2f} (target 1.0)",
            hundred == ten,
        )
    trust = users["requisitioner"].membership.trust
    small = _requisition_of(10, users["requisitioner"], trust)
    large = _requisition_of(100, users["requisitioner"], trust)
    orders = list(
        JointPurchaseOrder.objects.annotate(n=Count("lines"))
        .filter(n__gte=10)
        .order_by("n")
        .values_list("number", "n")
    )
    contracts = list(
        Contract.objects.annotate(n=Count("items"))
        .filter(n__gte=1)
        .order_by("n")
        .values_list("reference", "n")
    )
    details = [
        (
            "requisition detail",
            "requisitioner",
            f"/orders/requisitions/{small}/",
            f"/orders/requisitions/{large}/",
            "10 lines",
            "100 lines",
        ),
        (
            "order detail (buyer)",
            "buyer",
            f"/orders/{orders[0][0]}/",
            f"/orders/{orders[-1][0]}/",
            f"{orders[0][1]} lines",
            f"{orders[-1][1]} lines",
        ),
        (
            "contract detail",
            "buyer",
            f"/contracts/{contracts[0][0]}/",
            f"/contracts/{contracts[-1][0]}/",
            f"{contracts[0][1]} items",
            f"{contracts[-1][1]} items",
        ),
        (
            "item detail",
            "buyer",
            f"/catalogue/{Item.objects.order_by('pk').first().sku}/",
            f"/catalogue/{Item.objects.order_by('-pk').first().sku}/",
            "one",
            "another",
        ),
    ]
    for name, role, small_url, large_url, small_label, large_label in details:
        few = _queries(clients[role], small_url)
        many = _queries(clients[role], large_url)
        report.check(
            "B6",
            f"{name} queries {large_label} {many}, {small_label} {few}, "
            f"ratio {many / few:.2f} (target 1.0)",
            many == few,
        )


def _page_addresses(users) -> list[tuple[str, str]]:
    """``(role, address)`` of every main page and API read, on rows of the
    bench data: the biggest order the trust has a share in, the newest
    requisition and round, the first item and contract, last month."""
    from django.utils import timezone

    from catalogue.models import Item
    from orders.models import JointPurchaseOrder, PoolingRound, Requisition
    from suppliers.models import Contract

    trust = users["requisitioner"].membership.trust
    order = (
        JointPurchaseOrder.objects.filter(shares__trust=trust)
        .order_by("-net", "pk")
        .first()
    )
    requisition = Requisition.objects.filter(trust=trust).order_by("-pk").first()
    pooling_round = PoolingRound.objects.order_by("-pk").first()
    item = Item.objects.order_by("pk").first()
    contract = Contract.objects.order_by("pk").first()
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime(
        "%Y-%m"
    )
    pages = [
        ("buyer", "/"),
        ("requisitioner", "/"),
        ("approver", "/"),
        ("finance", "/"),
        ("requisitioner", "/catalogue/"),
        ("buyer", "/contracts/"),
        ("requisitioner", "/orders/requisitions/"),
        ("approver", "/orders/approvals/"),
        ("buyer", "/orders/approved-lines/"),
        ("buyer", "/orders/rounds/"),
        ("buyer", "/orders/"),
        ("finance", "/reports/savings/"),
        ("finance", f"/reports/savings/{month}/"),
        ("buyer", f"/reports/savings/{month}/"),
        ("buyer", "/api/v1/orders/"),
        ("requisitioner", "/api/v1/requisitions/"),
        ("buyer", "/api/v1/pooling-rounds/"),
        ("requisitioner", "/api/v1/items/"),
        ("buyer", "/api/v1/contracts/"),
        ("finance", f"/api/v1/savings/{month}/"),
    ]
    if item is not None:
        pages.append(("requisitioner", f"/catalogue/{item.sku}/"))
    if contract is not None:
        pages.append(("buyer", f"/contracts/{contract.reference}/"))
    if requisition is not None:
        pages.append(("requisitioner", f"/orders/requisitions/{requisition.pk}/"))
    if pooling_round is not None:
        pages += [
            ("buyer", f"/orders/rounds/{pooling_round.pk}/"),
            ("buyer", f"/api/v1/pooling-rounds/{pooling_round.pk}/"),
        ]
    if order is not None:
        pages += [
            ("buyer", f"/orders/{order.number}/"),
            ("requisitioner", f"/orders/{order.number}/"),
            ("buyer", f"/api/v1/orders/{order.number}/"),
            ("requisitioner", f"/api/v1/orders/{order.number}/"),
        ]
    return pages


def bench_pages(size: Size, users) -> None:
    """Print every main page's server time (median of three after a warm-up
    request), size and queries at this size of data."""
    from django.test import Client

    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    label = _label(size.lines)
    for role, address in _page_addresses(users):
        client = clients[role]
        answers = []

        def fetch(client=client, address=address, answers=answers):
            answers.append(client.get(address))

        seconds = _timed(fetch, 3)
        queries = _queries(client, address)  # fails on an answer other than 200
        print(
            f"B6 page {address} ({role}) {label} lines: {seconds * 1000:.1f} ms, "
            f"{len(answers[-1].content) / 1024:.0f} KiB, {queries} queries",
            flush=True,
        )


# --- B7: load ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, seconds: int = 120) -> None:
    """Wait until gunicorn answers (its workers import Django first)."""
    from urllib.error import URLError
    from urllib.request import urlopen

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=5) as response:  # noqa: S310 -- our own server
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def _load_fixture(size: Size, users, media_root: Path) -> dict:
    """Sessions, ids and ready documents the locust users need."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from alliance_procurement.security import SESSION_LOGIN_AT_KEY
    from catalogue.models import Item
    from orders.models import JointPurchaseOrder, OrderDocument, Requisition
    from trusts.models import CostCentre, Site

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = next(
            path
            for path in settings.AUTHENTICATION_BACKENDS
            if hasattr(load_backend(path), "get_user")
        )
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[SESSION_LOGIN_AT_KEY] = int(time.time())
        store.create()
        return store.session_key

    requisitioner, approver = users["requisitioner"], users["approver"]
    trust = requisitioner.membership.trust
    orders = list(
        JointPurchaseOrder.objects.filter(shares__trust=trust)
        .order_by("-number")
        .values_list("pk", "number")[:5]
    )
    pdf = b"%PDF-1.4\n% bench\n" + b"0" * 40_000 + b"\n%%EOF\n"
    for order_id, _number in orders:
        document = OrderDocument(
            order_id=order_id,
            kind=OrderDocument.Kind.CONSOLIDATED,
            status=OrderDocument.Status.READY,
            requested_at=timezone.now(),
            built_at=timezone.now(),
            checksum="0" * 64,
        )
        document.file.save("bench.pdf", ContentFile(pdf), save=False)
        document.save()
    submitted = list(
        Requisition.objects.filter(trust=trust, status="submitted").values_list(
            "pk", flat=True
        )[:2000]
    )
    return {
        "sessions": {
            "requisitioner": session_for(requisitioner),
            "approver": session_for(approver),
            "buyer": session_for(users["buyer"]),
        },
        "site": Site.objects.filter(trust=trust).first().pk,
        "cost_centre": CostCentre.objects.filter(trust=trust).first().pk,
        "skus": list(Item.objects.order_by("pk").values_list("sku", flat=True)[:200]),
        "orders": [number for _pk, number in orders],
        "submitted": submitted,
        "needed_by": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }


def _locust(host: str, fixture_path: Path, users: int, seconds: int, out: Path):
    env = {**os.environ, "BENCH_LOAD_FIXTURE": str(fixture_path)}
    subprocess.run(  # noqa: S603 -- our own locustfile, fixed arguments
        [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            str(ROOT / "bench/locustfile.py"),
            "--headless",
            "--host",
            host,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--csv",
            str(out),
            "--only-summary",
            "--loglevel",
            "INFO",
        ],
        env=env,
        check=False,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{out}.log", "w", encoding="utf-8"),  # noqa: SIM115
    )
    if not Path(f"{out}_stats.csv").exists():
        raise RuntimeError(f"locust did not run: see {out}.log")
    with open(f"{out}_stats.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return {
        "p95": float(total["95%"]) / 1000,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
    }


def bench_load(report: Report, size: Size, users, database_url: str) -> None:
    from django.db import transaction

    from orders.services import documents as document_services
    from tests.orders.builders_documents import build_order
    from trusts.models import Trust

    media_root = Path(os.environ["MEDIA_ROOT"])
    fixture = _load_fixture(size, users, media_root)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    fixture_path = work / "fixture.json"
    fixture_path.write_text(json.dumps(fixture), encoding="utf-8")
    port = _free_port()
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "LOG_LEVEL": "ERROR",
    }
    logs = open(work / "servers.log", "w", encoding="utf-8")  # noqa: SIM115
    servers = [
        subprocess.Popen(  # noqa: S603 -- fixed arguments
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "alliance_procurement.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "5",
                # Import once, then fork: five workers start in seconds.
                "--preload",
                "--timeout",
                "120",
                "--log-level",
                "error",
            ],
            env=env,
            cwd=ROOT,
            stdout=logs,
            stderr=logs,
            start_new_session=True,
        ),
        subprocess.Popen(  # noqa: S603 -- fixed arguments
            [
                # As the Procfile starts it, in a session of its own; it puts
                # itself below the web server's CPU priority (WORKER_NICE).
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "alliance_procurement",
                "worker",
                "--queues",
                "documents,default",
                "--concurrency",
                "1",
                "--loglevel",
                "ERROR",
                "--hostname",
                f"bench-{os.getpid()}@%h",
            ],
            env=env,
            cwd=ROOT,
            stdout=logs,
            stderr=logs,
            start_new_session=True,
        ),
    ]
    host = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{host}/accounts/login/")
        # Not judged: every gunicorn worker's first pages load templates and
        # fill caches (the home pages' savings charts, the filters' choices),
        # which would otherwise count against the quiet run alone.
        _locust(
            host,
            fixture_path,
            size.load_users,
            max(5, size.load_seconds // 3),
            work / "warm-up",
        )
        quiet = _locust(
            host, fixture_path, size.load_users, size.load_seconds, work / "quiet"
        )
        order = build_order(
            trusts=list(Trust.objects.order_by("pk")[:3]),
            lines=size.load_pdf_lines,
            number="AP-2026-990001",
            one_trust_per_line=True,
        )
        with transaction.atomic():
            document_services.order_documents_request(order_id=order.pk)
        time.sleep(2)
        busy = _locust(
            host, fixture_path, size.load_users, size.load_seconds, work / "busy"
        )
    finally:
        for server in servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        logs.close()
    lines = _label(size.load_pdf_lines)
    report.ratio(
        "B7",
        f"load p95 {size.load_users} users with a {lines}-line PDF building",
        busy["p95"],
        quiet["p95"],
        2,
        words=("building", "quiet"),
    )
    errors = quiet["failures"] + busy["failures"]
    report.check(
        "B7",
        f"load errors {errors} of {quiet['requests'] + busy['requests']:,} "
        "requests (target 0)",
        errors == 0 and quiet["requests"] > 0 and busy["requests"] > 0,
    )


# --- B1 and B2 run as their own programs ---------------------------------------


def _relay(bench_id: str, command: list[str], env: dict, report: Report) -> None:
    result = subprocess.run(  # noqa: S603 -- our own modules, fixed arguments
        [sys.executable, "-m", *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    printed = False
    for line in result.stdout.splitlines():
        if line.startswith(bench_id):
            print(line, flush=True)
            printed = True
            if line.endswith("FAIL") and report.strict:
                report.failed.append(line)
    if not printed or (result.returncode and not result.stdout):
        print(f"{bench_id} did not run: {result.stderr.strip()[-500:]}", flush=True)
        report.failed.append(f"{bench_id} did not run")


# --- Driver ----------------------------------------------------------------------


def _bench_users(size: Size):
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from trusts.models import Membership

    User = get_user_model()
    requisitioner = User.objects.get(username="req-T00")
    trust = requisitioner.membership.trust
    approver = User.objects.create(username="approver-T00")
    Membership.objects.create(
        user=approver,
        trust=trust,
        is_approver=True,
        approval_limit=Decimal("100000000.00"),
    )
    finance = User.objects.create(username="finance-T00")
    Membership.objects.create(user=finance, trust=trust, is_finance=True)
    return {
        "buyer": User.objects.get(username="buyer"),
        "requisitioner": requisitioner,
        "approver": approver,
        "finance": finance,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument(
        "--only", default="B1,B2,B3,B4,B5,B6,B7", help="comma-separated ids"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    # Stopped from outside: still stop the servers and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    only = set(args.only.split(","))
    report = Report(size.strict)
    started = time.perf_counter()

    server = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    if not server.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server.", file=sys.stderr)
        return 2
    name = f"ap_bench_{os.getpid()}"
    import psycopg

    with psycopg.connect(_server_url(server, "postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    database_url = _server_url(server, name)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production settings: no debug bookkeeping, plain HTTP on 127.0.0.1.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + os.urandom(24).hex())
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0, interactive=False)
        if only & {"B3", "B4", "B5", "B6", "B7"}:
            from bench.generate import generate

            generate(
                lines=size.lines,
                trusts=size.trusts,
                items=size.items,
                contracts=size.contracts,
            )
            print(
                f"generated {size.lines:,} lines in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            users = _bench_users(size)
        if "B3" in only:
            bench_lists(report, size, users)
        if "B4" in only:
            bench_price_list(report, size)
        if "B5" in only:
            bench_savings(report, size)
        if "B6" in only:
            bench_queries(report, size, users)
            bench_pages(size, users)
        if "B7" in only:
            bench_load(report, size, users, database_url)
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(
                _server_url(server, "postgres"), autocommit=True
            ) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    child_env = {**os.environ, "DATABASE_URL": server}
    if "B1" in only:
        _relay(
            "B1",
            [
                "bench.pooling",
                "--lines",
                str(size.pooling_lines),
                "--trusts",
                str(size.trusts),
                "--items",
                str(size.items),
                "--contracts",
                str(size.contracts),
            ],
            child_env,
            report,
        )
    if "B2" in only:
        _relay(
            "B2",
            ["bench.pdf", "--sizes", *map(str, size.pdf_sizes)],
            {**child_env, "DATABASE_URL": _server_url(server, f"{name}_pdf")},
            report,
        )
    print(f"ran in {time.perf_counter() - started:.0f} s", flush=True)
    if report.failed:
        print("missed: " + "; ".join(report.failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
