"""factory_boy factories with minimal valid defaults."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalogue.models import Category, Item
from suppliers.models import (
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    PriceTier,
    Supplier,
)
from trusts.models import CostCentre, Membership, Site, Trust

TEST_PASSWORD = "Correct-horse-battery-9"


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code} Ambulance Service NHS Trust")
    ods_code = factory.Sequence(lambda n: f"R{n:03d}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    trust = factory.SubFactory(TrustFactory)
    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"Station {n}")
    kind = Site.Kind.STATION
    address = "1 Ambulance Way\nBirmingham"
    postcode = "B1 1AA"


class CostCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostCentre

    trust = factory.SubFactory(TrustFactory)
    code = factory.Sequence(lambda n: f"CC{n:04d}")
    name = factory.Sequence(lambda n: f"Operations {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.nhs.uk")
    password = factory.django.Password(TEST_PASSWORD)
    membership = factory.RelatedFactory(
        "tests.factories.MembershipFactory", factory_related_name="user"
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, membership=None)
    trust = None


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    category = factory.SubFactory(CategoryFactory)
    unit = Item.Unit.EACH
    pack_size = 1
    kind = Item.Kind.CONSUMABLE
    vat_rate = Decimal("0.20")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n} Ltd")
    email = factory.Sequence(lambda n: f"orders{n}@supplier.example.com")
    address = "1 Trade Street\nLeeds"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"AP-C-{n:04d}")
    title = factory.Sequence(lambda n: f"Contract {n}")
    supplier = factory.SubFactory(SupplierFactory)
    start_date = datetime.date(2020, 1, 1)
    end_date = datetime.date(2099, 12, 31)
    value_ceiling = Decimal("10000000.00")
    status = Contract.Status.ACTIVE

    @factory.post_generation
    def trusts(self, create, extracted, **kwargs):
        if create and extracted:
            self.trusts.set(extracted)


class FuelPriceIndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FuelPriceIndex
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Diesel index {n}")


class FuelIndexPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FuelIndexPrice

    index = factory.SubFactory(FuelPriceIndexFactory)
    effective_date = datetime.date(2020, 1, 1)
    price_per_litre = Decimal("1.2000")


class ContractItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractItem

    contract = factory.SubFactory(ContractFactory)
    item = factory.SubFactory(ItemFactory)
    supplier_code = factory.Sequence(lambda n: f"SUP-{n:05d}")


class PriceTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceTier

    contract_item = factory.SubFactory(ContractItemFactory)
    min_quantity = 1
    unit_price = Decimal("10.0000")


def contract_item_with_tiers(*, tiers, **kwargs) -> ContractItem:
    """Build a contract item with ``tiers`` given as ``(min_quantity, price)`` pairs."""
    contract_item = ContractItemFactory(**kwargs)
    for min_quantity, price in tiers:
        PriceTierFactory(
            contract_item=contract_item,
            min_quantity=min_quantity,
            unit_price=Decimal(price),
        )
    return contract_item


# --- orders ------------------------------------------------------------------

from orders.models import Requisition, RequisitionLine  # noqa: E402


class RequisitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requisition

    trust = factory.SubFactory(TrustFactory)
    requester = factory.SubFactory(
        UserFactory,
        membership__trust=factory.SelfAttribute("...trust"),
        membership__is_requisitioner=True,
    )
    site = factory.SubFactory(SiteFactory, trust=factory.SelfAttribute("..trust"))
    cost_centre = factory.SubFactory(
        CostCentreFactory, trust=factory.SelfAttribute("..trust")
    )
    needed_by = factory.LazyFunction(
        lambda: datetime.date.today() + datetime.timedelta(days=14)  # noqa: DTZ011 -- a date only
    )
    number = factory.Sequence(lambda n: f"R-{n:05d}")


class RequisitionLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequisitionLine

    requisition = factory.SubFactory(RequisitionFactory)
    item = factory.SubFactory(ItemFactory)
    quantity = 10


from orders.models import (  # noqa: E402
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderShare,
    PoolingRound,
)


class PoolingRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolingRound

    cut_off = factory.LazyFunction(lambda: datetime.datetime.now(tz=datetime.UTC))
    pricing_date = factory.LazyFunction(
        lambda: datetime.date.today()  # noqa: DTZ011 -- a date only
    )
    opened_by = factory.SubFactory(UserFactory, membership__is_buyer=True)


class JointPurchaseOrderFactory(factory.django.DjangoModelFactory):
    """An order without lines; money columns are filled by what builds its lines."""

    class Meta:
        model = JointPurchaseOrder

    number = factory.Sequence(lambda n: f"AP-2026-{n + 1:06d}")
    pooling_round = factory.SubFactory(PoolingRoundFactory)
    contract = factory.SubFactory(ContractFactory)
    supplier = factory.SelfAttribute("contract.supplier")
    pricing_date = factory.SelfAttribute("pooling_round.pricing_date")


class OrderShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderShare

    order = factory.SubFactory(JointPurchaseOrderFactory)
    trust = factory.SubFactory(TrustFactory)
    reference = factory.LazyAttribute(lambda o: f"{o.order.number}/{o.trust.code}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(JointPurchaseOrderFactory)
    item = factory.SubFactory(ItemFactory)
    quantity = 10
    unit_price = Decimal("10.0000")
    tier_min_quantity = 1


class AllocationFactory(factory.django.DjangoModelFactory):
    """One allocation; give ``order_line`` and ``share`` of the same order."""

    class Meta:
        model = Allocation

    order_line = factory.SubFactory(OrderLineFactory)
    share = factory.SubFactory(
        OrderShareFactory, order=factory.SelfAttribute("..order_line.order")
    )
    trust = factory.SelfAttribute("share.trust")
    requisition_line = factory.SubFactory(
        RequisitionLineFactory,
        requisition__trust=factory.SelfAttribute("...trust"),
        requisition__status=Requisition.Status.APPROVED,
        item=factory.SelfAttribute("..order_line.item"),
        quantity=factory.SelfAttribute("..quantity"),
    )
    site = factory.SelfAttribute("requisition_line.requisition.site")
    cost_centre = factory.SelfAttribute("requisition_line.requisition.cost_centre")
    quantity = 10
    unit_price = factory.SelfAttribute("order_line.unit_price")
    standalone_unit_price = factory.SelfAttribute("order_line.unit_price")


class ApprovedRequisitionLineFactory(RequisitionLineFactory):
    """A line of an approved requisition submitted an hour ago, ready to pool."""

    requisition = factory.SubFactory(
        RequisitionFactory,
        status=Requisition.Status.APPROVED,
        submitted_at=factory.LazyFunction(
            lambda: datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=1)
        ),
    )
