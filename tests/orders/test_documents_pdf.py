"""Order PDFs read back: numbers, references, totals, pages (DESIGN §6)."""

import io

import pytest
from pypdf import PdfReader

from orders import documents
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


@pytest.fixture
def order():
    return build_order(trusts=build_trusts(), lines=5)


def test_consolidated_pdf_shows_number_references_and_totals(order):
    """The consolidated PDF names the order, every trust's reference and totals."""
    data = documents.order_document_data(order_id=order.pk)
    text, pages = _text(documents.order_document_render(data, trust_id=None))
    assert order.number in text
    for share in order.shares.all():
        assert share.reference in text
        assert f"£{share.net + share.vat:,.2f}" in text
    assert f"£{order.net:,.2f}" in text
    assert f"£{order.net + order.vat:,.2f}" in text
    assert order.contract.reference in text
    assert f"Page 1 of {pages}" in text
    assert pages >= 4  # the order, then one page per trust at least


def test_share_pdf_holds_only_its_own_trust(order):
    """A trust's share PDF shows its reference and lines, no other trust's."""
    shares = list(order.shares.select_related("trust"))
    mine, others = shares[0], shares[1:]
    data = documents.order_document_data(order_id=order.pk)
    text, pages = _text(documents.order_document_render(data, trust_id=mine.trust_id))
    assert mine.reference in text
    assert f"£{mine.net + mine.vat:,.2f}" in text
    assert "quoting order reference" in text
    assert f"Page 1 of {pages}" in text
    for other in others:
        assert other.reference not in text
        assert f"/{other.trust.code}" not in text
        assert other.trust.name not in text
        for site in other.trust.sites.all():
            assert site.name not in text


def test_share_section_lists_sites_and_cost_centres(order):
    """A trust's section names its delivery sites (postcode, GLN) and cost centres."""
    share = order.shares.select_related("trust").first()
    data = documents.order_document_data(order_id=order.pk)
    text, _pages = _text(documents.order_document_render(data, trust_id=share.trust_id))
    for site in share.trust.sites.all():
        assert site.name in text
        assert site.postcode in text
        if site.gln:
            assert f"GLN {site.gln}" in text
    for centre in share.trust.cost_centres.all():
        assert centre.code in text


def test_consolidated_pdf_starts_each_trust_on_a_new_page(order):
    """Each trust's section starts on its own page, headed with its reference."""
    data = documents.order_document_data(order_id=order.pk)
    reader = PdfReader(io.BytesIO(documents.order_document_render(data, trust_id=None)))
    first_lines = [page.extract_text().splitlines()[:3] for page in reader.pages]
    for share in order.shares.all():
        assert any(share.reference in lines for lines in first_lines)


def test_pdf_embeds_the_vendored_fonts(order):
    """The PDF embeds its fonts, so it prints the same on any machine."""
    data = documents.order_document_data(order_id=order.pk)
    reader = PdfReader(io.BytesIO(documents.order_document_render(data, trust_id=None)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for font in fonts.values():
        font = font.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
        names.append(font["/BaseFont"])
    assert any("Liberation" in name for name in names)


def test_order_data_loads_in_constant_queries(django_assert_max_num_queries):
    """Loading an order's document data takes a fixed few queries, not per line."""
    order = build_order(trusts=build_trusts(), lines=40)
    with django_assert_max_num_queries(4):
        data = documents.order_document_data(order_id=order.pk)
    assert len(data.lines) == 40
    for share in data.shares:
        assert sum(len(site["deliveries"]) for site in share.sites) == 40


def test_fingerprint_changes_with_what_the_document_shows(order):
    """The fingerprint is stable for the same inputs and changes with them."""
    first = documents.order_document_data(order_id=order.pk)
    again = documents.order_document_data(order_id=order.pk)
    assert first.fingerprint() == again.fingerprint()
    share = order.shares.first()
    before = first.fingerprint(trust_id=share.trust_id)
    order.supplier.name = "Renamed Supplier Ltd"
    order.supplier.save()
    changed = documents.order_document_data(order_id=order.pk)
    assert changed.fingerprint() != first.fingerprint()
    assert changed.fingerprint(trust_id=share.trust_id) != before
