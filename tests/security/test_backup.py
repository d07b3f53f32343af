"""Backups: make backup, then make restore into a fresh database, lose nothing."""

import os
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum

from orders.models import Allocation, JointPurchaseOrder, Requisition, RequisitionLine
from tests import factories
from tests.scripts import run_script
from trusts import services
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "requisitions": Requisition,
    "requisition lines": RequisitionLine,
    "orders": JointPurchaseOrder,
    "allocations": Allocation,
    "audit events": AuditEvent,
}


def _url(dbname: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{auth}@{host}:{port}/{dbname}"


def _run(script: str, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    return run_script(script, *args, env={**os.environ, **env_vars})


def _figures_here() -> dict:
    figures = {name: model.objects.count() for name, model in TABLES.items()}
    figures["allocation money"] = tuple(
        Allocation.objects.aggregate(
            net=Sum("net"), vat=Sum("vat"), savings=Sum("savings")
        ).values()
    )
    figures["order net"] = JointPurchaseOrder.objects.aggregate(net=Sum("net"))["net"]
    return figures


def _figures_in(url: str) -> dict:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        figures = {
            name: conn.execute(
                f"SELECT count(*) FROM {model._meta.db_table}"  # noqa: S608 -- table names from model meta
            ).fetchone()[0]
            for name, model in TABLES.items()
        }
        figures["allocation money"] = conn.execute(
            "SELECT sum(net), sum(vat), sum(savings) FROM orders_allocation"
        ).fetchone()
        figures["order net"] = conn.execute(
            "SELECT sum(net) FROM orders_jointpurchaseorder"
        ).fetchone()[0]
    return figures


def _drop(dbname: str) -> None:
    with psycopg.connect(
        _url("postgres").replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def data(settings):
    trust_a = factories.TrustFactory(code="WMAS")
    trust_b = factories.TrustFactory(code="SECAMB")
    for trust, net in ((trust_a, "1234.56"), (trust_b, "789.01"), (trust_a, "0.99")):
        factories.AllocationFactory(
            share__trust=trust,
            net=Decimal(net),
            vat=(Decimal(net) * Decimal("0.20")).quantize(Decimal("0.01")),
            savings=Decimal("12.34"),
        )
    factories.RequisitionLineFactory(requisition__trust=trust_b, quantity=7)
    for order in JointPurchaseOrder.objects.all():
        order.net = sum(
            line.allocations.aggregate(s=Sum("net"))["s"] for line in order.lines.all()
        )
        order.save(update_fields=["net"])
    services.audit_record(actor=None, action="tests.backup.made")
    media = Path(settings.MEDIA_ROOT) / "orders" / "AP-2026-000001.pdf"
    media.parent.mkdir(parents=True)
    media.write_bytes(b"%PDF-1.7 an order document")
    return media


def test_backup_and_restore_into_a_fresh_database_keep_every_row_and_penny(
    data, settings, tmp_path
):
    """Counts, money sums, media files and the audit triggers survive a restore."""
    expected = _figures_here()
    assert expected["allocations"] == 3
    source = connection.settings_dict["NAME"]
    fresh = f"{source}_restored"
    _drop(fresh)
    try:
        backup = _run(
            "backup.sh",
            DATABASE_URL=_url(source),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            BACKUP_ROOT=str(tmp_path / "backups"),
        )
        assert backup.returncode == 0, backup.stderr
        folder = backup.stdout.strip().splitlines()[-1]
        assert {p.name for p in Path(folder).iterdir()} >= {
            "database.dump",
            "media.tar.gz",
            "SHA256SUMS",
        }

        restored_media = tmp_path / "restored-media"
        restore = _run(
            "restore.sh",
            folder,
            DATABASE_URL=_url(fresh),
            MEDIA_ROOT=str(restored_media),
        )
        assert restore.returncode == 0, restore.stderr

        assert _figures_in(_url(fresh)) == expected
        copy = restored_media / "orders" / "AP-2026-000001.pdf"
        assert copy.read_bytes() == data.read_bytes()
        with (
            psycopg.connect(
                _url(fresh).replace("postgres://", "postgresql://", 1)
            ) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append only"),
        ):
            conn.execute("DELETE FROM trusts_auditevent")
    finally:
        _drop(fresh)


def test_restore_refuses_a_database_that_holds_tables(data, settings, tmp_path):
    """Restoring over a live database needs FORCE=1: nothing is replaced by mistake."""
    source = connection.settings_dict["NAME"]
    backup = _run(
        "backup.sh",
        DATABASE_URL=_url(source),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BACKUP_ROOT=str(tmp_path / "backups"),
    )
    folder = backup.stdout.strip().splitlines()[-1]
    restore = _run("restore.sh", folder, DATABASE_URL=_url(source))
    assert restore.returncode == 4
    assert "FORCE=1" in restore.stderr


def test_restore_refuses_a_damaged_backup(data, settings, tmp_path):
    """A backup whose files no longer match their checksums is not restored."""
    backup = _run(
        "backup.sh",
        DATABASE_URL=_url(connection.settings_dict["NAME"]),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BACKUP_ROOT=str(tmp_path / "backups"),
    )
    folder = Path(backup.stdout.strip().splitlines()[-1])
    with (folder / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    restore = _run("restore.sh", str(folder), DATABASE_URL=_url("never_created_db"))
    assert restore.returncode == 3
    assert "checksums" in restore.stderr


def test_backup_refuses_the_embedded_sqlite_mode(tmp_path, db):
    """Without a PostgreSQL DATABASE_URL, backup says so and writes nothing."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(  # noqa: S603 -- our own script, fixed arguments
        ["bash", str(ROOT / "scripts" / "backup.sh")],  # noqa: S607 -- bash from PATH
        cwd=ROOT,
        env={**env, "BACKUP_ROOT": str(tmp_path / "backups")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SQLite" in result.stderr
    assert not (tmp_path / "backups").exists()
