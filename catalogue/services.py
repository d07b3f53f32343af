"""Writes to the catalogue: the CSV catalogue import (DESIGN §2, §8)."""

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from alliance_procurement.csv_import import (
    CsvFile,
    ImportRejected,
    ImportSummary,
    RowError,
    parse_whole_number,
)
from alliance_procurement.validators import is_valid_gs1
from catalogue.models import Category, Item
from trusts import services as trust_services

CATALOGUE_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "pack_size",
    "kind",
    "vat_rate",
    "nhs_code",
    "gtin",
)
CATALOGUE_OPTIONAL_COLUMNS = ("description",)
MAX_PACK_SIZE = 10_000_000
# Letters, digits and . _ - only: the SKU is part of item page addresses.
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Fractions as stored, and the percentages people type; a bare "20" is
# ambiguous (20% or 20 times?) and refused.
VAT_RATES = {
    "0": Decimal("0.00"),
    "0.0": Decimal("0.00"),
    "0.00": Decimal("0.00"),
    "0%": Decimal("0.00"),
    "0.05": Decimal("0.05"),
    "5%": Decimal("0.05"),
    "0.2": Decimal("0.20"),
    "0.20": Decimal("0.20"),
    "20%": Decimal("0.20"),
}
LOOKUP_BATCH = 2000
WRITE_BATCH = 2000

_UPDATED_FIELDS = [
    "name",
    "category",
    "unit",
    "pack_size",
    "kind",
    "vat_rate",
    "nhs_code",
    "gtin",
    "description",
]


class _CatalogueRow(NamedTuple):
    row: int
    sku: str
    name: str
    category: str
    unit: str
    pack_size: int
    kind: str
    vat_rate: Decimal
    nhs_code: str
    gtin: str
    description: str | None  # None: column absent, keep what is stored


def _max_length(field_name: str) -> int:
    return Item._meta.get_field(field_name).max_length


def _parse_row(
    row: int, values: dict[str, str], errors: list[RowError]
) -> _CatalogueRow | None:
    """Check one row's cells; append what is wrong and return ``None`` if any."""
    found: list[RowError] = []

    def fail(column: str, message: str, code: str) -> None:
        found.append(RowError(row, column, message, code))

    for column in ("sku", "name", "category", "unit", "kind", "vat_rate"):
        if not values[column]:
            fail(column, _("A value is required."), "required")
    lengths = {
        "sku": _max_length("sku"),
        "name": _max_length("name"),
        "nhs_code": _max_length("nhs_code"),
        "category": Category._meta.get_field("name").max_length,
    }
    for column, limit in lengths.items():
        if len(values[column]) > limit:
            fail(
                column,
                _("The value is longer than %(limit)s characters.") % {"limit": limit},
                "too_long",
            )
    sku = values["sku"]
    if sku and len(sku) <= lengths["sku"] and not SKU_PATTERN.match(sku):
        fail(
            "sku",
            _("Use letters, digits, dots, hyphens and underscores only."),
            "bad_sku",
        )
    unit = values["unit"].lower()
    if values["unit"] and unit not in Item.Unit.values:
        fail(
            "unit",
            _("%(value)s is not a unit; use one of: %(choices)s.")
            % {"value": values["unit"][:40], "choices": ", ".join(Item.Unit.values)},
            "bad_choice",
        )
    kind = values["kind"].lower()
    if values["kind"] and kind not in Item.Kind.values:
        fail(
            "kind",
            _("%(value)s is not a kind; use one of: %(choices)s.")
            % {"value": values["kind"][:40], "choices": ", ".join(Item.Kind.values)},
            "bad_choice",
        )
    pack_size = 0
    try:
        pack_size = parse_whole_number(
            values["pack_size"], minimum=1, maximum=MAX_PACK_SIZE
        )
    except ValueError as exc:
        fail("pack_size", str(exc), "bad_number")
    vat_rate = VAT_RATES.get(values["vat_rate"].replace(" ", ""))
    if values["vat_rate"] and vat_rate is None:
        fail(
            "vat_rate",
            _("%(value)s is not a VAT rate; give 0.20, 0.05 or 0 (or 20%%, 5%%, 0%%).")
            % {"value": values["vat_rate"][:40]},
            "bad_vat_rate",
        )
    gtin = values["gtin"]
    if gtin and not is_valid_gs1(gtin, (8, 12, 13, 14)):
        fail(
            "gtin",
            _(
                "%(value)s is not a valid GTIN: 8, 12, 13 or 14 digits with a "
                "correct check digit."
            )
            % {"value": gtin[:40]},
            "bad_gtin",
        )
    if found:
        errors.extend(found)
        return None
    return _CatalogueRow(
        row=row,
        sku=sku,
        name=values["name"],
        category=values["category"],
        unit=unit,
        pack_size=pack_size,
        kind=kind,
        vat_rate=vat_rate,
        nhs_code=values["nhs_code"],
        gtin=gtin,
        description=values.get("description"),
    )


def _read(file: BinaryIO) -> tuple[list[_CatalogueRow], CsvFile, list[RowError]]:
    reader = CsvFile(
        file, required=CATALOGUE_COLUMNS, optional=CATALOGUE_OPTIONAL_COLUMNS
    )
    errors: list[RowError] = []
    parsed: list[_CatalogueRow] = []
    first_row_of: dict[str, int] = {}
    for row, values in reader.rows():
        item_row = _parse_row(row, values, errors)
        if item_row is None:
            continue
        key = item_row.sku
        if key in first_row_of:
            errors.append(
                RowError(
                    row,
                    "sku",
                    _("SKU %(sku)s is already on row %(first)s.")
                    % {"sku": item_row.sku, "first": first_row_of[key]},
                    "duplicate_sku",
                )
            )
            continue
        first_row_of[key] = row
        parsed.append(item_row)
    return parsed, reader, reader.errors + errors


def _chunks(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _existing_items(rows: list[_CatalogueRow], *, lock: bool) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for chunk in _chunks(rows, LOOKUP_BATCH):
        queryset = Item.objects.select_related("category").filter(
            sku__in=[r.sku for r in chunk]
        )
        if lock:
            # By SKU, as the chunks are: two imports lock in one order.
            queryset = queryset.select_for_update().order_by("sku")
        found.update((item.sku, item) for item in queryset)
    return found


def _categories(names: set[str], *, dry_run: bool) -> tuple[dict[str, Category], int]:
    """Map each lower-cased category name to its category, creating missing ones.

    Names match whatever their case, so "Dressings" and "dressings" are one
    category; a new one takes the spelling of its first row.
    """
    by_name = {category.name.lower(): category for category in Category.objects.all()}
    missing: dict[str, str] = {}
    for name in names:
        missing.setdefault(name.lower(), name)
    to_create = [
        Category(name=name) for key, name in missing.items() if key not in by_name
    ]
    if not dry_run and to_create:
        Category.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        by_name = {c.name.lower(): c for c in Category.objects.all()}
    return by_name, len(to_create)


def _apply_row(item: Item, row: _CatalogueRow, category: Category | None) -> bool:
    """Copy ``row`` onto ``item``; tell whether anything changed."""
    changed = False
    new_values = {
        "name": row.name,
        "unit": row.unit,
        "pack_size": row.pack_size,
        "kind": row.kind,
        "vat_rate": row.vat_rate,
        "nhs_code": row.nhs_code,
        "gtin": row.gtin,
    }
    if row.description is not None:
        new_values["description"] = row.description
    for name, value in new_values.items():
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed = True
    if category is not None and item.category_id != category.pk:
        item.category = category
        changed = True
    elif category is None and item.category.name.lower() != row.category.lower():
        changed = True  # dry run: the category is new
    return changed


def catalogue_import_atomic(*, file: BinaryIO, dry_run: bool = False) -> ImportSummary:
    """Create and update catalogue items from a CSV file, all or nothing.

    Runs inside the caller's transaction (``catalogue_import`` is the entry
    point). Columns and rules: see ``catalogue_import``. Raises
    ``ImportRejected`` with every row error when any row is bad; nothing
    is then written.
    """
    parsed, reader, errors = _read(file)
    if errors:
        raise ImportRejected(errors)
    summary = ImportSummary(rows=len(parsed), preview=reader.preview)
    with transaction.atomic():
        categories, summary.categories_created = _categories(
            {row.category for row in parsed}, dry_run=dry_run
        )
        # A chunk at a time, in SKU order: only one chunk's items are in
        # memory, and concurrent imports lock rows in the same order.
        parsed.sort(key=lambda row: row.sku)
        for chunk in _chunks(parsed, WRITE_BATCH):
            existing = _existing_items(chunk, lock=not dry_run)
            to_create: list[Item] = []
            to_update: list[Item] = []
            for row in chunk:
                category = categories.get(row.category.lower())
                item = existing.get(row.sku)
                if item is None:
                    summary.created += 1
                    to_create.append(_new_item(row, category))
                elif _apply_row(item, row, category):
                    summary.updated += 1
                    to_update.append(item)
                else:
                    summary.unchanged += 1
            if not dry_run:
                Item.objects.bulk_create(to_create)
                Item.objects.bulk_update(to_update, _UPDATED_FIELDS)
    return summary


def _new_item(row: _CatalogueRow, category: Category | None) -> Item:
    return Item(
        sku=row.sku,
        name=row.name,
        category=category,
        unit=row.unit,
        pack_size=row.pack_size,
        kind=row.kind,
        vat_rate=row.vat_rate,
        nhs_code=row.nhs_code,
        gtin=row.gtin,
        description=row.description or "",
    )


def import_file_name(file: BinaryIO) -> str:
    """The name of an import file as people know it, without its folder."""
    return os.path.basename(str(getattr(file, "name", "") or ""))[-255:]


def catalogue_import(
    *, file: BinaryIO, dry_run: bool = False, actor=None
) -> ImportSummary:
    """Create and update catalogue items from a CSV file, all or nothing.

    Columns (header row required, in any order, names in any case): ``sku,
    name, category, unit, pack_size, kind, vat_rate, nhs_code, gtin`` and
    optionally ``description``; no others. A SKU already in the catalogue is
    updated, a new one created; categories are created as needed and matched
    whatever their case. Nothing is deactivated or removed.

    Per row: sku, name, category, unit, pack_size, kind and vat_rate are
    required; unit and kind are among the model's choices (any case);
    pack_size is a whole number from 1; vat_rate is 0.20, 0.2, 0.05, 0 (or
    20%, 5%, 0%); gtin, if given, has 8, 12, 13 or 14 digits and a correct
    check digit; a SKU appears once. Every error is reported with its row
    (the header is row 1) and column, and when there is any, nothing is saved
    (DESIGN §8): raises ``ImportRejected``. With ``dry_run`` nothing is
    written and the summary says what would happen.

    Audited (not a dry run): ``catalogue.catalogue_file.imported`` with the
    file name and counts, in the import's transaction; or
    ``catalogue.catalogue_file.rejected`` with the error count, committed on
    its own since the import itself is rolled back. ``actor`` is who
    imports: a management command's ``--user``, ``None`` when it names none.
    """
    filename = import_file_name(file)
    try:
        try:
            with transaction.atomic(durable=True):
                summary = catalogue_import_atomic(file=file, dry_run=dry_run)
                if not dry_run:
                    trust_services.audit_record(
                        actor=actor,
                        action="catalogue.catalogue_file.imported",
                        detail={"filename": filename, **summary.counts()},
                    )
                return summary
        except IntegrityError as exc:
            # Only a concurrent import creating the same SKU gets here.
            raise ImportRejected(
                [
                    RowError(
                        None,
                        "",
                        _(
                            "The catalogue changed while importing; nothing was "
                            "imported. Try again."
                        ),
                        "conflict",
                    )
                ]
            ) from exc
    except ImportRejected as exc:
        if not dry_run:
            with transaction.atomic(durable=True):
                trust_services.audit_record(
                    actor=actor,
                    action="catalogue.catalogue_file.rejected",
                    detail={"filename": filename, "error_count": len(exc.row_errors)},
                )
        raise


# --- One item at a time (the integration API, DESIGN §10) ----------------------


def _category_named(name: str) -> Category:
    """The category called ``name`` whatever its case, created if new."""
    category = Category.objects.filter(name__iexact=name).first()
    if category is not None:
        return category
    try:
        with transaction.atomic():
            return Category.objects.create(name=name)
    except IntegrityError:
        # A concurrent request created it first.
        return Category.objects.get(name__iexact=name)


@transaction.atomic(durable=True)
def item_create(
    *,
    sku: str,
    name: str,
    category: str,
    unit: str,
    kind: str,
    vat_rate: Decimal,
    pack_size: int = 1,
    nhs_code: str = "",
    gtin: str = "",
    description: str = "",
    actor=None,
) -> Item:
    """Add one item to the catalogue; ``category`` is a name, created if new.

    Categories match whatever their case, as in the CSV import; the SKU takes
    letters, digits, dots, hyphens and underscores, and must be new. Raises
    ``ValidationError`` naming each bad field (``sku``, ``gtin``...); nothing
    is saved then, not even a new category.
    """
    if not SKU_PATTERN.match(sku):
        raise ValidationError(
            {
                "sku": ValidationError(
                    _("Use letters, digits, dots, hyphens and underscores only."),
                    code="bad_sku",
                )
            }
        )
    item = Item(
        sku=sku,
        name=name,
        unit=unit,
        kind=kind,
        vat_rate=vat_rate,
        pack_size=pack_size,
        nhs_code=nhs_code,
        gtin=gtin,
        description=description,
    )
    item.full_clean(exclude=["category"])
    item.category = _category_named(category)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "sku": ValidationError(
                    _("An item with SKU %(sku)s already exists."),
                    code="unique",
                    params={"sku": sku},
                )
            }
        ) from exc
    trust_services.audit_record(
        actor=actor,
        action="catalogue.item.created",
        obj=item,
        detail={"sku": item.sku, "category": item.category.name},
    )
    return item
