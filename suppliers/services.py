"""Writes about suppliers and contracts: price-list imports (DESIGN §3, §8)."""

import datetime
import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_procurement.csv_import import (
    CsvFile,
    ImportRejected,
    ImportSummary,
    RowError,
    parse_decimal,
    parse_whole_number,
)
from catalogue import services as catalogue_services
from catalogue.models import Item
from suppliers import pricing, selectors
from suppliers.models import (
    MAX_LINE_QUANTITY,
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    ImportBatch,
    PriceTier,
    Supplier,
)
from trusts import services as trust_services
from trusts.models import Trust

PRICE_LIST_COLUMNS = (
    "sku",
    "supplier_code",
    "min_quantity",
    "unit_price",
    "minimum_order_quantity",
    "order_multiple",
)
PRICE_LIST_OPTIONAL_COLUMNS = ("price_basis", "fuel_index")
# No real price list has more breaks for one item; the cap also keeps the
# per-row tier checks cheap on a hostile file.
MAX_TIERS_PER_ITEM = 100
UNIT_PRICE_INTEGER_DIGITS = 8  # DecimalField(max_digits=12, decimal_places=4)
LOOKUP_BATCH = 2000
WRITE_BATCH = 5000
# The preview page shows this many errors; the count is always complete.
STORED_ERRORS = 1000
_BASIS_ALIASES = {
    "fixed": ContractItem.PriceBasis.FIXED,
    "index_linked": ContractItem.PriceBasis.INDEX_LINKED,
    "index-linked": ContractItem.PriceBasis.INDEX_LINKED,
}
_SUPPLIER_CODE_LENGTH = ContractItem._meta.get_field("supplier_code").max_length
_SKU_LENGTH = Item._meta.get_field("sku").max_length
_INDEX_NAME_LENGTH = FuelPriceIndex._meta.get_field("name").max_length


class _ItemRows:
    """One SKU's rows, kept compact: a 200,000-row file fits in memory."""

    __slots__ = (
        "basis",
        "first_row",
        "index_name",
        "item_id",
        "moq",
        "multiple",
        "rows",
        "supplier_code",
        "tiers",
    )

    def __init__(self, first_row: int):
        self.first_row = first_row
        self.supplier_code: str | None = None
        self.moq: int | None = None
        self.multiple: int | None = None
        self.basis: str | None = None
        self.index_name: str | None = None
        self.item_id: int | None = None
        # (min_quantity, unit price or margin, row)
        self.tiers: list[tuple[int, Decimal, int]] = []


def _agree(
    group: _ItemRows,
    attribute: str,
    value,
    *,
    row: int,
    column: str,
    errors: list[RowError],
) -> None:
    """Keep a per-SKU value; a later row giving a different one is an error.

    A blank cell (``None``) on a later row means "as the SKU's other rows".
    """
    if value is None:
        return
    current = getattr(group, attribute)
    if current is None:
        setattr(group, attribute, value)
    elif current != value:
        errors.append(
            RowError(
                row,
                column,
                _(
                    "%(value)s disagrees with %(first)s given for this SKU on an "
                    "earlier row; one SKU has one %(column)s."
                )
                % {"value": value, "first": current, "column": column},
                "disagrees",
            )
        )


def _read_row(
    row: int,
    values: dict[str, str],
    groups: dict[str, _ItemRows],
    errors: list[RowError],
) -> None:
    """Check one row's cells and add it as a tier of its SKU's group."""
    found: list[RowError] = []
    sku = values["sku"]
    if not sku:
        found.append(RowError(row, "sku", _("A value is required."), "required"))
    elif len(sku) > _SKU_LENGTH:
        found.append(
            RowError(row, "sku", _("This is not a SKU: it is too long."), "too_long")
        )
    if len(values["supplier_code"]) > _SUPPLIER_CODE_LENGTH:
        found.append(
            RowError(
                row,
                "supplier_code",
                _("The value is longer than %(limit)s characters.")
                % {"limit": _SUPPLIER_CODE_LENGTH},
                "too_long",
            )
        )
    numbers: dict[str, int | None] = {}
    for column in ("min_quantity", "minimum_order_quantity", "order_multiple"):
        text = values[column]
        if not text and column != "min_quantity":
            numbers[column] = None  # as the SKU's other rows, or 1
            continue
        try:
            numbers[column] = parse_whole_number(
                text, minimum=1, maximum=MAX_LINE_QUANTITY
            )
        except ValueError as exc:
            found.append(RowError(row, column, str(exc), "bad_number"))
    price = None
    try:
        price = parse_decimal(
            values["unit_price"],
            places=4,
            max_integer_digits=UNIT_PRICE_INTEGER_DIGITS,
            allow_negative=True,  # margins may be; fixed prices are checked later
        )
    except ValueError as exc:
        found.append(RowError(row, "unit_price", str(exc), "bad_number"))
    basis = None
    basis_text = values.get("price_basis", "").lower()
    if basis_text:
        basis = _BASIS_ALIASES.get(basis_text)
        if basis is None:
            found.append(
                RowError(
                    row,
                    "price_basis",
                    _("%(value)s is not a price basis; use fixed or index_linked.")
                    % {"value": values["price_basis"][:40]},
                    "bad_choice",
                )
            )
    index_name = values.get("fuel_index", "") or None
    if index_name and len(index_name) > _INDEX_NAME_LENGTH:
        found.append(
            RowError(row, "fuel_index", _("This is not a fuel index."), "too_long")
        )
    if found:
        errors.extend(found)
        if sku and sku in groups:
            # A placeholder tier (dropped before the tier checks) so that an
            # unknown SKU is reported on this row too.
            groups[sku].tiers.append((0, Decimal(0), row))
        return
    group = groups.get(sku)
    if group is None:
        group = groups[sku] = _ItemRows(row)
    if len(group.tiers) >= MAX_TIERS_PER_ITEM:
        errors.append(
            RowError(
                row,
                "min_quantity",
                _("One SKU may have at most %(limit)s price tiers.")
                % {"limit": MAX_TIERS_PER_ITEM},
                "too_many_tiers",
            )
        )
        return
    before = len(errors)
    _agree(
        group,
        "supplier_code",
        values["supplier_code"] or None,
        row=row,
        column="supplier_code",
        errors=errors,
    )
    _agree(
        group,
        "moq",
        numbers["minimum_order_quantity"],
        row=row,
        column="minimum_order_quantity",
        errors=errors,
    )
    _agree(
        group,
        "multiple",
        numbers["order_multiple"],
        row=row,
        column="order_multiple",
        errors=errors,
    )
    _agree(group, "basis", basis, row=row, column="price_basis", errors=errors)
    _agree(group, "index_name", index_name, row=row, column="fuel_index", errors=errors)
    if len(errors) == before:
        group.tiers.append((numbers["min_quantity"], price, row))


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _resolve_items(groups: dict[str, _ItemRows], errors: list[RowError]) -> None:
    """Find each SKU's item; every row of an unknown SKU is an error."""
    skus = list(groups)
    for chunk in _chunks(skus, LOOKUP_BATCH):
        for sku, pk in Item.objects.filter(sku__in=chunk).values_list("sku", "pk"):
            groups[sku].item_id = pk
    for sku, group in groups.items():
        if group.item_id is None:
            rows = [row for _quantity, _price, row in group.tiers] or [group.first_row]
            errors.extend(
                RowError(
                    row,
                    "sku",
                    _("Unknown SKU %(sku)s: it is not in the catalogue.")
                    % {"sku": sku},
                    "unknown_sku",
                )
                for row in sorted(set(rows))
            )


def _tier_rows_errors(group: _ItemRows, *, basis: str, errors: list[RowError]) -> None:
    """Check the SKU's tiers (``pricing.tier_errors``), each fault on its row.

    The tiers are checked in order of quantity, growing one at a time; what
    adding a tier breaks is reported on that tier's row.
    """
    ordered = sorted(group.tiers, key=lambda tier: tier[0])
    moq = group.moq or 1

    def check(tiers: list[pricing.Tier]) -> Counter[str]:
        return Counter(
            pricing.tier_errors(tiers, minimum_order_quantity=moq, price_basis=basis)
        )

    if not check([pricing.Tier(quantity, price) for quantity, price, _row in ordered]):
        return
    seen: Counter[str] = Counter()
    prefix: list[pricing.Tier] = []
    for min_quantity, price, row in ordered:
        # The same break at a harmless price tells quantity faults (first
        # break, duplicate) from price faults (rising, negative).
        harmless = prefix[-1].unit_price if prefix else Decimal(0)
        by_quantity = check([*prefix, pricing.Tier(min_quantity, harmless)]) - seen
        prefix.append(pricing.Tier(min_quantity, price))
        now = check(prefix)
        for message in now - seen:
            column = "min_quantity" if message in by_quantity else "unit_price"
            errors.append(RowError(row, column, message, "bad_tier"))
        seen = now


def _existing_contract_items(contract: Contract) -> dict[int, tuple]:
    """Map item id to (pk, basis, index id, supplier code, moq, multiple)."""
    return {
        item_id: (pk, basis, index_id, code, moq, multiple)
        for pk, item_id, basis, index_id, code, moq, multiple in (
            ContractItem.objects.filter(contract=contract).values_list(
                "pk",
                "item_id",
                "price_basis",
                "fuel_index_id",
                "supplier_code",
                "minimum_order_quantity",
                "order_multiple",
            )
        )
    }


def _resolve_basis(
    groups: dict[str, _ItemRows],
    existing: dict[int, tuple],
    errors: list[RowError],
) -> dict[str, tuple[str, int | None]]:
    """Decide each SKU's price basis and fuel index.

    An item already on the contract keeps its basis and index unless the
    file's price_basis column says otherwise; a new item is fixed price
    unless the file says index_linked with a fuel index.
    """
    names = {g.index_name for g in groups.values() if g.index_name}
    indices = dict(
        FuelPriceIndex.objects.filter(name__in=names).values_list("name", "pk")
    )
    decided: dict[str, tuple[str, int | None]] = {}
    for sku, group in groups.items():
        if group.item_id is None:
            continue
        current = existing.get(group.item_id)
        basis = group.basis
        if basis is None and group.index_name:
            errors.append(
                RowError(
                    group.first_row,
                    "price_basis",
                    _("Give index_linked as the price basis with a fuel index."),
                    "required",
                )
            )
            continue
        if basis is None:
            decided[sku] = (
                (current[1], current[2])
                if current
                else (ContractItem.PriceBasis.FIXED, None)
            )
        elif basis == ContractItem.PriceBasis.FIXED and group.index_name:
            errors.append(
                RowError(
                    group.first_row,
                    "fuel_index",
                    _("A fixed-price item has no fuel index: leave it blank."),
                    "not_index_linked",
                )
            )
        elif basis == ContractItem.PriceBasis.FIXED:
            decided[sku] = (basis, None)
        elif not group.index_name:
            errors.append(
                RowError(
                    group.first_row,
                    "fuel_index",
                    _("An index-linked item needs a fuel index."),
                    "required",
                )
            )
        elif group.index_name not in indices:
            errors.append(
                RowError(
                    group.first_row,
                    "fuel_index",
                    _("Unknown fuel index %(name)s.") % {"name": group.index_name},
                    "unknown_index",
                )
            )
        else:
            decided[sku] = (basis, indices[group.index_name])
    return decided


def _validate(
    contract: Contract, file: BinaryIO
) -> tuple[dict[str, _ItemRows], dict[str, tuple], dict[int, tuple], CsvFile]:
    reader = CsvFile(
        file, required=PRICE_LIST_COLUMNS, optional=PRICE_LIST_OPTIONAL_COLUMNS
    )
    errors: list[RowError] = []
    groups: dict[str, _ItemRows] = {}
    for row, values in reader.rows():
        _read_row(row, values, groups, errors)
    columns = set(reader.columns)
    if ("price_basis" in columns) != ("fuel_index" in columns):
        missing = "fuel_index" if "price_basis" in columns else "price_basis"
        errors.append(
            RowError(
                1,
                missing,
                _("price_basis and fuel_index come together: add this column."),
                "missing_column",
            )
        )
    errors = reader.errors + errors
    if reader.errors:
        raise ImportRejected(errors)
    _resolve_items(groups, errors)
    existing = _existing_contract_items(contract)
    decided = _resolve_basis(groups, existing, errors)
    for sku, group in groups.items():
        # Rows with cell errors left (0, 0, row) markers for the SKU check.
        group.tiers = [tier for tier in group.tiers if tier[0]]
        if sku in decided and group.tiers:
            _tier_rows_errors(group, basis=decided[sku][0], errors=errors)
    if errors:
        raise ImportRejected(errors)
    return groups, decided, existing, reader


def _insert_rows(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert plain value tuples in bulk, without model instances.

    A 200,000-tier price list must load within a small multiple of a plain
    COPY: on PostgreSQL the rows go through COPY itself; elsewhere (the
    SQLite default of ``make run``) through multi-row INSERTs, within
    SQLite's 999 parameters a statement.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    rows = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        limit = connection.features.max_query_params or 30_000
        per_statement = max(1, min(WRITE_BATCH, limit // len(columns)))
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        while batch := list(itertools.islice(rows, per_statement)):
            cursor.execute(
                # Names come from the model, quoted; values are parameters.
                f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608  # nosec B608
                + ", ".join([placeholders] * len(batch)),
                [value for row in batch for value in row],
            )


def _apply(
    contract: Contract,
    groups: dict[str, _ItemRows],
    decided: dict[str, tuple],
    existing: dict[int, tuple],
) -> None:
    in_file = {group.item_id for group in groups.values()}
    # Tiers are replaced wholesale: one DELETE, then bulk inserts.
    PriceTier.objects.filter(
        contract_item_id__in=ContractItem.objects.filter(contract=contract).values("pk")
    ).delete()
    removed = [
        pk for item_id, (pk, *_rest) in existing.items() if item_id not in in_file
    ]
    for chunk in _chunks(removed, 900):
        ContractItem.objects.filter(pk__in=chunk).delete()
    new_items = []
    to_update: list[ContractItem] = []
    for sku, group in groups.items():
        basis, index_id = decided[sku]
        fields = (
            basis,
            index_id,
            group.supplier_code or "",
            group.moq or 1,
            group.multiple or 1,
        )
        current = existing.get(group.item_id)
        if current is None:
            new_items.append((contract.pk, group.item_id, *fields))
        elif tuple(current[1:]) != fields:
            to_update.append(
                ContractItem(
                    pk=current[0],
                    price_basis=basis,
                    fuel_index_id=index_id,
                    supplier_code=fields[2],
                    minimum_order_quantity=fields[3],
                    order_multiple=fields[4],
                )
            )
    _insert_rows(
        ContractItem,
        (
            "contract",
            "item",
            "price_basis",
            "fuel_index",
            "supplier_code",
            "minimum_order_quantity",
            "order_multiple",
        ),
        new_items,
    )
    del new_items
    ContractItem.objects.bulk_update(
        to_update,
        [
            "price_basis",
            "fuel_index",
            "supplier_code",
            "minimum_order_quantity",
            "order_multiple",
        ],
        batch_size=500,
    )
    pks = dict(
        ContractItem.objects.filter(contract=contract).values_list("item_id", "pk")
    )
    _insert_rows(
        PriceTier,
        ("contract_item", "min_quantity", "unit_price"),
        (
            (pks[group.item_id], min_quantity, price)
            for group in groups.values()
            for min_quantity, price, _row in group.tiers
        ),
    )


def price_list_import_atomic(
    *, contract_reference: str, file: BinaryIO, dry_run: bool = False
) -> ImportSummary:
    """Replace a contract's items and tiers from a CSV price list.

    Runs inside the caller's transaction; ``price_list_import`` is the entry
    point and documents the file. Raises ``ImportRejected``.
    """
    return _price_list_import(
        contract_reference=contract_reference, file=file, dry_run=dry_run
    )[1]


def _price_list_import(
    *, contract_reference: str, file: BinaryIO, dry_run: bool
) -> tuple[Contract, ImportSummary]:
    queryset = (
        Contract.objects.all() if dry_run else Contract.objects.select_for_update()
    )
    try:
        contract = queryset.get(reference=contract_reference)
    except Contract.DoesNotExist:
        raise ImportRejected(
            [
                RowError(
                    None,
                    "",
                    _("Unknown contract %(reference)s.")
                    % {"reference": contract_reference[:60]},
                    "unknown_contract",
                )
            ]
        ) from None
    groups, decided, existing, reader = _validate(contract, file)
    in_file = {group.item_id for group in groups.values()}
    summary = ImportSummary(
        rows=reader.data_rows,
        created=sum(1 for item_id in in_file if item_id not in existing),
        updated=sum(1 for item_id in in_file if item_id in existing),
        removed=sum(1 for item_id in existing if item_id not in in_file),
        tiers=sum(len(group.tiers) for group in groups.values()),
        preview=reader.preview,
    )
    if not dry_run:
        with transaction.atomic():
            _apply(contract, groups, decided, existing)
    return contract, summary


def price_list_import(
    *, contract_reference: str, file: BinaryIO, dry_run: bool = False, actor=None
) -> ImportSummary:
    """Replace a contract's items and price tiers from a CSV price list.

    Columns (header row required, any order, names in any case): ``sku,
    supplier_code, min_quantity, unit_price, minimum_order_quantity,
    order_multiple``, optionally the pair ``price_basis, fuel_index``; one row
    per tier, the rows of one SKU making its tiers. Items on the contract but
    not in the file are removed; every tier is replaced.

    Rules (DESIGN §3, §8): each SKU is in the catalogue; quantities are whole
    numbers from 1 to 10,000,000; unit prices have at most 4 decimal places;
    supplier code, minimum order quantity, order multiple and price basis are
    the same on every row of a SKU (a blank cell on a later row means the
    same; never given means 1); the tiers obey ``pricing.tier_errors`` (first
    at 1 or the minimum order quantity, no duplicate break, no rising price,
    no negative fixed price). An index-linked item keeps its basis and fuel
    index, and its unit_price is the margin over the index (it may be
    negative). A new SKU is fixed price unless price_basis says index_linked
    and fuel_index names an existing index.

    Every bad row is reported with its row (the header is row 1) and column;
    if there is any, nothing is saved: raises ``ImportRejected``. With
    ``dry_run`` nothing is written and the summary says what would happen.

    Audited (not a dry run): ``suppliers.price_list.imported`` with the
    contract, file name and counts, in the import's transaction; or
    ``suppliers.price_list.rejected`` with the error count, committed on its
    own since the import itself is rolled back. ``actor`` is who imports: a
    management command's ``--user``, ``None`` when it names none.
    """
    filename = catalogue_services.import_file_name(file)
    try:
        try:
            with transaction.atomic(durable=True):
                contract, summary = _price_list_import(
                    contract_reference=contract_reference, file=file, dry_run=dry_run
                )
                if not dry_run:
                    trust_services.audit_record(
                        actor=actor,
                        action="suppliers.price_list.imported",
                        obj=contract,
                        detail={
                            "contract": contract.reference,
                            "filename": filename,
                            **summary.counts(),
                        },
                    )
                return summary
        except IntegrityError as exc:
            raise ImportRejected([_conflict_error()]) from exc
    except ImportRejected as exc:
        if not dry_run:
            with transaction.atomic(durable=True):
                trust_services.audit_record(
                    actor=actor,
                    action="suppliers.price_list.rejected",
                    detail={
                        "contract": contract_reference[:60],
                        "filename": filename,
                        "error_count": len(exc.row_errors),
                    },
                )
        raise


def _conflict_error() -> RowError:
    return RowError(
        None,
        "",
        _("The data changed while importing; nothing was imported. Try again."),
        "conflict",
    )


# --- Import batches: upload, preview, confirm ------------------------------


def _run_batch(batch: ImportBatch, *, dry_run: bool) -> ImportSummary:
    with batch.file.open("rb") as file:
        if batch.kind == ImportBatch.Kind.CATALOGUE:
            return catalogue_services.catalogue_import_atomic(
                file=file, dry_run=dry_run
            )
        return price_list_import_atomic(
            contract_reference=batch.contract.reference, file=file, dry_run=dry_run
        )


def _record(batch: ImportBatch, summary: ImportSummary) -> None:
    batch.row_count = summary.rows
    batch.created_count = summary.created
    batch.updated_count = summary.updated
    batch.unchanged_count = summary.unchanged
    batch.removed_count = summary.removed
    batch.tier_count = summary.tiers
    # A header row, then the values: JSON objects need not keep key order.
    columns = list(summary.preview[0]) if summary.preview else []
    batch.preview = (
        [columns, *([row.get(name, "") for name in columns] for row in summary.preview)]
        if columns
        else []
    )
    batch.errors = []
    batch.error_count = 0


def _record_errors(batch: ImportBatch, errors: list[RowError]) -> None:
    batch.status = ImportBatch.Status.FAILED
    batch.error_count = len(errors)
    batch.errors = [error.as_dict() for error in errors[:STORED_ERRORS]]


def _forget_file(batch: ImportBatch) -> None:
    """Clear the batch's file; the stored object goes once the change commits.

    For an upload that failed or went out of date: nothing reads its file
    again, and the batch keeps its counts, errors and first rows.
    """
    name = batch.file.name
    if not name:
        return
    storage = batch.file.storage
    batch.file = ""
    transaction.on_commit(lambda: storage.delete(name))


def _audit_batch(
    batch: ImportBatch, *, actor, verb: str, reason: str | None = None
) -> None:
    """Record an import batch's step: its file, contract and counts."""
    if verb == "uploaded":
        action = "suppliers.import_batch.uploaded"
    elif batch.kind == ImportBatch.Kind.CATALOGUE:
        action = f"catalogue.catalogue_file.{verb}"
    else:
        action = f"suppliers.price_list.{verb}"
    detail = {"filename": batch.original_name, "kind": batch.kind}
    if batch.contract_id:
        detail["contract"] = batch.contract.reference
    if batch.status == ImportBatch.Status.FAILED:
        detail["error_count"] = batch.error_count
    else:
        detail |= {
            "rows": batch.row_count,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "removed": batch.removed_count,
            "tiers": batch.tier_count,
        }
    if reason:
        detail["reason"] = reason
    trust_services.audit_record(actor=actor, action=action, obj=batch, detail=detail)


def import_batch_upload(
    *,
    kind: str,
    upload: UploadedFile,
    created_by,
    contract: Contract | None = None,
) -> ImportBatch:
    """Keep an uploaded import file and record what importing it would do.

    The file goes to default storage under ``imports/``; it is then read in
    a dry run, and the batch is ``previewed`` with the counts and first rows,
    or ``failed`` with every error (the first ``STORED_ERRORS`` kept). A
    price list needs a contract, a catalogue none. Audited as
    ``suppliers.import_batch.uploaded`` by ``created_by``.
    """
    if (kind == ImportBatch.Kind.PRICE_LIST) != (contract is not None):
        raise ValidationError(
            _("Choose the contract for a price list, and only for a price list."),
            code="contract_mismatch",
        )
    batch = ImportBatch(
        kind=kind,
        contract=contract,
        original_name=(upload.name or "upload.csv")[-255:],
        created_by=created_by,
    )
    # A fresh name: nothing the uploader chose reaches the storage path.
    batch.file.save(f"{uuid.uuid4().hex}.csv", upload, save=False)
    try:
        with transaction.atomic():
            _record(batch, _run_batch(batch, dry_run=True))
        batch.status = ImportBatch.Status.PREVIEWED
    except ImportRejected as exc:
        _record_errors(batch, exc.row_errors)
    with transaction.atomic(durable=True):
        if batch.status == ImportBatch.Status.FAILED:
            _forget_file(batch)
        batch.full_clean(exclude=["file", "created_by", "contract"])
        batch.save()
        _audit_batch(batch, actor=created_by, verb="uploaded")
    return batch


def import_batch_confirm(*, batch_id: int, actor=None) -> ImportBatch:
    """Apply a previewed import: the file is validated again, all or nothing.

    Two confirmations at once apply it once: the batch is locked and must
    still be ``previewed``. If the data changed since the preview and a row
    is now bad, nothing is imported and the batch is ``failed`` with the
    errors. A preview another import has overtaken, or older than
    ``IMPORT_PREVIEW_DAYS`` (``selectors.import_batch_out_of_date``), is
    not applied: the batch becomes ``expired``, its file is deleted, and
    ``ValidationError`` (``out_of_date``) says why. Raises
    ``ValidationError`` (``not_previewed``) when the batch is not awaiting
    confirmation. Audited as ``suppliers.price_list.imported`` or
    ``catalogue.catalogue_file.imported`` (``.rejected`` with the error
    count when it fails, ``.expired`` with the reason), with the batch as
    the object.
    """
    try:
        with transaction.atomic(durable=True):
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != ImportBatch.Status.PREVIEWED:
                raise ValidationError(
                    _("This import is not awaiting confirmation."),
                    code="not_previewed",
                )
            _lock_import_target(batch)
            out_of_date = selectors.import_batch_out_of_date(batch)
            if out_of_date is None:
                return _apply_batch(batch, actor=actor)
            _expire(batch, reason=out_of_date, actor=actor)
        raise ValidationError(out_of_date, code="out_of_date")
    except ImportRejected as exc:
        errors = exc.row_errors
    except IntegrityError:
        errors = [_conflict_error()]
    with transaction.atomic(durable=True):
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == ImportBatch.Status.PREVIEWED:
            _record_errors(batch, errors)
            _forget_file(batch)
            batch.save(update_fields=["status", "error_count", "errors", "file"])
            _audit_batch(batch, actor=actor, verb="rejected")
    return batch


def _apply_batch(batch: ImportBatch, *, actor) -> ImportBatch:
    _record(batch, _run_batch(batch, dry_run=False))
    batch.status = ImportBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.save()
    _audit_batch(batch, actor=actor, verb="imported")
    return batch


#: The first key of the transaction lock that confirmations of imports into
#: one target (the catalogue, or one contract's price list) take in turn.
IMPORT_TARGET_LOCK = 0x494D5054  # "IMPT"


def _lock_import_target(batch: ImportBatch) -> None:
    """Wait for any other confirmation into the same catalogue or contract.

    Two previews of one contract's price list confirmed at once would both
    find the other not yet applied; in turn, the second finds the first
    applied and goes out of date. SQLite has one writer at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [IMPORT_TARGET_LOCK, batch.contract_id or 0],
        )


def _expire(batch: ImportBatch, *, reason: str, actor=None) -> None:
    batch.status = ImportBatch.Status.EXPIRED
    _forget_file(batch)
    batch.save(update_fields=["status", "file"])
    _audit_batch(batch, actor=actor, verb="expired", reason=reason)


def import_previews_expire(*, now: datetime.datetime | None = None) -> int:
    """Put out of date every preview that may no longer be confirmed, and
    delete the files of failed and out-of-date uploads; return how many
    previews went out of date. Run nightly by beat; safe to run again.
    """
    now = now or timezone.now()
    oldest = now - datetime.timedelta(days=settings.IMPORT_PREVIEW_DAYS)
    expired = 0
    waiting = ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED],
        created_at__lt=oldest,
    ).values_list("pk", flat=True)
    for pk in waiting:
        with transaction.atomic(durable=True):
            batch = (
                ImportBatch.objects.select_for_update(of=("self",))
                .select_related("contract")
                .get(pk=pk)
            )
            if batch.status not in (
                ImportBatch.Status.UPLOADED,
                ImportBatch.Status.PREVIEWED,
            ):
                continue  # confirmed meanwhile
            reason = selectors.import_batch_out_of_date(batch, now=now) or _(
                "The upload was never previewed."
            )
            _expire(batch, reason=reason)
            expired += 1
    leftover = ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.FAILED, ImportBatch.Status.EXPIRED]
    ).exclude(file="")
    for batch in leftover:
        with transaction.atomic(durable=True):
            _forget_file(batch)
            batch.save(update_fields=["file"])
    return expired


# --- Suppliers, contracts and fuel prices one at a time (the API, DESIGN §10) --


@transaction.atomic(durable=True)
def supplier_create(
    *,
    name: str,
    email: str,
    address: str = "",
    vat_number: str = "",
    actor=None,
) -> Supplier:
    """Add a supplier; the name must be new. Raises ``ValidationError`` by field."""
    supplier = Supplier(name=name, email=email, address=address, vat_number=vat_number)
    supplier.full_clean()
    try:
        with transaction.atomic():
            supplier.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": ValidationError(_("This supplier already exists."), code="unique")}
        ) from exc
    trust_services.audit_record(
        actor=actor,
        action="suppliers.supplier.created",
        obj=supplier,
        detail={"name": supplier.name},
    )
    return supplier


@dataclass(frozen=True)
class ContractItemInput:
    """One item of a new contract as given: its terms and price tiers.

    ``tiers`` are ``(min_quantity, unit_price)`` pairs; for an index-linked
    item the price is the margin per litre over ``fuel_index`` (a name).
    """

    sku: str
    tiers: Sequence[tuple[int, Decimal]]
    supplier_code: str = ""
    minimum_order_quantity: int = 1
    order_multiple: int = 1
    price_basis: str = ContractItem.PriceBasis.FIXED
    fuel_index: str | None = None


def _item_error(number: int, field: str, message: str, code: str) -> ValidationError:
    """An error of the contract's item ``number`` (from 1), naming its field."""
    return ValidationError(
        _("Item %(line)s: %(problem)s") % {"line": number, "problem": message},
        code=code,
        params={"line": number, "field": field, "list": "items"},
    )


def _contract_items_errors(
    items: Sequence[ContractItemInput],
    catalogue: dict[str, Item],
    indices: dict[str, FuelPriceIndex],
) -> list[ValidationError]:
    errors = []
    first_of: dict[str, int] = {}
    for number, entry in enumerate(items, start=1):
        if entry.sku not in catalogue:
            errors.append(
                _item_error(
                    number,
                    "sku",
                    _("No catalogue item has SKU %(sku)s.") % {"sku": entry.sku},
                    "unknown_sku",
                )
            )
        elif entry.sku in first_of:
            errors.append(
                _item_error(
                    number,
                    "sku",
                    _("%(sku)s is already item %(first)s of this contract.")
                    % {"sku": entry.sku, "first": first_of[entry.sku]},
                    "duplicate_sku",
                )
            )
        else:
            first_of[entry.sku] = number
        index_linked = entry.price_basis == ContractItem.PriceBasis.INDEX_LINKED
        if index_linked and not entry.fuel_index:
            errors.append(
                _item_error(
                    number,
                    "fuel_index",
                    _("An index-linked item needs a fuel index."),
                    "required",
                )
            )
        elif index_linked and entry.fuel_index not in indices:
            errors.append(
                _item_error(
                    number,
                    "fuel_index",
                    _("Unknown fuel index %(name)s.") % {"name": entry.fuel_index},
                    "unknown_index",
                )
            )
        elif not index_linked and entry.fuel_index:
            errors.append(
                _item_error(
                    number,
                    "fuel_index",
                    _("A fixed-price item takes no fuel index."),
                    "index_not_allowed",
                )
            )
        problems = pricing.tier_errors(
            [pricing.Tier(quantity, price) for quantity, price in entry.tiers],
            minimum_order_quantity=entry.minimum_order_quantity,
            price_basis=entry.price_basis,
        )
        errors.extend(
            _item_error(number, "tiers", problem, "bad_tiers") for problem in problems
        )
    return errors


@transaction.atomic(durable=True)
def contract_create(
    *,
    reference: str,
    title: str,
    supplier_id: int,
    trust_codes: Sequence[str],
    start_date: datetime.date,
    end_date: datetime.date,
    value_ceiling: Decimal,
    items: Sequence[ContractItemInput] = (),
    status: str = Contract.Status.ACTIVE,
    actor=None,
) -> Contract:
    """Create a contract with its items and price tiers, all or nothing.

    The supplier and every participating trust (by code) must exist; the
    dates may not end before they start; each item is a catalogue SKU, once,
    and its tiers obey DESIGN §3 (``pricing.tier_errors``); an index-linked
    item names an existing fuel index and its tiers hold margins. Raises
    ``ValidationError`` naming the field, and for items their position
    (``params`` ``line`` from 1, ``field``, ``list="items"``); nothing is
    saved then.
    """
    errors: dict[str, list[ValidationError]] = {}
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None:
        errors["supplier"] = [
            ValidationError(_("No supplier has this id."), code="unknown_supplier")
        ]
    codes = list(dict.fromkeys(trust_codes))
    trusts = list(Trust.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {trust.code for trust in trusts})
    if not codes:
        errors["trusts"] = [
            ValidationError(_("Name at least one trust."), code="required")
        ]
    elif unknown:
        errors["trusts"] = [
            ValidationError(
                _("Unknown trust codes: %(codes)s.") % {"codes": ", ".join(unknown)},
                code="unknown_trust",
            )
        ]
    contract = Contract(
        reference=reference,
        title=title,
        supplier=supplier,
        start_date=start_date,
        end_date=end_date,
        value_ceiling=value_ceiling,
        status=status,
    )
    try:
        contract.full_clean(exclude=["supplier"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if start_date and end_date and end_date < start_date:
        errors.setdefault("end_date", []).append(
            ValidationError(
                _("The contract cannot end before it starts."), code="ends_before_start"
            )
        )
    catalogue = {
        item.sku: item
        for item in Item.objects.filter(sku__in=[entry.sku for entry in items])
    }
    indices = {
        index.name: index
        for index in FuelPriceIndex.objects.filter(
            name__in=[entry.fuel_index for entry in items if entry.fuel_index]
        )
    }
    item_errors = _contract_items_errors(items, catalogue, indices)
    if item_errors:
        errors.setdefault(NON_FIELD_ERRORS, []).extend(item_errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "reference": ValidationError(
                    _("A contract with this reference already exists."),
                    code="unique",
                )
            }
        ) from exc
    contract.trusts.set(trusts)
    for entry in items:
        contract_item = ContractItem.objects.create(
            contract=contract,
            item=catalogue[entry.sku],
            supplier_code=entry.supplier_code,
            minimum_order_quantity=entry.minimum_order_quantity,
            order_multiple=entry.order_multiple,
            price_basis=entry.price_basis,
            fuel_index=indices.get(entry.fuel_index) if entry.fuel_index else None,
        )
        PriceTier.objects.bulk_create(
            PriceTier(
                contract_item=contract_item,
                min_quantity=quantity,
                unit_price=price,
            )
            for quantity, price in entry.tiers
        )
    trust_services.audit_record(
        actor=actor,
        action="suppliers.contract.created",
        obj=contract,
        detail={
            "reference": contract.reference,
            "supplier": supplier.name,
            "trusts": sorted(trust.code for trust in trusts),
            "items": len(items),
            "value_ceiling": contract.value_ceiling,
        },
    )
    return contract


@transaction.atomic(durable=True)
def fuel_index_price_add(
    *,
    index_name: str,
    effective_date: datetime.date,
    price_per_litre: Decimal,
    actor=None,
) -> tuple[FuelIndexPrice, bool]:
    """Record the index's price per litre from a date; create the index if new.

    Returns the price and whether it was created. Sending the same price for
    the same date again changes nothing; a different price for a date that
    already has one is refused (``already_priced``): prices already used to
    price orders must not move under them.
    """
    if price_per_litre < 0:
        raise ValidationError(
            {
                "price_per_litre": ValidationError(
                    _("A price may not be negative."), code="negative"
                )
            }
        )
    index, index_created = FuelPriceIndex.objects.get_or_create(name=index_name)
    price, created = FuelIndexPrice.objects.get_or_create(
        index=index,
        effective_date=effective_date,
        defaults={"price_per_litre": price_per_litre},
    )
    if not created and price.price_per_litre != price_per_litre:
        raise ValidationError(
            _(
                "%(index)s already has a price of %(price)s from %(date)s; it "
                "cannot be changed."
            )
            % {
                "index": index.name,
                "price": price.price_per_litre,
                "date": effective_date.isoformat(),
            },
            code="already_priced",
        )
    if created:
        trust_services.audit_record(
            actor=actor,
            action="suppliers.fuel_index_price.created",
            obj=price,
            detail={
                "index": index.name,
                "index_created": index_created,
                "effective_date": effective_date,
                "price_per_litre": price.price_per_litre,
            },
        )
    return price, created
