"""The import commands: thin, all or nothing, non-zero exit on any bad row."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from catalogue.models import Item
from suppliers.models import ContractItem, PriceTier
from tests.factories import ContractFactory, ItemFactory, TrustFactory, UserFactory
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

CATALOGUE = (
    "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin\n"
    "GLV-001,Nitrile gloves M,Gloves,box,100,consumable,0.20,,\n"
)
PRICE_LIST = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple\n"
    "GLV-001,G1,1,8.50,1,1\n"
    "GLV-001,G1,100,8.00,1,1\n"
)


def write(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "import.csv"
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_catalogue_prints_a_summary(tmp_path):
    """A good file imports and the summary gives the counts."""
    out, _err = run("import_catalogue", write(tmp_path, CATALOGUE))
    assert Item.objects.filter(sku="GLV-001").exists()
    assert "1 rows: 1 created, 0 updated, 0 unchanged, 0 removed" in out


def test_import_catalogue_bad_row_fails_and_prints_every_error(tmp_path):
    """Any bad row: every error printed, CommandError, nothing saved."""
    bad = CATALOGUE + "GLV-002,Gloves L,Gloves,crate,0,consumable,0.20,,\n"
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 errors; nothing was imported"):
        call_command("import_catalogue", write(tmp_path, bad), stderr=err)
    assert "Row 3, column unit:" in err.getvalue()
    assert "Row 3, column pack_size:" in err.getvalue()
    assert not Item.objects.exists()


def test_import_catalogue_missing_file_is_a_clear_error(tmp_path):
    """A path that cannot be read is a CommandError, not a traceback."""
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalogue", str(tmp_path / "nope.csv"))


def test_import_price_list_prints_a_summary(tmp_path):
    """The price list replaces the contract's items and reports counts."""
    contract = ContractFactory(reference="AP-C-1")
    ItemFactory(sku="GLV-001")
    out, _err = run("import_price_list", "AP-C-1", write(tmp_path, PRICE_LIST))
    assert PriceTier.objects.filter(contract_item__contract=contract).count() == 2
    assert "1 items created, 0 updated, 0 removed; 2 price tiers" in out


def test_import_price_list_dry_run_saves_nothing(tmp_path):
    """--dry-run checks and counts, and writes nothing."""
    ContractFactory(reference="AP-C-1")
    ItemFactory(sku="GLV-001")
    out, _err = run(
        "import_price_list", "AP-C-1", write(tmp_path, PRICE_LIST), "--dry-run"
    )
    assert out.startswith("Dry run, nothing saved.")
    assert not ContractItem.objects.exists()


def test_import_price_list_unknown_contract_fails(tmp_path):
    """An unknown contract reference is an error naming it."""
    ItemFactory(sku="GLV-001")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_price_list", "NOPE", write(tmp_path, PRICE_LIST), stderr=err
        )
    assert "Unknown contract NOPE" in err.getvalue()


def test_import_price_list_wrong_encoding_fails_with_row(tmp_path):
    """Latin-1 bytes are reported as wrong encoding on their row."""
    ContractFactory(reference="AP-C-1")
    ItemFactory(sku="GLV-001")
    latin1 = PRICE_LIST.replace("G1,100", "Gé,100").encode("latin-1")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_price_list", "AP-C-1", write(tmp_path, latin1), stderr=err)
    assert "Row 3: Wrong encoding" in err.getvalue()
    assert not ContractItem.objects.exists()


# The program commits its audit event to the test database: a transactional
# test empties every table afterwards, so no later test finds it.
@pytest.mark.django_db(transaction=True)
def test_failed_import_exits_non_zero_from_the_shell(tmp_path):
    """Run as a program, a rejected file exits with status 1 and no traceback."""
    path = write(tmp_path, b"")
    database = connection.settings_dict
    env = {
        **os.environ,
        # The program talks to the test database, the only one that exists here.
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
    }
    result = subprocess.run(  # noqa: S603 -- fixed arguments, our own manage.py
        [sys.executable, "manage.py", "import_catalogue", "--skip-checks", path],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
    )
    assert result.returncode == 1
    assert "The file is empty" in result.stderr
    assert "Traceback" not in result.stderr


# --- Who imports: --user --------------------------------------------------------


def _contract_manager(username="cm-ops"):
    return UserFactory(
        username=username, membership__trust=None, membership__is_contract_manager=True
    )


def test_price_list_import_records_the_user_given(tmp_path):
    """``--user`` names the contract manager importing: the audit event of the
    import is theirs, and no warning is printed."""
    manager = _contract_manager()
    ContractFactory(reference="AP-C-1")
    ItemFactory(sku="GLV-001")
    _out, err = run(
        "import_price_list", "AP-C-1", write(tmp_path, PRICE_LIST), "--user", "cm-ops"
    )
    event = AuditEvent.objects.get(action="suppliers.price_list.imported")
    assert event.actor == manager
    assert event.actor_username == "cm-ops"
    assert err == ""


def test_catalogue_import_records_the_user_given(tmp_path):
    """The catalogue import's event names the ``--user`` given."""
    manager = _contract_manager()
    run("import_catalogue", write(tmp_path, CATALOGUE), "--user", "cm-ops")
    event = AuditEvent.objects.get(action="catalogue.catalogue_file.imported")
    assert event.actor == manager


def test_a_rejected_import_records_the_user_given(tmp_path):
    """A file refused for a bad row is recorded as rejected, by the person."""
    manager = _contract_manager()
    bad = CATALOGUE + "GLV-002,Gloves L,Gloves,crate,0,consumable,0.20,,\n"
    with pytest.raises(CommandError):
        run("import_catalogue", write(tmp_path, bad), "--user", "cm-ops")
    event = AuditEvent.objects.get(action="catalogue.catalogue_file.rejected")
    assert event.actor == manager


@pytest.mark.parametrize("who", ["nobody", "requisitioner", "inactive"])
def test_only_an_active_contract_manager_may_be_named(tmp_path, who):
    """Naming anyone but an active contract manager stops the command before
    it reads the file: nothing is imported and nothing recorded."""
    if who == "requisitioner":
        UserFactory(
            username=who,
            membership__trust=TrustFactory(),
            membership__is_requisitioner=True,
        )
    if who == "inactive":
        UserFactory(
            username=who,
            is_active=False,
            membership__trust=None,
            membership__is_contract_manager=True,
        )
    with pytest.raises(CommandError, match=f"{who} is not an active contract manager"):
        run("import_catalogue", write(tmp_path, CATALOGUE), "--user", who)
    assert not Item.objects.exists()
    assert not AuditEvent.objects.exists()


def test_without_a_user_the_import_warns_that_no_person_is_recorded(tmp_path):
    """Without ``--user`` the import still runs; the event names nobody, and
    the command says so on stderr. A dry run records nothing: no warning."""
    _out, err = run("import_catalogue", write(tmp_path, CATALOGUE))
    assert "No --user given" in err
    assert (
        AuditEvent.objects.get(action="catalogue.catalogue_file.imported").actor_id
        is None
    )
    _out, err = run("import_catalogue", write(tmp_path, CATALOGUE), "--dry-run")
    assert err == ""
