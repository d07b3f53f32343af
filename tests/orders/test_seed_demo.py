"""``manage.py seed_demo``: the demonstration alliance, loaded repeatably."""

import datetime
import itertools
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from catalogue.models import Category, Item
from orders.demo import build, data
from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderShare,
    PoolingRound,
    Receipt,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
)
from suppliers import pricing
from suppliers.models import (
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    PriceTier,
    Supplier,
)
from trusts.models import CostCentre, Membership, Site, Trust

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-password-for-tests-7"
User = get_user_model()
SEEDED_MODELS = [
    Group,
    Trust,
    Site,
    CostCentre,
    User,
    Membership,
    Category,
    Item,
    Supplier,
    Contract,
    ContractItem,
    PriceTier,
    FuelPriceIndex,
    FuelIndexPrice,
]


HISTORY_MODELS = [
    Requisition,
    RequisitionLine,
    RequisitionEvent,
    PoolingRound,
    JointPurchaseOrder,
    OrderShare,
    OrderLine,
    Allocation,
    Receipt,
]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The seed hashes each password it sets; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    """Load the reference data only: most rules need no history."""
    return seed_with_history(no_history=True, **options)


def seed_with_history(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [*SEEDED_MODELS, *HISTORY_MODELS]
    return {model.__name__: model.objects.count() for model in models}


def signs_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


def demo_usernames() -> list[str]:
    trust_users = [
        f"{spec['code'].lower()}.{role}"
        for spec in data.TRUSTS
        for role in ("requisitioner", "approver", "finance")
    ]
    return trust_users + [person[0] for person in data.ALLIANCE_PEOPLE]


def test_seed_builds_the_alliance_on_an_empty_database():
    """On an empty database the seed creates the trusts, people and contracts."""
    assert not Trust.objects.exists()

    seed(password=PASSWORD)

    assert set(Trust.objects.values_list("code", flat=True)) == {
        spec["code"] for spec in data.TRUSTS
    }
    assert User.objects.count() == len(demo_usernames())
    assert Supplier.objects.count() >= 8
    assert Contract.objects.count() >= 10


def test_running_twice_changes_no_counts():
    """A second run, history included, creates no duplicates and deletes nothing."""
    seed_with_history(password=PASSWORD)
    first = counts()

    output = seed_with_history(password=PASSWORD)
    seed_with_history()

    assert counts() == first
    assert "history left as it is" in output


def test_running_again_with_the_same_password_keeps_the_stored_hashes():
    """Re-seeding with the same password rewrites no password, so sessions survive."""
    seed(password=PASSWORD)
    before = dict(User.objects.values_list("username", "password"))

    seed(password=PASSWORD)

    assert dict(User.objects.values_list("username", "password")) == before


def test_every_demo_user_signs_in_with_the_given_password():
    """With --password every demo user signs in with it."""
    seed(password=PASSWORD)

    for username in demo_usernames():
        assert signs_in(username, PASSWORD), username


def test_given_password_replaces_an_earlier_one():
    """--password on a later run sets the new password on existing users."""
    seed(password=PASSWORD)

    seed(password="Another-demo-password-3")

    assert signs_in("alliance.buyer", "Another-demo-password-3")
    assert not signs_in("alliance.buyer", PASSWORD)


def test_without_password_new_users_get_a_generated_password_printed_once():
    """Without --password, new users share a generated password shown in the table."""
    output = seed()

    match = re.search(r"^alliance\.buyer\s+ALLIANCE\s+buyer\s+(\S+)$", output, re.M)
    assert match, output
    generated = match.group(1)
    assert len(generated) >= 16
    for username in demo_usernames():
        assert signs_in(username, generated), username


def test_without_password_existing_users_keep_theirs():
    """Without --password an existing user's password is left as it was."""
    seed(password=PASSWORD)

    output = seed()

    assert signs_in("wmas.approver", PASSWORD)
    assert "(unchanged)" in output
    assert PASSWORD not in output


def test_demo_users_hold_their_roles_in_their_organisation():
    """Trust users belong to their trust with one role; alliance users to none."""
    seed(password=PASSWORD)

    for spec in data.TRUSTS:
        for role in ("requisitioner", "approver", "finance"):
            membership = Membership.objects.get(
                user__username=f"{spec['code'].lower()}.{role}"
            )
            assert membership.trust.code == spec["code"]
            assert membership.roles == [role]
            limit = Decimal("250000.00") if role == "approver" else Decimal("0.00")
            assert membership.approval_limit == limit
    buyer = Membership.objects.get(user__username="alliance.buyer")
    assert (buyer.trust, buyer.roles) == (None, ["buyer"])
    manager = Membership.objects.get(user__username="alliance.contracts")
    assert (manager.trust, manager.roles) == (None, ["contract_manager"])
    assert manager.user.is_staff
    assert not buyer.user.is_staff


def test_the_demo_contract_manager_may_keep_contracts_in_the_admin():
    """alliance.contracts is staff in the Contract managers group."""
    seed(password=PASSWORD)

    manager = User.objects.get(username="alliance.contracts")

    assert list(manager.groups.values_list("name", flat=True)) == ["Contract managers"]
    assert manager.has_perm("suppliers.change_contract")
    assert not User.objects.get(username="alliance.buyer").groups.exists()


def test_demo_users_have_names_and_nhs_emails():
    """Every demo user has a first and last name and an @example.nhs.uk email."""
    seed(password=PASSWORD)

    for user in User.objects.all():
        assert user.first_name
        assert user.last_name
        assert user.email.endswith("@example.nhs.uk")
    assert len(set(User.objects.values_list("email", flat=True))) == len(
        demo_usernames()
    )


def test_every_demo_object_passes_full_clean():
    """Every object the seed writes is valid, GLNs and GTINs included."""
    seed(password=PASSWORD)

    for model in SEEDED_MODELS:
        for obj in model.objects.all():
            obj.full_clean()
    assert Site.objects.exclude(gln="").count() >= 10
    assert Item.objects.exclude(gtin="").count() >= 150
    assert Item.objects.exclude(nhs_code="").count() >= 100


def test_each_trust_has_sites_of_every_kind_and_cost_centres():
    """Each trust has 8–15 sites, a fuel depot with a bunker, and cost centres."""
    seed(password=PASSWORD)

    for trust in Trust.objects.all():
        sites = trust.sites.all()
        assert 8 <= sites.count() <= 15
        assert {site.kind for site in sites} >= {
            Site.Kind.STATION,
            Site.Kind.HUB,
            Site.Kind.MAKE_READY,
            Site.Kind.OFFICE,
            Site.Kind.FLEET_WORKSHOP,
            Site.Kind.FUEL_DEPOT,
        }
        for depot in sites.filter(kind=Site.Kind.FUEL_DEPOT):
            assert depot.bunker_capacity_litres
        assert trust.cost_centres.count() >= 6


def test_site_codes_and_postcodes_look_real():
    """Site codes are unique in their trust and postcodes are in UK format."""
    seed(password=PASSWORD)
    postcode = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")

    for trust in Trust.objects.all():
        codes = list(trust.sites.values_list("code", flat=True))
        assert len(codes) == len(set(codes))
    for site in Site.objects.all():
        assert postcode.match(site.postcode), site.postcode
        assert site.address.strip()


def test_catalogue_holds_about_two_hundred_items_in_twelve_categories():
    """The catalogue has at least 200 items over the ambulance categories."""
    seed(password=PASSWORD)

    assert Item.objects.count() >= 200
    assert Category.objects.count() == 12
    fuel = Item.objects.filter(kind=Item.Kind.FUEL)
    assert {item.sku for item in fuel} >= {"FU-DIESEL", "FU-UNLEADED"}
    assert all(item.unit == Item.Unit.LITRE for item in fuel)
    assert set(Item.objects.values_list("vat_rate", flat=True)) == {
        Decimal("0.00"),
        Decimal("0.05"),
        Decimal("0.20"),
    }


def test_every_contract_item_has_sound_tiers():
    """Every contract item has 2–4 tiers and they pass the tier rules."""
    seed(password=PASSWORD)

    for contract_item in ContractItem.objects.prefetch_related("tiers"):
        tiers = [
            pricing.Tier(tier.min_quantity, tier.unit_price)
            for tier in contract_item.tiers.all()
        ]
        assert 2 <= len(tiers) <= 4, contract_item
        assert not pricing.tier_errors(
            tiers,
            minimum_order_quantity=contract_item.minimum_order_quantity,
            price_basis=contract_item.price_basis,
        ), contract_item


def test_gloves_are_ordered_in_cases_of_ten_boxes():
    """Glove contract items have a minimum order and multiple of 10 boxes."""
    seed(password=PASSWORD)

    gloves = ContractItem.objects.filter(item__sku="PP-GLV-M")
    assert gloves.count() == 2
    for contract_item in gloves:
        assert contract_item.minimum_order_quantity == 10
        assert contract_item.order_multiple == 10


def test_contracts_cover_active_expired_draft_and_two_trust_cases():
    """Most contracts are active today; one has ended, one is a draft."""
    seed(password=PASSWORD)
    today = timezone.localdate()

    active = Contract.objects.active_on(today)
    assert active.count() >= 8
    ended = Contract.objects.get(status=Contract.Status.ENDED)
    assert ended.end_date < today
    draft = Contract.objects.get(status=Contract.Status.DRAFT)
    assert draft.start_date > today
    trust_counts = [contract.trusts.count() for contract in active]
    assert trust_counts.count(Trust.objects.count()) >= 6
    assert trust_counts.count(2) >= 2


def test_some_items_compete_on_two_active_contracts():
    """Two or three items are on two active contracts, so pooling must choose."""
    seed(password=PASSWORD)
    active = Contract.objects.active_on(timezone.localdate())

    skus = list(
        ContractItem.objects.filter(contract__in=active).values_list(
            "item__sku", flat=True
        )
    )

    competing = {sku for sku in skus if skus.count(sku) > 1}
    assert 2 <= len(competing) <= 4


def test_fuel_is_index_linked_with_margins_falling_by_volume():
    """Diesel and unleaded are index-linked with margins from 1, 20,000, 100,000 L."""
    seed(password=PASSWORD)

    for sku, index_name in (
        ("FU-DIESEL", "UK diesel wholesale"),
        ("FU-UNLEADED", "UK unleaded wholesale"),
    ):
        contract_item = ContractItem.objects.get(item__sku=sku)
        assert contract_item.is_index_linked
        assert contract_item.fuel_index.name == index_name
        tiers = list(contract_item.tiers.values_list("min_quantity", "unit_price"))
        assert [quantity for quantity, _ in tiers] == [1, 20000, 100000]
        margins = [margin for _, margin in tiers]
        assert margins == sorted(margins, reverse=True)


def test_each_fuel_index_has_a_year_of_weekly_prices():
    """Each fuel index has 52 weekly prices up to today, all £1.10–£1.45 a litre."""
    seed(password=PASSWORD)
    today = timezone.localdate()

    for index in FuelPriceIndex.objects.all():
        days = list(
            index.prices.order_by("effective_date").values_list(
                "effective_date", flat=True
            )
        )
        assert len(days) == 52
        assert days[-1] <= today < days[-1] + datetime.timedelta(days=7)
        assert all(
            later - earlier == datetime.timedelta(days=7)
            for earlier, later in itertools.pairwise(days)
        )
        for price in index.prices.values_list("price_per_litre", flat=True):
            assert Decimal("1.10") <= price <= Decimal("1.45")


def test_fuel_prices_depend_only_on_the_week():
    """A week's index price is the same whichever day the seed runs."""
    monday = datetime.date(2026, 3, 2)

    assert build.fuel_price("UK diesel wholesale", Decimal(0), monday) == (
        build.fuel_price("UK diesel wholesale", Decimal(0), monday)
    )
    assert build.fuel_week_starts(monday)[-1] == monday
    assert build.fuel_week_starts(monday + datetime.timedelta(days=6))[-1] == monday


def test_no_module_but_the_data_names_a_trust():
    """Only the demo data module names particular trusts; the code reads data."""
    orders_dir = Path(build.__file__).resolve().parents[1]
    sources = [
        path
        for path in [
            *(orders_dir / "demo").glob("*.py"),
            orders_dir / "management" / "commands" / "seed_demo.py",
        ]
        if path.name != "data.py"
    ]
    names = [
        word
        for spec in data.TRUSTS
        for word in (spec["code"], spec["ods_code"], spec["name"])
    ]
    pattern = re.compile(
        "|".join(rf"\b{re.escape(name)}\b" for name in names), re.IGNORECASE
    )

    for path in sources:
        assert not pattern.search(path.read_text()), path


def test_history_has_requisitions_in_every_state():
    """The history leaves requisitions in every state, rejections with reasons."""
    seed_with_history(password=PASSWORD)

    statuses = set(Requisition.objects.values_list("status", flat=True))
    assert statuses == set(Requisition.Status.values)
    for rejected in Requisition.objects.filter(status=Requisition.Status.REJECTED):
        assert rejected.rejection_reason
    for trust in Trust.objects.all():
        assert trust.requisitions.filter(status=Requisition.Status.DRAFT).exists()


def test_history_orders_span_past_months_in_every_state():
    """Past rounds left orders draft, issued, part received and received."""
    seed_with_history(password=PASSWORD)
    today = timezone.localdate()

    statuses = set(JointPurchaseOrder.objects.values_list("status", flat=True))
    assert statuses >= {"draft", "issued", "part_received", "received"}
    issued_days = {
        timezone.localdate(order.issued_at)
        for order in JointPurchaseOrder.objects.exclude(issued_at=None)
    }
    assert min(issued_days) <= today - datetime.timedelta(days=60)
    assert max(issued_days) < today
    assert PoolingRound.objects.filter(
        status=PoolingRound.Status.COMMITTED
    ).count() == (len(data.HISTORY_ROUNDS))
    assert Receipt.objects.exists()


def test_history_pools_every_line_of_its_rounds():
    """Each line raised for a past round is allocated to an order exactly once."""
    seed_with_history(password=PASSWORD)

    round_lines = sum(
        len(lines)
        for spec in data.HISTORY_ROUNDS
        for _, _, _, lines in spec["requisitions"]
    )
    assert Allocation.objects.count() == round_lines


def test_history_money_adds_up_as_the_services_computed_it():
    """Each order's shares add up to its total, savings are never negative."""
    seed_with_history(password=PASSWORD)

    for order in JointPurchaseOrder.objects.prefetch_related("shares", "lines"):
        assert sum(share.net for share in order.shares.all()) == order.net
        assert sum(line.net for line in order.lines.all()) == order.net
        assert order.net > 0
    assert not Allocation.objects.filter(savings__lt=0).exists()
    assert JointPurchaseOrder.objects.filter(savings__gt=0).exists()


def test_history_is_not_added_when_the_demo_trusts_already_have_requisitions():
    """A database whose demo trusts already trade keeps its own history."""
    seed(password=PASSWORD)
    trust = Trust.objects.get(code=data.TRUSTS[0]["code"])
    user = User.objects.get(username=f"{trust.code.lower()}.requisitioner")
    Requisition.objects.create(
        trust=trust,
        requester=user,
        site=trust.sites.first(),
        cost_centre=trust.cost_centres.first(),
        needed_by=timezone.localdate(),
    )

    output = seed_with_history(password=PASSWORD)

    assert Requisition.objects.count() == 1
    assert "history left as it is" in output
