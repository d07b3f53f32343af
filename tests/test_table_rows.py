"""List tables written in Python give exactly django-tables2's cells, dates
and pages, only with less work per row."""

import datetime
import itertools
import re
import zoneinfo
from decimal import Decimal

import django_tables2 as tables
import pytest
from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from alliance_procurement.form_tags import form_field
from alliance_procurement.forms import NHSFormMixin
from alliance_procurement.table_tags import (
    _td_attrs,
    _text_writer,
    table_head,
    table_rows,
    table_values,
)
from alliance_procurement.tables import (
    MAX_PER_PAGE,
    DateColumn,
    KeysFirstPaginator,
    MoneyColumn,
    SafeTableExport,
    date_text,
    neutralise_formula,
    pages_of,
    rows_per_page,
)
from orders.models import JointPurchaseOrder, Requisition
from orders.selectors.purchase_orders import joint_orders_list
from orders.tables.purchase_orders import JointPurchaseOrderTable
from orders.tables.requisitions import RequisitionTable
from tests import factories


def _library_rows(table, context) -> str:
    """The rows as django-tables2 computes each cell (``BoundRow.get_cell``)."""
    html = []
    for row in table.paginated_rows:
        html.append('<tr class="nhsuk-table__row">')
        for column in table.columns:
            cell = row.get_cell(column.name)
            html.append(
                f"<td{_td_attrs(column)}>{_text_writer(column, context)(cell)}</td>"
            )
        html.append("</tr>")
    return "".join(html)


def _configured(table, per_page=50):
    request = RequestFactory().get("/list/")
    tables.RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return table


@pytest.mark.django_db
def test_requisition_rows_match_django_tables2_cell_for_cell():
    """Choice labels, related names, dates, money, links and an empty cost
    centre's default, in every status."""
    trust = factories.TrustFactory()
    for status, total in zip(
        Requisition.Status.values,
        itertools.cycle([Decimal("0"), Decimal("1234.565"), Decimal("12.5")]),
        strict=False,
    ):
        factories.RequisitionFactory(
            trust=trust,
            status=status,
            estimated_total=total,
            requester__last_name="O'Brien <Ops>",
        )
    table = _configured(RequisitionTable(Requisition.objects.order_by("pk")))
    context = Context({})
    ours = table_rows(context, table)
    assert parse_html(ours) == parse_html(_library_rows(table, context))
    assert ours.count("<tr") == len(Requisition.Status.values)
    assert "O&#x27;Brien &lt;Ops&gt;" in ours
    for label in Requisition.Status.labels:
        assert f">{label}</strong>" in ours


class LinkedContractTable(JointPurchaseOrderTable):
    """The order table with its contract shown (``str``) and linked."""

    contract = tables.Column(linkify=True)


@pytest.mark.django_db
def test_order_rows_match_django_tables2_with_an_unissued_order():
    """An order not issued yet shows the column's default for its date."""
    issued = factories.JointPurchaseOrderFactory(
        status=JointPurchaseOrder.Status.ISSUED,
        issued_at=datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC),
    )
    factories.JointPurchaseOrderFactory(contract=issued.contract)
    buyer = factories.UserFactory(membership__is_buyer=True)
    queryset = joint_orders_list(buyer).order_by("number")
    table = _configured(LinkedContractTable(queryset))
    context = Context({})
    ours = table_rows(context, table)
    assert parse_html(ours) == parse_html(_library_rows(table, context))
    assert ">1 Jul 2026<" in ours  # 23:30 UTC on 30 June is 1 July in London
    # A linked column named after a related object links to that object's page.
    assert f'<a href="{issued.contract.get_absolute_url()}">' in ours
    assert f'<a href="{issued.get_absolute_url()}">' in ours
    assert ">–<" in ours


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        (datetime.date(2026, 11, 5), "j M Y"),
        (datetime.date(2026, 1, 31), "j F Y"),
        (datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC), "j M Y H:i"),
        (datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC), "j M Y H:i"),
        (
            datetime.datetime(2026, 8, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
            "j M Y H:i",
        ),
        (datetime.date(2026, 11, 5), None),
    ],
)
def test_date_column_writes_what_the_library_template_writes(value, fmt):
    kwargs = {} if fmt is None else {"format": fmt}

    class Dates(tables.Table):
        ours = DateColumn(accessor="when", **kwargs)
        library = tables.DateColumn(accessor="when", **kwargs)

    with timezone.override("Europe/London"):
        (row,) = Dates([{"when": value}]).rows
        assert row.get_cell("ours") == row.get_cell("library").strip()
        assert row.get_cell_value("ours") == row.get_cell_value("library")
    assert row.get_cell_value("ours") == value.isoformat()


DATE_FORMATS = [
    "j M Y",
    "j F Y",
    "l j F Y",
    r"D jS \o\f F",
    "d/m/Y",
    "N E o W z t L b",
    "j M Y H:i",
    "j M Y, P",
    r"j \M Y",
    "I",
    "SHORT_DATE_FORMAT",
    "DATE_FORMAT",
    "DATETIME_FORMAT",
]


@given(
    moment=st.datetimes(
        min_value=datetime.datetime(2020, 1, 1),  # noqa: DTZ001 -- naive bounds, as Hypothesis takes them
        max_value=datetime.datetime(2032, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from([datetime.UTC, zoneinfo.ZoneInfo("Asia/Tokyo")]),
    ),
    fmt=st.sampled_from(DATE_FORMATS),
    as_day=st.booleans(),
)
def test_date_text_is_what_the_date_filter_writes(moment, fmt, as_day):
    value = (
        moment.astimezone(zoneinfo.ZoneInfo("Europe/London")).date()
        if as_day
        else moment
    )
    # Both languages in turn on the same day: a day's text kept for one must
    # not be shown in the other.
    for language in ("en-gb", "de", "en-gb"):
        with timezone.override("Europe/London"), translation.override(language):
            try:
                expected = formats.date_format(timezone.template_localtime(value), fmt)
            except TypeError:  # a time format for a date: refused alike
                with pytest.raises(TypeError):
                    date_text(value, fmt)
                continue
            assert date_text(value, fmt) == expected


class UnsortedTable(RequisitionTable):
    """The requisition table keeping its queryset's sort."""

    class Meta(RequisitionTable.Meta):
        order_by = None


@pytest.fixture
def many_requisitions(db):
    """60 requisitions, several created at the same instant (ties on the sort)."""
    trust = factories.TrustFactory()
    names = ["Adams", "Brown", "Clarke", "Brown"]
    made = []
    for n in range(60):
        made.append(
            factories.RequisitionFactory(
                trust=trust, requester__last_name=names[n % len(names)]
            )
        )
    start = timezone.now()
    for n, requisition in enumerate(made):
        Requisition.objects.filter(pk=requisition.pk).update(
            created_at=start - datetime.timedelta(minutes=n // 3)
        )
    return trust


def _page(table, per_page, number):
    table.paginate(paginator_class=KeysFirstPaginator, per_page=per_page, page=number)
    return table.page


@pytest.mark.parametrize(
    "order_by",
    [
        ("-created_at", "-pk"),
        ("requester__last_name", "requester__first_name", "pk"),
        ("-estimated_total", "number"),
    ],
)
@pytest.mark.parametrize("per_page", [7, 25])
def test_keys_first_pages_hold_the_same_rows_as_plain_pages(
    many_requisitions, order_by, per_page
):
    queryset = Requisition.objects.select_related(
        "site", "cost_centre", "requester"
    ).order_by(*order_by)
    plain = Paginator(list(queryset), per_page)
    assert plain.num_pages == -(-60 // per_page)
    for number in plain.page_range:
        rows = _page(UnsortedTable(queryset), per_page, number).object_list
        assert [row.record.pk for row in rows] == [
            requisition.pk for requisition in plain.page(number).object_list
        ]


def test_a_deep_page_reads_its_keys_first_and_joins_only_its_rows(many_requisitions):
    queryset = Requisition.objects.select_related(
        "site", "cost_centre", "requester"
    ).order_by("-created_at", "-pk")
    first_page = _page(UnsortedTable(queryset), 10, 1)
    third_page = _page(UnsortedTable(queryset), 10, 3)
    with CaptureQueriesContext(connection) as first:
        list(first_page.object_list)
    with CaptureQueriesContext(connection) as third:
        list(third_page.object_list)
    assert "OFFSET" not in first.captured_queries[0]["sql"]
    (query,) = third.captured_queries
    outer, _, inner = query["sql"].partition("IN (SELECT")
    assert "JOIN" in outer
    assert "OFFSET 20" in inner
    assert "JOIN" not in inner  # the skipped rows are never joined


def test_ties_on_the_sort_never_put_a_row_on_two_pages(many_requisitions):
    """The list's default sort is the creation time alone; three requisitions
    share each instant. Every page is sorted by it, newest key first within
    a tie, and together the pages hold every requisition once."""
    seen = []
    for number in range(1, 10):
        table = RequisitionTable(Requisition.objects.all())  # Meta: -created_at
        seen += [
            (row.record.created_at, row.record.pk)
            for row in _page(table, 7, number).object_list
        ]
    assert len(seen) == 60
    assert seen == sorted(seen, reverse=True)


def test_lists_and_distinct_querysets_are_paged_as_usual(many_requisitions):
    rows = list(range(30))
    assert list(KeysFirstPaginator(rows, 10).page(2).object_list) == rows[10:20]
    distinct = Requisition.objects.order_by("pk").distinct()
    page = _page(UnsortedTable(distinct), 10, 2)
    assert [row.record.pk for row in page.object_list] == list(
        distinct.values_list("pk", flat=True)[10:20]
    )


def _page_query(queries, table: str) -> str:
    """The page's own query: the last to read rows of ``table`` with a LIMIT."""
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith(f'SELECT "{table}"."id"')
        and re.search(r"LIMIT \d+$", query["sql"])
    ][-1]


@pytest.mark.parametrize(
    ("url_name", "who", "sort", "table"),
    [
        ("catalogue:item-list", "requisitioner", "category", "catalogue_item"),
        ("suppliers:contract-list", "buyer", "status", "suppliers_contract"),
        ("orders:order-list", "buyer", "status", "orders_jointpurchaseorder"),
        ("orders:requisition-list", "requisitioner", "status", "orders_requisition"),
        ("orders:approved-lines", "buyer", "trust", "orders_requisitionline"),
    ],
)
def test_every_list_sorted_by_any_column_breaks_ties_by_key(
    url_name, who, sort, table, client_for, requisitioner, buyer
):
    """Sorted by a column many rows share (a status, a category), each page
    is still one well-defined slice, and the export lists the rows in the
    same order: the key decides between equals."""
    from django.urls import reverse

    factories.ItemFactory()
    factories.ContractFactory()
    factories.JointPurchaseOrderFactory()
    factories.RequisitionFactory(
        trust=requisitioner.membership.trust, requester=requisitioner
    )
    factories.ApprovedRequisitionLineFactory()
    client = client_for({"requisitioner": requisitioner, "buyer": buyer}[who])
    for direction in ("", "-"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name), {"sort": direction + sort})
        assert response.status_code == 200
        order_by = _page_query(queries.captured_queries, table).split("ORDER BY")[1]
        last = order_by.split("LIMIT")[0].strip().split(",")[-1].strip()
        assert last.startswith(f'"{table}"."id"'), order_by
        # The export of every page keeps the same order, ties included.
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                reverse(url_name), {"sort": direction + sort, "_export": "csv"}
            )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        # Read through a server-side cursor: ``DECLARE … CURSOR FOR SELECT``.
        select = f'SELECT "{table}"."id"'
        export_query = [
            query["sql"][query["sql"].index(select) :]
            for query in queries.captured_queries
            if select in query["sql"] and "ORDER BY" in query["sql"]
        ][-1]
        last = export_query.split("ORDER BY")[1].strip().split(",")[-1].strip()
        assert last.startswith(f'"{table}"."id"'), export_query


# The header row and a form field as the templates wrote them before they were
# written in Python: the reference the tags must match.
LIBRARY_HEAD = """{% load django_tables2 %}{% for column in table.columns %}
<th scope="col" class="nhsuk-table__header{% if column.attrs.th.class %} {{ column.attrs.th.class }}{% endif %}"{% if column.orderable %} aria-sort="{% if column.is_ordered %}{% if column.order_by_alias.is_descending %}descending{% else %}ascending{% endif %}{% else %}none{% endif %}"{% endif %}{% for key, value in column.attrs.th.items %}{% if key != "class" %} {{ key }}="{{ value }}"{% endif %}{% endfor %}>
{% if column.orderable %}
<a href="{% querystring_replace table.prefixed_order_by_field=column.order_by_alias.next without table.prefixed_page_field %}">{{ column.header }}</a>
{% else %}
{{ column.header }}
{% endif %}
</th>
{% endfor %}"""  # noqa: E501

TEMPLATE_FIELD = """<div class="nhsuk-form-group{% if field.errors %} nhsuk-form-group--error{% endif %}">
  <label class="nhsuk-label" for="{{ field.id_for_label }}">{{ field.label }}</label>
  {% if field.help_text %}<div class="nhsuk-hint" id="{{ field.id_for_label }}-hint">{{ field.help_text }}</div>{% endif %}
  {% for error in field.errors %}<span class="nhsuk-error-message" id="{{ field.id_for_label }}-error"><span class="nhsuk-u-visually-hidden">Error:</span> {{ error }}</span>{% endfor %}
  {{ field }}
</div>"""  # noqa: E501


class _HeadTable(tables.Table):
    name = tables.Column(verbose_name="Name <& more>")
    total = MoneyColumn(attrs={"th": {"data-sum": "yes"}})
    note = tables.Column(orderable=False, attrs={"th": {"class": "x<y"}})
    # Headers are usually translatable text, sometimes markup of their own.
    site = tables.Column(verbose_name=gettext_lazy("Site & <depot>"))
    flag = tables.Column(verbose_name=mark_safe("<abbr>F</abbr>"), orderable=False)


@pytest.mark.parametrize("sort", [None, "name", "-name", "-total"])
@pytest.mark.parametrize(
    "query", [{}, {"page": "3", "status": "issued", "q": "a&b"}, {"tag": ["x", "y"]}]
)
def test_header_row_matches_the_library_template(sort, query):
    params = dict(query)
    if sort:
        params["sort"] = sort
    request = RequestFactory().get("/list/", params)
    table = _HeadTable(
        [{"name": "a", "total": Decimal("1"), "note": "n", "site": "s", "flag": 1}]
    )
    tables.RequestConfig(request, paginate={"per_page": 10}).configure(table)
    context = Context({"table": table, "request": request})
    expected = Template(LIBRARY_HEAD).render(context)
    assert parse_html(table_head(context, table)) == parse_html(expected)


def test_header_links_sort_back_to_page_one_keeping_the_filters():
    request = RequestFactory().get("/list/", {"page": "3", "status": "issued"})
    table = _HeadTable([])
    tables.RequestConfig(request).configure(table)
    html = table_head(Context({"request": request}), table)
    assert 'href="?status=issued&amp;sort=name"' in html
    assert 'aria-sort="none"' in html
    assert "Name &lt;&amp; more&gt;" in html
    assert "Site &amp; &lt;depot&gt;</a>" in html
    assert "<abbr>F</abbr></th>" in html
    assert "page=" not in html


class _FieldForm(NHSFormMixin, forms.Form):
    month = forms.CharField(label="Issued <in>", help_text="A month & year.")
    supplier = forms.ChoiceField(choices=[("", "Any"), ("1", "Acme")])


@pytest.mark.parametrize("data", [None, {"month": "", "supplier": "9"}])
def test_form_field_matches_the_template_it_replaced(data):
    form = _FieldForm(data)
    form.is_valid()
    for field in form:
        expected = Template(TEMPLATE_FIELD).render(Context({"field": field}))
        assert parse_html(form_field(field)) == parse_html(expected)
    if data:
        assert "nhsuk-form-group--error" in form_field(form["month"])


# --- page size ------------------------------------------------------------------


@given(st.one_of(st.integers(), st.text(max_size=12), st.none()))
def test_a_page_size_asked_for_is_kept_between_one_and_the_most(requested):
    size = rows_per_page(requested, 25)
    assert 1 <= size <= MAX_PER_PAGE
    try:
        asked = int(requested)
    except (TypeError, ValueError):
        assert size == 25
    else:
        assert size == (25 if asked < 1 else min(asked, MAX_PER_PAGE))


def test_a_paginator_never_cuts_pages_larger_than_the_most():
    rows = list(range(250))
    assert len(KeysFirstPaginator(rows, 10_000).page(1).object_list) == MAX_PER_PAGE
    assert len(KeysFirstPaginator(rows, -5).page(1).object_list) == 25
    assert pages_of(40)["paginator_class"](rows, 0).num_pages == 7


@pytest.mark.parametrize(
    ("url_name", "who"),
    [
        ("catalogue:item-list", "requisitioner"),
        ("suppliers:contract-list", "buyer"),
        ("suppliers:fuel-index-detail", "buyer"),
        ("orders:order-list", "buyer"),
        ("orders:requisition-list", "requisitioner"),
        ("orders:approved-lines", "buyer"),
        ("orders:approval-queue", "approver"),
    ],
)
@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("100000", MAX_PER_PAGE),
        ("100", 100),
        ("7", 7),
        ("-5", None),
        ("0", None),
        ("ten", None),
    ],
)
def test_every_list_shows_between_one_and_a_hundred_rows_a_page(
    url_name, who, asked, shown, client_for, requisitioner, approver, buyer
):
    """``?per_page=`` above a hundred shows a hundred instead of drawing a
    whole table; below 1, or not a number, the list's own page size instead
    of failing."""
    from django.urls import reverse

    index = factories.FuelIndexPriceFactory().index
    kwargs = {"pk": index.pk} if url_name == "suppliers:fuel-index-detail" else {}
    users = {"requisitioner": requisitioner, "approver": approver, "buyer": buyer}
    response = client_for(users[who]).get(
        reverse(url_name, kwargs=kwargs), {"per_page": asked}
    )
    assert response.status_code == 200
    context = response.context
    paginator = (
        context["page_obj"] if "table" not in context else context["table"].page
    ).paginator
    own_size = {"orders:approved-lines": 50, "suppliers:fuel-index-detail": 50}
    assert paginator.per_page == (shown or own_size.get(url_name, 25))


# --- exports --------------------------------------------------------------------


def _export_tables(requisitioner, buyer):
    """Every list's table over rows that exercise its columns: choice labels,
    empty cells, related names, the tables' own ``value_`` and ``render_``
    methods, money, dates, text that would start a formula."""
    from catalogue import selectors as catalogue_selectors
    from catalogue.tables import ItemTable
    from orders.selectors import requisitions as requisition_selectors
    from orders.tables.requisitions import ApprovedLineTable
    from suppliers import selectors as supplier_selectors
    from suppliers.models import FuelIndexPrice
    from suppliers.tables import ContractTable, FuelIndexPriceTable

    trust = requisitioner.membership.trust
    for status in Requisition.Status.values:
        factories.RequisitionFactory(
            trust=trust,
            requester=requisitioner,
            status=status,
            estimated_total=Decimal("1234.565"),
        )
    factories.RequisitionFactory(
        trust=trust, requester=requisitioner, estimated_total=None
    )
    requisitioner.first_name, requisitioner.last_name = "", "=HYPERLINK(1)"
    requisitioner.save()
    factories.ApprovedRequisitionLineFactory(item__name="@SUM(A1)")
    factories.ContractFactory(title="-1+1")
    factories.ItemFactory(name="+44 spare")
    factories.FuelIndexPriceFactory(price_per_litre=Decimal("1.23456"))
    issued = factories.JointPurchaseOrderFactory(
        status=JointPurchaseOrder.Status.ISSUED,
        issued_at=datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC),
    )
    factories.OrderShareFactory(order=issued, trust=trust)
    factories.JointPurchaseOrderFactory(contract=issued.contract)
    return [
        RequisitionTable(
            requisition_selectors.requisition_list(user=requisitioner).order_by("pk")
        ),
        ApprovedLineTable(
            requisition_selectors.approved_lines_list(user=buyer).order_by("pk")
        ),
        JointPurchaseOrderTable(joint_orders_list(buyer).order_by("number")),
        JointPurchaseOrderTable(joint_orders_list(requisitioner).order_by("number")),
        ItemTable(catalogue_selectors.items_list().order_by("pk")),
        ContractTable(supplier_selectors.contracts_list().order_by("pk")),
        FuelIndexPriceTable(FuelIndexPrice.objects.order_by("pk")),
    ]


@pytest.mark.django_db
def test_every_lists_export_holds_django_tables2s_cells(requisitioner, buyer):
    """Header for header and cell for cell, the export's rows are the
    library's own values (``Table.as_values``), formulas neutralised."""
    for table in _export_tables(requisitioner, buyer):
        library = [
            [neutralise_formula(cell) for cell in row] for row in table.as_values()
        ]
        assert len(library) > 1, type(table).__name__
        exported = SafeTableExport("csv", table).dataset
        assert [exported.headers, *map(list, exported)] == library
        assert list(table_values(table, ("status",))) == list(
            table.as_values(exclude_columns=("status",))
        )
    assert exported.title == "Fuel Index Prices"


@pytest.mark.django_db
def test_export_cells_read_as_spreadsheet_values(requisitioner, buyer):
    """Money is the Decimal to the penny, a status its label, an empty cell
    empty, and text starting a formula comes out as text."""
    requisitions, *_others = _export_tables(requisitioner, buyer)
    headers, *rows = table_values(requisitions)
    totals = [row[headers.index("Estimated total")] for row in rows]
    assert Decimal("1234.57") in totals
    assert None in totals
    assert {row[headers.index("Status")] for row in rows} >= set(
        map(str, Requisition.Status.labels)
    )
    exported = SafeTableExport("csv", requisitions).dataset
    requesters = {row[headers.index("Requester")] for row in exported}
    assert all(not str(name).startswith("=") for name in requesters)
    assert any(str(name).startswith("'=HYPERLINK") for name in requesters)


@pytest.mark.django_db
def test_an_export_reads_its_records_in_chunks(requisitioner, monkeypatch):
    """The export's rows come from the database a chunk at a time, in the
    table's order, and the queryset never holds every record at once."""
    from alliance_procurement import table_tags
    from orders.selectors import requisitions as requisition_selectors

    monkeypatch.setattr(table_tags, "EXPORT_CHUNK", 2)
    trust = requisitioner.membership.trust
    made = factories.RequisitionFactory.create_batch(
        5, trust=trust, requester=requisitioner
    )
    queryset = requisition_selectors.requisition_list(user=requisitioner)
    table = RequisitionTable(queryset.order_by("-pk"))
    headers, *rows = table_values(table)
    numbers = [row[headers.index("Number")] for row in rows]
    assert numbers == [requisition.number for requisition in reversed(made)]
    assert table.data.data._result_cache is None


class PinnedTotalTable(RequisitionTable):
    def get_top_pinned_data(self):
        return [{"number": "Top", "estimated_total": Decimal("1.005")}]

    def get_bottom_pinned_data(self):
        return [{"number": "Total", "estimated_total": Decimal("12.5")}]


@pytest.mark.django_db
def test_an_export_with_pinned_rows_holds_the_librarys_cells(requisitioner):
    factories.RequisitionFactory(
        trust=requisitioner.membership.trust, requester=requisitioner
    )
    table = PinnedTotalTable(Requisition.objects.order_by("pk"))
    ours = list(table_values(table))
    assert ours == list(table.as_values())
    assert (ours[1][0], ours[-1][0]) == ("Top", "Total")


@pytest.mark.django_db
def test_a_status_shown_in_many_rows_is_the_same_tag_in_each():
    """Each different status tag is written once a page and repeated: every
    row still shows its own, as django-tables2 writes it."""
    trust = factories.TrustFactory()
    statuses = [Requisition.Status.SUBMITTED, Requisition.Status.APPROVED] * 3
    for status in statuses:
        factories.RequisitionFactory(trust=trust, status=status)
    table = _configured(RequisitionTable(Requisition.objects.order_by("pk")))
    context = Context({})
    ours = table_rows(context, table)
    assert parse_html(ours) == parse_html(_library_rows(table, context))
    for status in (Requisition.Status.SUBMITTED, Requisition.Status.APPROVED):
        assert ours.count(f">{status.label}</strong>") == 3
