"""Synthetic data for the benchmarks: a year of an alliance's requisitions.

Run against a database that has been migrated (``bench.run`` does this)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ap_bench_data \\
        .venv/bin/python -m bench.generate --lines 1000000

What it builds, seeded (``--seed``), sizes as options:

- through ``bench.pooling.generate`` (shared with B1): ``--trusts`` trusts
  (a site and a cost centre each, plus a second of each here), ``--items``
  items, ``--contracts`` active contracts with three price tiers per item, a
  buyer (``buyer``) and a requisitioner per trust (``req-T00``…), and one line
  in twenty as approved requisitions waiting to be pooled;
- two fuel price indices with a price a week over the year;
- the other lines over the last twelve months, requisitions of one to seven
  lines, in every state (draft, submitted, rejected, cancelled, ordered,
  received), loaded with COPY (psycopg ``cursor.copy``);
- the ordered and received ones pooled as they would have been: a committed
  pooling round a month, one issued order per month and contract, an order
  line per item, a share per trust and an allocation per line. Money is
  computed in PostgreSQL with ``round(numeric, 2)`` (half up for the
  positive amounts here, as ``alliance_procurement.money.to_pennies``): each
  allocation's net, VAT and standalone net from its unit prices, order lines
  and shares as the sums of their allocations, orders as the sums of their
  lines, so every figure adds up to the penny.
"""

import argparse
import datetime
import os
import random
import sys
import time
from decimal import Decimal

from bench import pooling

# Share of the generated requisitions per state (approved ones come from
# bench.pooling, one line in twenty).
STATES = (
    ("draft", 4),
    ("submitted", 4),
    ("rejected", 3),
    ("cancelled", 3),
    ("ordered", 56),
    ("received", 30),
)
APPROVED_SHARE = 20  # one line in twenty waits to be pooled


def _extra_sites(trust_ids, rng):
    from trusts.models import CostCentre, Site

    Site.objects.bulk_create(
        Site(
            trust_id=trust_id,
            code="STN",
            name=f"Station {n}",
            kind=Site.Kind.STATION,
            address="2 Road",
            postcode="B2 2AA",
        )
        for n, trust_id in enumerate(trust_ids)
    )
    CostCentre.objects.bulk_create(
        CostCentre(trust_id=trust_id, code="FLEET", name="Fleet")
        for trust_id in trust_ids
    )


def _fuel_indices(rng, today: datetime.date) -> None:
    from suppliers.models import FuelIndexPrice, FuelPriceIndex

    for name in ("Bench diesel", "Bench petrol"):
        index = FuelPriceIndex.objects.create(name=name)
        price = Decimal("1.4000")
        prices = []
        for week in range(53):
            price = (price + Decimal(rng.randint(-300, 300)).scaleb(-4)).max(
                Decimal("0.9000")
            )
            prices.append(
                FuelIndexPrice(
                    index=index,
                    effective_date=today - datetime.timedelta(weeks=52 - week),
                    price_per_litre=price,
                )
            )
        FuelIndexPrice.objects.bulk_create(prices)


def _history(*, lines: int, seed: int, now: datetime.datetime) -> int:
    """COPY ``lines`` requisition lines over the last year in every state."""
    from django.db import connection

    from orders.models import Requisition, RequisitionLine
    from trusts.models import CostCentre, Membership, Site

    rng = random.Random(seed + 1)
    places = {}
    for membership in Membership.objects.filter(is_requisitioner=True):
        trust_id = membership.trust_id
        places[trust_id] = (
            membership.user_id,
            list(Site.objects.filter(trust_id=trust_id).values_list("pk", flat=True)),
            list(
                CostCentre.objects.filter(trust_id=trust_id).values_list(
                    "pk", flat=True
                )
            ),
        )
    trust_ids = sorted(places)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM catalogue_item ORDER BY id")
        item_ids = [row[0] for row in cursor.fetchall()]
    states = [state for state, weight in STATES for _ in range(weight)]
    base = {
        field.attname: field.get_default()
        for field in Requisition._meta.concrete_fields
        if not field.primary_key
    }
    columns = list(base)
    sizes = []
    remaining = lines
    while remaining > 0:
        size = min(remaining, rng.randint(1, 7))
        sizes.append(size)
        remaining -= size
    year = 365 * 24 * 3600

    def requisition_rows():
        for n in range(len(sizes)):
            trust_id = trust_ids[n % len(trust_ids)]
            requester, sites, cost_centres = places[trust_id]
            created = now - datetime.timedelta(seconds=rng.randint(3600, year))
            status = rng.choice(states)
            submitted = (
                None
                if status == "draft"
                else created + datetime.timedelta(hours=rng.randint(1, 48))
            )
            decided = (
                submitted + datetime.timedelta(hours=rng.randint(1, 48))
                if status in ("rejected", "ordered", "received")
                else None
            )
            row = dict(
                base,
                trust_id=trust_id,
                number=f"G-{n:08d}",
                requester_id=requester,
                site_id=rng.choice(sites),
                cost_centre_id=rng.choice(cost_centres),
                needed_by=(created + datetime.timedelta(days=14)).date(),
                status=status,
                created_at=created,
                submitted_at=submitted,
                decided_at=decided,
                decided_by_id=requester if decided else None,
                rejection_reason="Not needed" if status == "rejected" else "",
                cancelled_at=submitted if status == "cancelled" else None,
            )
            yield tuple(row[c] for c in columns)

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM orders_requisition")
        after = cursor.fetchone()[0]
    pooling._copy(connection, Requisition, requisition_rows(), columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM orders_requisition WHERE id > %s ORDER BY id", [after]
        )
        requisition_ids = [row[0] for row in cursor.fetchall()]

    def line_rows():
        for requisition_id, size in zip(requisition_ids, sizes, strict=True):
            for _ in range(size):
                yield requisition_id, rng.choice(item_ids), rng.randint(1, 50)

    pooling._copy(
        connection,
        RequisitionLine,
        line_rows(),
        ["requisition_id", "item_id", "quantity"],
    )
    return len(sizes)


POOL_SQL = [
    # Each item's home contract: the first contract item that offers it.
    """CREATE TEMP TABLE g_home AS
       SELECT DISTINCT ON (ci.item_id) ci.item_id, ci.id AS contract_item_id,
              ci.contract_id, ci.supplier_code, c.supplier_id
       FROM suppliers_contractitem ci JOIN suppliers_contract c ON c.id = ci.contract_id
       ORDER BY ci.item_id, ci.id""",
    """CREATE TEMP TABLE g_line AS
       SELECT rl.id AS line_id, rl.item_id, rl.quantity, r.trust_id, r.site_id,
              r.cost_centre_id, r.status,
              date_trunc('month', r.created_at AT TIME ZONE 'Europe/London')::date
                  AS month,
              h.contract_item_id, h.contract_id, h.supplier_code, h.supplier_id,
              i.vat_rate
       FROM orders_requisitionline rl
       JOIN orders_requisition r ON r.id = rl.requisition_id
       JOIN g_home h ON h.item_id = rl.item_id
       JOIN catalogue_item i ON i.id = rl.item_id
       WHERE r.status IN ('ordered', 'received')""",
    # A committed round a month.
    """CREATE TEMP TABLE g_round AS
       WITH months AS (SELECT DISTINCT month FROM g_line),
       ins AS (
           INSERT INTO orders_poolinground
               (cut_off, pricing_date, status, opened_by_id, opened_at,
                committed_by_id, committed_at)
           SELECT (m.month + interval '1 month') AT TIME ZONE 'Europe/London',
                  m.month, 'committed', %(buyer)s,
                  m.month AT TIME ZONE 'Europe/London',
                  %(buyer)s,
                  least((m.month + interval '1 month') AT TIME ZONE 'Europe/London',
                        %(now)s - interval '1 hour')
           FROM months m
           RETURNING id, pricing_date, committed_at
       )
       SELECT id AS round_id, pricing_date AS month, committed_at FROM ins""",
    # One issued order per month and contract.
    """CREATE TEMP TABLE g_order AS
       WITH pairs AS (
           SELECT DISTINCT l.month, l.contract_id, l.supplier_id FROM g_line l
       ),
       numbered AS (
           SELECT p.*, g.round_id, g.committed_at,
                  row_number() OVER (
                      PARTITION BY extract(year FROM p.month)
                      ORDER BY p.month, p.contract_id
                  ) AS n
           FROM pairs p JOIN g_round g ON g.month = p.month
       ),
       ins AS (
           INSERT INTO orders_jointpurchaseorder
               (number, pooling_round_id, contract_id, supplier_id, pricing_date,
                status, created_at, issued_at, issued_by_id,
                net, vat, standalone_net, savings)
           SELECT 'AP-' || extract(year FROM month)::int || '-'
                      || lpad((n + 500000)::text, 6, '0'),
                  round_id, contract_id, supplier_id, month, 'issued',
                  committed_at, committed_at, %(buyer)s, 0, 0, 0, 0
           FROM numbered
           RETURNING id, pooling_round_id, contract_id, number
       )
       SELECT ins.id AS order_id, ins.number, ins.contract_id, g.month
       FROM ins JOIN g_round g ON g.round_id = ins.pooling_round_id""",
    # One order line per order and item, at the tier its total quantity reaches.
    """CREATE TEMP TABLE g_order_line AS
       WITH sums AS (
           SELECT o.order_id, l.item_id, l.contract_item_id,
                  min(l.supplier_code) AS supplier_code, sum(l.quantity) AS quantity
           FROM g_line l
           JOIN g_order o ON o.month = l.month AND o.contract_id = l.contract_id
           GROUP BY o.order_id, l.item_id, l.contract_item_id
       ),
       priced AS (
           SELECT s.*, t.unit_price, t.min_quantity AS tier_min_quantity
           FROM sums s
           CROSS JOIN LATERAL (
               SELECT unit_price, min_quantity FROM suppliers_pricetier
               WHERE contract_item_id = s.contract_item_id
                 AND min_quantity <= s.quantity
               ORDER BY min_quantity DESC LIMIT 1
           ) t
       ),
       ins AS (
           INSERT INTO orders_orderline
               (order_id, item_id, supplier_code, quantity, unit_price,
                tier_min_quantity, net, vat, standalone_net, savings)
           SELECT order_id, item_id, supplier_code, quantity, unit_price,
                  tier_min_quantity, 0, 0, 0, 0
           FROM priced
           RETURNING id, order_id, item_id, unit_price
       )
       SELECT id AS order_line_id, order_id, item_id, unit_price FROM ins""",
    # A share per order and trust.
    """CREATE TEMP TABLE g_share AS
       WITH pairs AS (
           SELECT DISTINCT o.order_id, o.number, l.trust_id
           FROM g_line l
           JOIN g_order o ON o.month = l.month AND o.contract_id = l.contract_id
       ),
       ins AS (
           INSERT INTO orders_ordershare
               (order_id, trust_id, reference, net, vat, standalone_net, savings)
           SELECT p.order_id, p.trust_id, p.number || '-' || t.code, 0, 0, 0, 0
           FROM pairs p JOIN trusts_trust t ON t.id = p.trust_id
           RETURNING id, order_id, trust_id
       )
       SELECT id AS share_id, order_id, trust_id FROM ins""",
    # An allocation per line: pooled price from its order line, standalone
    # price from the tier its own quantity reaches, money rounded half up.
    """INSERT INTO orders_allocation
           (order_line_id, share_id, requisition_line_id, trust_id, site_id,
            cost_centre_id, quantity, unit_price, standalone_unit_price,
            received_quantity, is_cancelled, net, vat, standalone_net, savings)
       SELECT ol.order_line_id, s.share_id, l.line_id, l.trust_id, l.site_id,
              l.cost_centre_id, l.quantity, ol.unit_price, st.unit_price,
              CASE WHEN l.status = 'received' THEN l.quantity ELSE 0 END, FALSE,
              round(l.quantity * ol.unit_price, 2),
              round(round(l.quantity * ol.unit_price, 2) * l.vat_rate, 2),
              round(l.quantity * st.unit_price, 2),
              round(l.quantity * st.unit_price, 2)
                  - round(l.quantity * ol.unit_price, 2)
       FROM g_line l
       JOIN g_order o ON o.month = l.month AND o.contract_id = l.contract_id
       JOIN g_order_line ol ON ol.order_id = o.order_id AND ol.item_id = l.item_id
       JOIN g_share s ON s.order_id = o.order_id AND s.trust_id = l.trust_id
       CROSS JOIN LATERAL (
           SELECT unit_price FROM suppliers_pricetier
           WHERE contract_item_id = l.contract_item_id
             AND min_quantity <= l.quantity
           ORDER BY min_quantity DESC LIMIT 1
       ) st""",
    # Order lines and shares add up their allocations; orders their lines.
    """UPDATE orders_orderline ol
       SET net = a.net, vat = a.vat, standalone_net = a.standalone_net,
           savings = a.savings
       FROM (SELECT order_line_id, sum(net) net, sum(vat) vat,
                    sum(standalone_net) standalone_net, sum(savings) savings
             FROM orders_allocation GROUP BY order_line_id) a
       WHERE a.order_line_id = ol.id""",
    """UPDATE orders_ordershare sh
       SET net = a.net, vat = a.vat, standalone_net = a.standalone_net,
           savings = a.savings
       FROM (SELECT share_id, sum(net) net, sum(vat) vat,
                    sum(standalone_net) standalone_net, sum(savings) savings
             FROM orders_allocation GROUP BY share_id) a
       WHERE a.share_id = sh.id""",
    """UPDATE orders_jointpurchaseorder o
       SET net = a.net, vat = a.vat, standalone_net = a.standalone_net,
           savings = a.savings
       FROM (SELECT order_id, sum(net) net, sum(vat) vat,
                    sum(standalone_net) standalone_net, sum(savings) savings
             FROM orders_orderline GROUP BY order_id) a
       WHERE a.order_id = o.id""",
    """UPDATE orders_jointpurchaseorder o SET status = 'received'
       WHERE NOT EXISTS (
           SELECT 1 FROM orders_orderline ol
           JOIN orders_allocation a ON a.order_line_id = ol.id
           WHERE ol.order_id = o.id AND a.received_quantity < a.quantity
       )""",
    # Estimated prices on every line, and estimated totals on requisitions.
    """UPDATE orders_requisitionline rl
       SET estimated_unit_price = t.unit_price,
           estimated_net = round(rl.quantity * t.unit_price, 2)
       FROM g_home h
       JOIN suppliers_pricetier t
         ON t.contract_item_id = h.contract_item_id AND t.min_quantity = 1
       WHERE h.item_id = rl.item_id""",
    """UPDATE orders_requisition r SET estimated_total = s.total
       FROM (SELECT requisition_id, sum(estimated_net) total
             FROM orders_requisitionline GROUP BY requisition_id) s
       WHERE s.requisition_id = r.id""",
    "DROP TABLE g_home, g_line, g_round, g_order, g_order_line, g_share",
]


def generate(
    *,
    lines: int = 1_000_000,
    trusts: int = 10,
    items: int = 5000,
    contracts: int = 50,
    seed: int = 2026,
    verbose: bool = True,
):
    """Build the year; returns the buyer. The database must be migrated and empty."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from trusts.models import Trust

    def say(message: str) -> None:
        if verbose:
            print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    approved = max(10, lines // APPROVED_SHARE)
    pooling.generate(
        lines=approved, trusts=trusts, items=items, contracts=contracts, seed=seed
    )
    say(f"  catalogue, contracts and {approved:,} approved lines")
    rng = random.Random(seed)
    now = timezone.now()
    _extra_sites(list(Trust.objects.values_list("pk", flat=True)), rng)
    _fuel_indices(rng, now.date())
    requisitions = _history(lines=lines - approved, seed=seed, now=now)
    say(f"  {requisitions:,} requisitions, {lines - approved:,} lines copied")
    buyer = get_user_model().objects.get(username="buyer")
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in POOL_SQL:
            cursor.execute(sql, {"buyer": buyer.pk, "now": now})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(f"  pooled and analysed in {time.perf_counter() - started:.1f} s")
    return buyer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=10)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--contracts", type=int, default=50)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")
    import django

    django.setup()
    generate(
        lines=args.lines,
        trusts=args.trusts,
        items=args.items,
        contracts=args.contracts,
        seed=args.seed,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
