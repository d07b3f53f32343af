"""Benchmark B2: order PDFs of 1,000 and 10,000 lines against bare WeasyPrint.

Run with ``.venv/bin/python -m bench.pdf`` (``--sizes 1000`` for a quick
run). Needs PostgreSQL at ``DATABASE_URL`` (default: the local
``alliance_procurement`` database); a throwaway ``test_...`` database is
created, filled and dropped.

For each size it builds an issued order of that many lines (three trusts,
each line allocated to one trust in turn) and, each in a fresh subprocess so
time and peak memory (``ru_maxrss``) are its own:

- app: ``order_document_build`` of the consolidated document, through the real
  template, CSS, fonts and URL fetcher, loading the order and storing the file;
- raw: a bare WeasyPrint table of the same rows and cells (the order's lines
  and every trust's delivery rows), no stylesheet.

It prints ``B2 order PDF <n> lines: app X s, raw Y s, ratio Z (target <= 1.5)
PASS|FAIL`` and the same for peak memory per size, then how much longer 10,000
lines take than 1,000, for the app and for the raw table: the app's growth may
be at most 1.5 × the raw table's (WeasyPrint's own layout grows a little faster
than the rows). Exits 1 if a target is missed.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

RATIO_TARGET = 1.5
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/alliance_procurement"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_app(document_id: int) -> dict:
    from orders.services import documents as services

    started = time.perf_counter()
    document = services.order_document_build(document_id=document_id)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "bytes": document.file.size, "peak_mib": _peak_mib()}


def _child_raw(order_id: int) -> dict:
    from weasyprint import HTML

    from orders import documents

    data = documents.order_document_data(order_id=order_id)
    tables = [[list(line.values()) for line in data.lines]]
    for share in data.shares:
        rows = [
            list(line.values()) for site in share.sites for line in site["deliveries"]
        ]
        tables.append(rows)
    started = time.perf_counter()
    html = (
        "<html><body>"
        + "".join(
            "<table><thead><tr>"
            + "<th>h</th>" * (len(rows[0]) if rows else 1)
            + "</tr></thead><tbody>"
            + "".join(
                "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                for row in rows
            )
            + "</tbody></table>"
            for rows in tables
        )
        + "</body></html>"
    )
    content = HTML(string=html).write_pdf()
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "bytes": len(content), "peak_mib": _peak_mib()}


def _run_child(kind: str, ident: int, env: dict) -> dict:
    output = subprocess.run(  # noqa: S603 -- our own module, fixed arguments
        [sys.executable, "-m", "bench.pdf", "--child", kind, str(ident)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _prepare(sizes: list[int]) -> tuple[dict, dict[int, tuple[int, int]]]:
    """Create the throwaway database and one order (and document) per size."""
    from django.db import connection
    from django.utils import timezone

    from orders.models import OrderDocument
    from tests.orders.builders_documents import build_order, build_trusts

    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    trusts = build_trusts()
    orders = {}
    for n, size in enumerate(sizes):
        started = time.perf_counter()
        order = build_order(
            trusts=trusts,
            lines=size,
            seed=n,
            number=f"AP-2026-{n + 1:06d}",
            one_trust_per_line=True,
        )
        document = OrderDocument.objects.create(
            order=order, kind="consolidated", requested_at=timezone.now()
        )
        orders[size] = (order.pk, document.pk)
        print(
            f"prepared {size} lines in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + test_name)),
    }
    return env, orders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ID"))
    args = parser.parse_args()
    if not args.child:
        os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-pdf-")
    _django()

    if args.child:
        kind, ident = args.child[0], int(args.child[1])
        result = _child_app(ident) if kind == "app" else _child_raw(ident)
        print(json.dumps(result))
        return 0

    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    env, orders = _prepare(args.sizes)
    ok = True
    app_seconds, raw_seconds = {}, {}
    try:
        for size in args.sizes:
            order_id, document_id = orders[size]
            app = _run_child("app", document_id, env)
            raw = _run_child("raw", order_id, env)
            ratio = app["seconds"] / raw["seconds"]
            passed = ratio <= RATIO_TARGET
            ok &= passed
            app_seconds[size] = app["seconds"]
            raw_seconds[size] = raw["seconds"]
            print(
                f"B2 order PDF {size} lines: app {app['seconds']:.2f} s, "
                f"raw {raw['seconds']:.2f} s, ratio {ratio:.2f} "
                f"(target <= {RATIO_TARGET}) {'PASS' if passed else 'FAIL'}"
            )
            memory = app["peak_mib"] / raw["peak_mib"]
            memory_passed = memory <= RATIO_TARGET
            ok &= memory_passed
            print(
                f"B2 order PDF {size} lines peak memory: "
                f"app {app['peak_mib']:.0f} MiB, raw {raw['peak_mib']:.0f} MiB, "
                f"ratio {memory:.2f} (target <= {RATIO_TARGET}) "
                f"{'PASS' if memory_passed else 'FAIL'}; "
                f"file {app['bytes'] / 1024:.0f} KiB"
            )
        if 1000 in app_seconds and 10000 in app_seconds:
            app_growth = app_seconds[10000] / app_seconds[1000]
            raw_growth = raw_seconds[10000] / raw_seconds[1000]
            growth = app_growth / raw_growth
            passed = growth <= RATIO_TARGET
            ok &= passed
            print(
                f"B2 order PDF 10k/1k time: app {app_growth:.2f} ×, "
                f"raw {raw_growth:.2f} ×, ratio {growth:.2f} "
                f"(target <= {RATIO_TARGET}) {'PASS' if passed else 'FAIL'}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
