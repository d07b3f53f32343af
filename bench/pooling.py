"""B1: time the pooling preview and commit against a raw SQL floor.

Run with PostgreSQL::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.pooling --lines 1000000 --trusts 10 \\
        --items 5000 --contracts 50

It creates the database ``ap_bench`` on the same server, migrates it, loads
the requisitions and lines with COPY, then times, over the same approved
lines:

- the raw floor: one hand-written ``INSERT … SELECT … GROUP BY`` that adds
  up the candidate lines per contract and item into a scratch table;
- the app's preview (``orders.selectors.pooling.pooling_round_preview``);
- for reference, the buyer's round page that shows it (the whole request,
  25 groups a page), printed, not judged;
- the app's commit (``orders.services.pooling.pooling_round_commit``);
- for reference, the write floor of a commit: one bare ``INSERT … SELECT``
  of one row per candidate line into a copy of the allocation table with
  only its primary key and its "pooled once" unique index (no foreign keys,
  no pricing), rolled back. DESIGN §5 asks for one allocation per line, so no
  commit can be faster than this; it is printed, not judged;
- after the commit, for reference, how many rows the allocations would take
  if kept per (order line, trust, site, cost centre) instead of per line
  (each trust has ``--sites`` sites and ``--cost-centres`` cost centres,
  each requisition raised for one of them at random), printed, not judged.

It prints one line per figure, e.g. ``B1 pooling commit 1M lines: app 6.1 s,
raw 2.3 s, ratio 2.65 (target <= 3) PASS``, checks that what was committed
adds up, and drops the database (``--keep`` leaves it).
"""

import argparse
import contextlib
import datetime
import os
import random
import sys
import time
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "ap_bench"
RAW_FLOOR_SQL = """
    INSERT INTO bench_scratch (contract_id, item_id, quantity, lines)
    SELECT ci.contract_id, rl.item_id, SUM(rl.quantity), COUNT(*)
    FROM orders_requisitionline rl
    JOIN orders_requisition r ON r.id = rl.requisition_id
    JOIN suppliers_contractitem ci ON ci.item_id = rl.item_id
    JOIN suppliers_contract c ON c.id = ci.contract_id
    WHERE r.status = 'approved' AND r.submitted_at < %(cut_off)s
      AND c.status = 'active'
      AND c.start_date <= %(day)s AND c.end_date >= %(day)s
      AND NOT EXISTS (
          SELECT 1 FROM orders_allocation a
          WHERE a.requisition_line_id = rl.id AND NOT a.is_cancelled
      )
    GROUP BY ci.contract_id, rl.item_id
"""


def _server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate_database(database_url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(database_url, "postgres"), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {BENCH_DB}")


def _drop_database(database_url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(database_url, "postgres"), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


WRITE_FLOOR_SQL = """
    INSERT INTO bench_allocations (
        order_line_id, share_id, requisition_line_id, trust_id, site_id,
        cost_centre_id, quantity, unit_price, standalone_unit_price, net, vat,
        standalone_net, savings, received_quantity, is_cancelled
    )
    SELECT rl.item_id, r.trust_id, rl.id, r.trust_id, r.site_id, r.cost_centre_id,
           rl.quantity, 1.2345, 1.3000, round(rl.quantity * 1.2345, 2),
           round(round(rl.quantity * 1.2345, 2) * 0.2, 2),
           round(rl.quantity * 1.3, 2),
           round(rl.quantity * 1.3, 2) - round(rl.quantity * 1.2345, 2), 0, false
    FROM orders_requisitionline rl
    JOIN orders_requisition r ON r.id = rl.requisition_id
    WHERE r.status = 'approved' AND r.submitted_at < %(cut_off)s
      AND NOT EXISTS (
          SELECT 1 FROM orders_allocation a
          WHERE a.requisition_line_id = rl.id AND NOT a.is_cancelled
      )
"""


def _label(lines: int) -> str:
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M"
    if lines % 1000 == 0:
        return f"{lines // 1000}k"
    return str(lines)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _copy(connection, model, rows, columns) -> None:
    """Load ``rows`` (tuples in ``columns`` order) into ``model``'s table by COPY."""
    table = model._meta.db_table
    names = ", ".join(model._meta.get_field(c).column for c in columns)
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def generate(
    *,
    lines: int,
    trusts: int,
    items: int,
    contracts: int,
    seed: int,
    sites_per_trust: int = 10,
    cost_centres_per_trust: int = 5,
):
    """Build trusts with their sites and cost centres, catalogue, contracts
    and approved requisitions, each raised for one of its trust's sites and
    cost centres at random."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Category, Item
    from orders.models import Requisition, RequisitionLine
    from suppliers.models import Contract, ContractItem, PriceTier, Supplier
    from trusts.models import CostCentre, Membership, Site, Trust

    rng = random.Random(seed)
    User = get_user_model()
    trust_rows = Trust.objects.bulk_create(
        Trust(code=f"T{n:02d}", name=f"Trust {n}", ods_code=f"R{n:03d}")
        for n in range(trusts)
    )
    # Each trust's sites and cost centres, in trust order: trust t's are
    # ``sites[t * sites_per_trust : (t + 1) * sites_per_trust]``.
    sites = Site.objects.bulk_create(
        Site(
            trust=trust,
            code=f"S{n:02d}",
            name=f"{trust.code} station {n}",
            kind=Site.Kind.HUB if n == 0 else Site.Kind.STATION,
            address=f"{n + 1} Road",
            postcode="B1 1AA",
        )
        for trust in trust_rows
        for n in range(sites_per_trust)
    )
    cost_centres = CostCentre.objects.bulk_create(
        CostCentre(trust=trust, code=f"CC{n:02d}", name=f"Cost centre {n}")
        for trust in trust_rows
        for n in range(cost_centres_per_trust)
    )
    users = []
    for name in ["buyer"] + [f"req-{t.code}" for t in trust_rows]:
        user = User(username=name)
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    buyer, requesters = users[0], users[1:]
    Membership.objects.bulk_create(
        [Membership(user=buyer, is_buyer=True)]
        + [
            Membership(user=user, trust=trust, is_requisitioner=True)
            for user, trust in zip(requesters, trust_rows, strict=True)
        ]
    )
    category = Category.objects.create(name="Bench")
    item_rows = Item.objects.bulk_create(
        (
            Item(
                sku=f"B-{n:06d}",
                name=f"Item {n}",
                category=category,
                unit=Item.Unit.EACH,
                kind=Item.Kind.CONSUMABLE,
                vat_rate=rng.choice([Decimal("0.20"), Decimal("0.05"), Decimal("0")]),
            )
            for n in range(items)
        ),
        batch_size=2000,
    )
    suppliers = Supplier.objects.bulk_create(
        Supplier(name=f"Supplier {n}", email=f"s{n}@example.com") for n in range(5)
    )
    contract_rows = Contract.objects.bulk_create(
        Contract(
            reference=f"BC-{n:03d}",
            title=f"Contract {n}",
            supplier=suppliers[n % len(suppliers)],
            start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2099, 12, 31),
            value_ceiling=Decimal("999999999999.00"),
            status=Contract.Status.ACTIVE,
        )
        for n in range(contracts)
    )
    Through = Contract.trusts.through
    Through.objects.bulk_create(
        Through(contract_id=contract.pk, trust_id=trust.pk)
        for contract in contract_rows
        for trust in trust_rows
    )
    contract_items, tiers = [], []
    for n, item in enumerate(item_rows):
        # Every item on one contract; one in ten also on a competing one.
        homes = [contract_rows[n % contracts]]
        if n % 10 == 0 and contracts > 1:
            homes.append(contract_rows[(n + 1) % contracts])
        for contract in homes:
            contract_items.append(
                ContractItem(contract=contract, item=item, supplier_code=f"S{n}")
            )
    ContractItem.objects.bulk_create(contract_items, batch_size=2000)
    for contract_item in contract_items:
        price = Decimal(rng.randint(10_000, 1_000_000)).scaleb(-4)
        for min_quantity, factor in ((1, "1"), (200, "0.9"), (1000, "0.8")):
            tiers.append(
                PriceTier(
                    contract_item=contract_item,
                    min_quantity=min_quantity,
                    unit_price=(price * Decimal(factor)).quantize(Decimal("0.0001")),
                )
            )
    PriceTier.objects.bulk_create(tiers, batch_size=5000)

    requisitions = max(1, lines // 10)
    now = timezone.now()
    # Submitted over the week before yesterday, oldest first, as a week's
    # requisitions would be (every one before the round's cut-off, now).
    latest = now - datetime.timedelta(days=1)
    week = 7 * 24 * 3600
    needed_by = now.date() + datetime.timedelta(days=14)
    base = {
        field.attname: field.get_default()
        for field in Requisition._meta.concrete_fields
        if not field.primary_key
    }
    columns = list(base)
    # Its own generator, so that the lines' items and quantities stay those
    # of the same seed whatever the number of sites and cost centres.
    placement = random.Random(seed + 1)
    site_of = [placement.randrange(sites_per_trust) for _ in range(requisitions)]
    cost_centre_of = [
        placement.randrange(cost_centres_per_trust) for _ in range(requisitions)
    ]

    def requisition_rows():
        for n in range(requisitions):
            t = n % trusts
            submitted = latest - datetime.timedelta(
                seconds=week * (requisitions - n) // requisitions
            )
            row = dict(
                base,
                trust_id=trust_rows[t].pk,
                number=f"B-R-{n:07d}",
                requester_id=requesters[t].pk,
                site_id=sites[t * sites_per_trust + site_of[n]].pk,
                cost_centre_id=cost_centres[
                    t * cost_centres_per_trust + cost_centre_of[n]
                ].pk,
                needed_by=needed_by,
                status=Requisition.Status.APPROVED.value,
                created_at=submitted,
                submitted_at=submitted,
            )
            yield tuple(row[c] for c in columns)

    _copy(connection, Requisition, requisition_rows(), columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {Requisition._meta.db_table}")
        first_requisition = cursor.fetchone()[0]
    item_ids = [item.pk for item in item_rows]

    def line_rows():
        for n in range(lines):
            yield (
                first_requisition + n * requisitions // lines,
                rng.choice(item_ids),
                rng.randint(1, 50),
            )

    _copy(
        connection,
        RequisitionLine,
        line_rows(),
        ["requisition_id", "item_id", "quantity"],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return buyer


def _timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _preview_page(pooling_round, buyer, repeat: int) -> tuple[float, int]:
    """Seconds and bytes of the buyer's round page, through the whole stack."""
    from django.test import Client

    client = Client()
    client.force_login(buyer)
    url = pooling_round.get_absolute_url()
    timings = []
    for _ in range(repeat):
        seconds, response = _timed(lambda: client.get(url))
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        timings.append(seconds)
    return min(timings), len(response.content)


def run(args) -> int:
    from django.db import DatabaseError, connection, transaction
    from django.db.models import Count, Sum
    from django.utils import timezone

    from orders.models import Allocation, JointPurchaseOrder, OrderLine, PoolingRound
    from orders.selectors import pooling as pooling_selectors
    from orders.services import pooling as pooling_services

    started = time.perf_counter()
    buyer = generate(
        lines=args.lines,
        trusts=args.trusts,
        items=args.items,
        contracts=args.contracts,
        seed=args.seed,
        sites_per_trust=args.sites,
        cost_centres_per_trust=args.cost_centres,
    )
    print(
        f"generated {args.lines:,} lines ({_count(args.sites, 'site')} and "
        f"{_count(args.cost_centres, 'cost centre')} a trust) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    pooling_round = PoolingRound.objects.create(
        cut_off=timezone.now(), pricing_date=timezone.localdate(), opened_by=buyer
    )
    params = {"cut_off": pooling_round.cut_off, "day": pooling_round.pricing_date}

    def raw_floor():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_scratch (contract_id bigint, "
                "item_id bigint, quantity bigint, lines bigint) ON COMMIT DROP"
            )
            cursor.execute(RAW_FLOOR_SQL, params)
            return cursor.rowcount

    raw_floor()  # warm the cache for both sides
    raw = min(_timed(raw_floor)[0] for _ in range(args.repeat))
    previews = [
        _timed(
            lambda: pooling_selectors.pooling_round_preview(pooling_round=pooling_round)
        )
        for _ in range(args.repeat)
    ]
    preview_seconds = min(seconds for seconds, _ in previews)
    preview = previews[0][1]
    page_seconds, page_bytes = _preview_page(pooling_round, buyer, args.repeat)

    def write_floor():
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                cursor.execute(
                    "CREATE TABLE bench_allocations (LIKE orders_allocation "
                    "INCLUDING DEFAULTS INCLUDING IDENTITY)"
                )
                cursor.execute("ALTER TABLE bench_allocations ADD PRIMARY KEY (id)")
                cursor.execute(
                    "CREATE UNIQUE INDEX ON bench_allocations (requisition_line_id) "
                    "WHERE NOT is_cancelled"
                )
                started = time.perf_counter()
                cursor.execute(WRITE_FLOOR_SQL, params)
                return time.perf_counter() - started, cursor.rowcount
            finally:
                cursor.execute("ROLLBACK")

    floor_seconds, floor_rows = min(write_floor() for _ in range(args.repeat))
    # The floor's rolled-back writes still filled the write-ahead log: flush
    # it now so the commit below does not pay for the floor's checkpoint.
    # Needs a superuser or the pg_checkpoint role; without, the commit pays.
    with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
        cursor.execute("CHECKPOINT")
    commit_seconds, orders = _timed(
        lambda: pooling_services.pooling_round_commit(
            round_id=pooling_round.pk, buyer=buyer
        )
    )

    label = _label(args.lines)
    passed = True
    for name, app, target in (
        ("preview", preview_seconds, 2),
        ("commit", commit_seconds, 3),
    ):
        ratio = app / raw
        ok = ratio <= target
        passed &= ok
        print(
            f"B1 pooling {name} {label} lines: app {app:.2f} s, raw {raw:.2f} s, "
            f"ratio {ratio:.2f} (target <= {target}) {'PASS' if ok else 'FAIL'}"
        )

    print(
        f"B1 preview page {label} lines: {page_seconds:.2f} s for the buyer's whole "
        f"request, {page_bytes / 1024:.0f} KiB ({min(25, len(preview.groups))} of "
        f"{len(preview.groups):,} groups shown); the preview in it "
        f"{preview_seconds:.2f} s (printed, not judged)"
    )
    print(
        f"B1 allocation write floor {label} lines: insert {floor_seconds:.2f} s "
        f"({floor_rows:,} rows), raw {raw:.2f} s, ratio {floor_seconds / raw:.2f} "
        "(one allocation per line, DESIGN §5: no commit can be faster)"
    )
    allocations = Allocation.objects.aggregate(
        count=Count("pk"), net=Sum("net"), savings=Sum("savings")
    )
    # The rows allocations would take if kept per order line and trust's
    # site and cost centre instead of per requisition line (DESIGN §5).
    grouped = (
        Allocation.objects.values("order_line", "trust", "site", "cost_centre")
        .distinct()
        .count()
    )
    print(
        f"B1 allocations per (order line, trust, site, cost centre) {label} lines: "
        f"{grouped:,} rows for {allocations['count']:,} lines "
        f"({grouped / max(1, allocations['count']):.2f}), with "
        f"{_count(args.sites, 'site')} and "
        f"{_count(args.cost_centres, 'cost centre')} a trust (printed, not judged)"
    )
    lines_net = OrderLine.objects.aggregate(net=Sum("net"))["net"]
    orders_net = JointPurchaseOrder.objects.aggregate(net=Sum("net"))["net"]
    consistent = (
        allocations["count"] == preview.line_count
        and allocations["net"] == lines_net == orders_net == preview.money.net
        and allocations["savings"] == preview.money.savings
    )
    print(
        f"committed {len(orders)} orders, {allocations['count']:,} allocations, "
        f"{preview.held_line_count:,} lines held; net £{orders_net:,}, "
        f"savings £{allocations['savings']:,}; "
        f"figures add up: {'yes' if consistent else 'NO'}"
    )
    return 0 if passed and consistent else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--trusts", type=int, default=10)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--contracts", type=int, default=50)
    parser.add_argument(
        "--sites", type=int, default=10, help="sites a trust (stations, hubs)"
    )
    parser.add_argument("--cost-centres", type=int, default=5, help="a trust")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep ap_bench")
    args = parser.parse_args(argv)
    if args.sites < 1 or args.cost_centres < 1:
        parser.error("a trust needs at least one site and one cost centre")

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server.", file=sys.stderr)
        return 2
    _recreate_database(database_url)
    os.environ["DATABASE_URL"] = _server_url(database_url, BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production settings for the preview page, plain HTTP through the test client.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + os.urandom(24).hex())
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0, interactive=False)
        return run(args)
    finally:
        connection.close()
        if not args.keep:
            _drop_database(database_url)


if __name__ == "__main__":
    sys.exit(main())
