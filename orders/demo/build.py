"""Build the demonstration alliance from ``orders.demo.data``.

Every object is found by its natural key and written only when it is new or
its data changed, after its fields are validated; so running the build again
changes nothing and creates no duplicates.
"""

import datetime
import secrets
import string
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction
from django.utils import timezone

from alliance_procurement.money import to_unit_price
from alliance_procurement.validators import gs1_check_digit
from catalogue.models import Category, Item
from orders.demo import data
from orders.demo import history as demo_history
from suppliers import pricing
from suppliers.models import (
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    PriceTier,
    Supplier,
)
from trusts import services as trust_services
from trusts.models import ALLIANCE_CODE, CostCentre, Membership, Role, Site, Trust

User = get_user_model()

TRUST_ROLES = (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)
PASSWORD_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class DemoLogin:
    """A demo user as printed for people who try the application."""

    username: str
    full_name: str
    organisation: str
    roles: tuple[str, ...]
    password: str | None


@dataclass
class SeedResult:
    """What the command prints: the logins and notes on what was built."""

    logins: list[DemoLogin] = field(default_factory=list)
    generated_password: str | None = None
    notes: list[str] = field(default_factory=list)


def generate_password() -> str:
    """Return a random strong password, grouped for reading aloud."""
    groups = [
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4)
    ]
    return "-".join(groups)


_LOOK_UP = object()


def differs(obj: models.Model, name: str, value) -> bool:
    """Tell whether a field holds another value; foreign keys compare ids only."""
    model_field = obj._meta.get_field(name)
    if model_field.many_to_one:
        current = getattr(obj, model_field.attname)
        return current != (value.pk if value is not None else None)
    return getattr(obj, name) != value


def upsert(
    model: type[models.Model],
    lookup: dict,
    values: dict,
    *,
    existing=_LOOK_UP,
    pending: list | None = None,
) -> models.Model:
    """Find ``model`` by ``lookup``; create it or bring it in line with ``values``.

    The object is validated and saved only when it is new or a value differs,
    so a repeated build writes nothing. Pass ``existing`` (the object or
    ``None``) when it was already fetched in bulk, and ``pending`` to collect
    a new object for ``bulk_create`` instead of saving it at once.
    """
    obj = existing
    if obj is _LOOK_UP:
        obj = model.objects.filter(**lookup).order_by().first()
    if obj is None:
        obj = model(**lookup, **values)
    else:
        changed = [name for name, value in values.items() if differs(obj, name, value)]
        if not changed:
            return obj
        for name in changed:
            setattr(obj, name, values[name])
    # Field validators (codes, GLN and GTIN check digits, choices) run here;
    # foreign keys, uniqueness and check constraints are the database's,
    # enforced on save, which spares several queries for each of ~1,500 objects.
    obj.full_clean(
        exclude=[f.name for f in model._meta.fields if f.is_relation],
        validate_unique=False,
        validate_constraints=False,
    )
    if pending is not None and obj.pk is None:
        pending.append(obj)
    else:
        obj.save()
    return obj


def with_check_digit(body: str) -> str:
    """Append the GS1 check digit to a GLN or GTIN body."""
    return f"{body}{gs1_check_digit(body)}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def financial_year_start(today: datetime.date) -> datetime.date:
    """Return 1 April of the NHS financial year that ``today`` falls in."""
    year = today.year if today.month >= 4 else today.year - 1
    return datetime.date(year, 4, 1)


# --- Trusts, sites, cost centres --------------------------------------------


def trusts_build() -> dict[str, Trust]:
    """Create or update every demo trust with its sites and cost centres."""
    trusts = {}
    for spec in data.TRUSTS:
        trust = upsert(
            Trust,
            {"code": spec["code"]},
            {"name": spec["name"], "ods_code": spec["ods_code"], "is_active": True},
        )
        sites = {site.code: site for site in trust.sites.order_by()}
        cost_centres = {centre.code: centre for centre in trust.cost_centres.order_by()}
        pending: list[models.Model] = []
        for code, name, kind, address, postcode, gln_body, bunker in spec["sites"]:
            upsert(
                Site,
                {"trust": trust, "code": code},
                {
                    "name": name,
                    "kind": kind,
                    "address": address,
                    "postcode": postcode,
                    "gln": with_check_digit(gln_body) if gln_body else "",
                    "bunker_capacity_litres": bunker,
                    "is_active": True,
                },
                existing=sites.get(code),
                pending=pending,
            )
        Site.objects.bulk_create(pending)
        pending = []
        for code, name in spec["cost_centres"]:
            upsert(
                CostCentre,
                {"trust": trust, "code": code},
                {"name": name, "is_active": True},
                existing=cost_centres.get(code),
                pending=pending,
            )
        CostCentre.objects.bulk_create(pending)
        trusts[trust.code] = trust
    return trusts


# --- People -----------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    trust: Trust | None
    roles: tuple[str, ...]
    is_staff: bool = False


def people_specs(trusts: dict[str, Trust]) -> list[PersonSpec]:
    """List every demo user: three per trust, then the alliance team."""
    people = []
    for spec in data.TRUSTS:
        trust = trusts[spec["code"]]
        for role in TRUST_ROLES:
            first, last = spec["people"][role.value]
            people.append(
                PersonSpec(
                    username=f"{trust.code.lower()}.{role.value}",
                    first_name=first,
                    last_name=last,
                    trust=trust,
                    roles=(role.value,),
                )
            )
    for username, first, last, roles, is_staff in data.ALLIANCE_PEOPLE:
        people.append(PersonSpec(username, first, last, None, tuple(roles), is_staff))
    return people


class Passwords:
    """The password to give demo users, hashed at most once per run.

    Hashing is slow by design; every demo user shares the one password, so
    one hash serves them all.
    """

    def __init__(self, given: str | None):
        self.given = given
        self.generated: str | None = None
        self._hashes: dict[str, str] = {}
        self._matches: dict[tuple[str, str], bool] = {}

    def for_user(self, *, created: bool) -> str | None:
        """Return the password to set: the given one, or a new one if created."""
        if self.given:
            return self.given
        if created:
            self.generated = self.generated or generate_password()
            return self.generated
        return None

    def matches(self, user, password: str) -> bool:
        """Tell whether the user's stored hash is of ``password``, once per hash."""
        key = (user.password, password)
        if key not in self._matches:
            self._matches[key] = check_password(password, user.password)
        return self._matches[key]

    def hashed(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = make_password(password)
        return self._hashes[password]


def person_build(
    person: PersonSpec, *, passwords: Passwords
) -> tuple[models.Model, str | None]:
    """Create or update one demo user and membership; return it and its password.

    A given password is set on every run. Without one a new user gets the
    generated password and an existing user keeps theirs (returned as None).
    """
    user = User.objects.filter(username=person.username).first()
    created = user is None
    if created:
        user = User(username=person.username)
    password = passwords.for_user(created=created)
    values = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": f"{person.first_name}.{person.last_name}@{data.EMAIL_DOMAIN}".lower(),
        "is_staff": person.is_staff,
        "is_active": True,
    }
    if password and (created or not passwords.matches(user, password)):
        values["password"] = passwords.hashed(password)
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if created or changed:
        for name in changed:
            setattr(user, name, values[name])
        user.full_clean()
        user.save()
    upsert(
        Membership,
        {"user": user},
        {
            "trust": person.trust,
            "approval_limit": Decimal(
                data.APPROVAL_LIMIT if Role.APPROVER in person.roles else "0.00"
            ),
            **{f"is_{role.value}": role.value in person.roles for role in Role},
        },
    )
    return user, password


# --- Catalogue --------------------------------------------------------------


def items_build() -> dict[str, tuple[Item, Decimal]]:
    """Create or update categories and items; map each SKU to (item, list price)."""
    items = {}
    existing = {item.sku: item for item in Item.objects.order_by()}
    pending: list[Item] = []
    for category_spec in data.CATEGORIES:
        category = upsert(Category, {"name": category_spec["name"]}, {})
        for position, row in enumerate(category_spec["items"], start=1):
            sku, name, unit, pack_size, price = row[:5]
            options = row[5] if len(row) > 5 else {}
            nhs_prefix = category_spec["nhs_prefix"]
            company = category_spec["gtin_company"]
            has_nhs_code = bool(nhs_prefix) and options.get("nhs", True)
            has_gtin = bool(company) and options.get("gtin", True)
            item = upsert(
                Item,
                {"sku": sku},
                {
                    "name": name,
                    "category": category,
                    "unit": unit,
                    "pack_size": pack_size,
                    "kind": options.get("kind", category_spec["kind"]),
                    "vat_rate": Decimal(
                        options.get("vat_rate", category_spec["vat_rate"])
                    ),
                    "nhs_code": f"{nhs_prefix}{100 + position:03d}"
                    if has_nhs_code
                    else "",
                    "gtin": with_check_digit(f"50{company}{position:06d}")
                    if has_gtin
                    else "",
                    "is_active": True,
                },
                existing=existing.get(sku),
                pending=pending,
            )
            items[sku] = (item, Decimal(price))
    # Primary keys come back from the insert on PostgreSQL and SQLite alike.
    Item.objects.bulk_create(pending)
    return items


# --- Fuel indices -----------------------------------------------------------


def fuel_price(name: str, offset: Decimal, day: datetime.date) -> Decimal:
    """Return the demo index price for a week starting ``day``.

    A function of the date alone, so any run on any day gives the same price
    for the same week: the month's base, the index's offset and a jitter.
    """
    base = Decimal(data.FUEL_MONTHLY_BASE[day.month - 1]) + offset
    spread = int(Decimal(data.FUEL_WEEKLY_JITTER) * 10000)
    # crc32 rather than random: stable across runs and Python versions.
    step = zlib.crc32(f"{name}:{day.isoformat()}".encode()) % (2 * spread + 1)
    return to_unit_price(base + Decimal(step - spread) / 10000)


def fuel_week_starts(today: datetime.date) -> list[datetime.date]:
    """Return the Mondays of the last ``FUEL_INDEX_WEEKS`` weeks, oldest first."""
    monday = today - datetime.timedelta(days=today.weekday())
    return [
        monday - datetime.timedelta(weeks=weeks_back)
        for weeks_back in reversed(range(data.FUEL_INDEX_WEEKS))
    ]


def fuel_indices_build(today: datetime.date) -> dict[str, FuelPriceIndex]:
    """Create each fuel index with a year of weekly prices up to ``today``."""
    indices = {}
    for name, description, offset in data.FUEL_INDICES:
        index = upsert(FuelPriceIndex, {"name": name}, {"description": description})
        existing = {price.effective_date: price for price in index.prices.all()}
        pending: list[FuelIndexPrice] = []
        for day in fuel_week_starts(today):
            upsert(
                FuelIndexPrice,
                {"index": index, "effective_date": day},
                {"price_per_litre": fuel_price(name, Decimal(offset), day)},
                existing=existing.get(day),
                pending=pending,
            )
        FuelIndexPrice.objects.bulk_create(pending)
        indices[name] = index
    return indices


# --- Suppliers and contracts ------------------------------------------------


def suppliers_build() -> dict[str, Supplier]:
    suppliers = {}
    for name, email, address, vat_number in data.SUPPLIERS:
        suppliers[name] = upsert(
            Supplier,
            {"name": name},
            {"email": email, "address": address, "vat_number": vat_number},
        )
    return suppliers


def contract_dates(
    period: tuple[int, int], today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """Turn a (start offset, months) period into dates around this financial year."""
    start_offset, months = period
    start = add_months(financial_year_start(today), start_offset)
    end = add_months(start, months) - datetime.timedelta(days=1)
    return start, end


def contract_item_skus(spec: dict) -> list[str]:
    """List the SKUs a contract covers, in the order they are numbered."""
    skus = [
        row[0]
        for category in data.CATEGORIES
        if category["name"] in spec["categories"]
        for row in category["items"]
    ]
    skus += [sku for sku in spec["skus"] if sku not in skus]
    return [sku for sku in skus if sku not in spec["exclude"]]


def contract_item_tiers(
    item: Item, list_price: Decimal, spec: dict, options: dict
) -> list[pricing.Tier]:
    """Price an item's tiers on a contract from its profile and list price."""
    if "tiers" in options:
        return [
            pricing.Tier(quantity, Decimal(price))
            for quantity, price in options["tiers"]
        ]
    profile = options.get("profile") or spec["profiles"].get(
        item.kind, spec["profiles"].get("*")
    )
    factor = Decimal(options.get("price_factor", "1"))
    return [
        pricing.Tier(quantity, to_unit_price(list_price * factor * Decimal(share)))
        for quantity, share in data.TIER_PROFILES[profile]
    ]


def tiers_save(
    contract_item: ContractItem,
    tiers: Iterable[pricing.Tier],
    *,
    current: list[PriceTier],
    pending: list[PriceTier],
) -> None:
    """Make the contract item's tiers exactly ``tiers``.

    ``current`` are its tiers now; new ones are added to ``pending``.
    """
    tiers = list(tiers)
    errors = pricing.tier_errors(
        tiers,
        minimum_order_quantity=contract_item.minimum_order_quantity,
        price_basis=contract_item.price_basis,
    )
    if errors:
        raise ValueError(f"{contract_item.item.sku}: {'; '.join(errors)}")
    existing = {tier.min_quantity: tier for tier in current}
    stale = set(existing) - {tier.min_quantity for tier in tiers}
    if stale:
        contract_item.tiers.filter(min_quantity__in=stale).delete()
    for tier in tiers:
        upsert(
            PriceTier,
            {"contract_item": contract_item, "min_quantity": tier.min_quantity},
            {"unit_price": tier.unit_price},
            existing=existing.get(tier.min_quantity),
            pending=pending,
        )


def contracts_build(
    *,
    today: datetime.date,
    trusts: dict[str, Trust],
    items: dict[str, tuple[Item, Decimal]],
    suppliers: dict[str, Supplier],
    indices: dict[str, FuelPriceIndex],
) -> dict[str, Contract]:
    """Create or update every contract with its trusts, items and tiers."""
    contracts = {}
    for spec in data.CONTRACTS:
        start, end = contract_dates(spec["period"], today)
        contract = upsert(
            Contract,
            {"reference": spec["reference"]},
            {
                "title": spec["title"],
                "supplier": suppliers[spec["supplier"]],
                "start_date": start,
                "end_date": end,
                "value_ceiling": Decimal(spec["value_ceiling"]),
                "status": spec["status"],
            },
        )
        codes = trusts if spec["trusts"] == data.ALL_TRUSTS else spec["trusts"]
        wanted = {trusts[code].pk for code in codes}
        if set(contract.trusts.values_list("pk", flat=True)) != wanted:
            contract.trusts.set(wanted)
        existing = {
            contract_item.item_id: contract_item
            for contract_item in contract.items.order_by().prefetch_related("tiers")
        }
        new_items: list[ContractItem] = []
        priced: list[tuple[ContractItem, list[pricing.Tier]]] = []
        for sku in contract_item_skus(spec):
            item, list_price = items[sku]
            options = spec["items"].get(sku, {})
            index = indices[options["index"]] if "index" in options else None
            contract_item = upsert(
                ContractItem,
                {"contract": contract, "item": item},
                {
                    "supplier_code": (
                        f"{spec['supplier_prefix']}-"
                        f"{zlib.crc32(sku.encode()) % 100000:05d}"
                    ),
                    "minimum_order_quantity": options.get("moq", 1),
                    "order_multiple": options.get("multiple", 1),
                    "price_basis": ContractItem.PriceBasis.INDEX_LINKED
                    if index
                    else ContractItem.PriceBasis.FIXED,
                    "fuel_index": index,
                },
                existing=existing.get(item.pk),
                pending=new_items,
            )
            priced.append(
                (contract_item, contract_item_tiers(item, list_price, spec, options))
            )
        ContractItem.objects.bulk_create(new_items)
        new_tiers: list[PriceTier] = []
        for contract_item, tiers in priced:
            current = (
                list(contract_item.tiers.all())
                if contract_item.item_id in existing
                else []
            )
            tiers_save(contract_item, tiers, current=current, pending=new_tiers)
        PriceTier.objects.bulk_create(new_tiers)
        contracts[contract.reference] = contract
    return contracts


# --- Everything -------------------------------------------------------------


@transaction.atomic(durable=True)
def reference_data_build(
    *, password: str | None, today: datetime.date | None = None
) -> SeedResult:
    """Create or update trusts, people, catalogue, suppliers, contracts, indices.

    With ``password`` every demo user gets it; without, users created now get
    one generated password, returned in the result, and others keep theirs.
    """
    today = today or timezone.localdate()
    result = SeedResult()
    trusts = trusts_build()
    passwords = Passwords(password)
    for person in people_specs(trusts):
        user, known = person_build(person, passwords=passwords)
        result.logins.append(
            DemoLogin(
                username=user.username,
                full_name=user.get_full_name(),
                organisation=person.trust.code if person.trust else ALLIANCE_CODE,
                roles=person.roles,
                password=known,
            )
        )
    result.generated_password = passwords.generated
    items = items_build()
    indices = fuel_indices_build(today)
    contracts_build(
        today=today,
        trusts=trusts,
        items=items,
        suppliers=suppliers_build(),
        indices=indices,
    )
    return result


def contract_managers_group_join(usernames: list[str]) -> None:
    """Put the demo contract managers in the group that opens the admin to them."""
    group = trust_services.contract_manager_group_ensure()
    for user in User.objects.filter(username__in=usernames):
        user.groups.add(group)  # adding a member twice adds nothing


def seed_demo(
    *,
    password: str | None,
    history: bool = True,
    today: datetime.date | None = None,
) -> SeedResult:
    """Build the whole demonstration alliance; safe to run again.

    The reference data comes first, in one transaction; then, with
    ``history``, the past requisitions and orders, each step its own
    transaction through the order services (which are durable entry points).
    """
    today = today or timezone.localdate()
    result = reference_data_build(password=password, today=today)
    contract_managers_group_join(
        [
            login.username
            for login in result.logins
            if Role.CONTRACT_MANAGER in login.roles
        ]
    )
    if history:
        trusts = Trust.objects.in_bulk(
            [spec["code"] for spec in data.TRUSTS], field_name="code"
        )
        result.notes.append(demo_history.history_build(trusts=trusts, today=today))
    return result
