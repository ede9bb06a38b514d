"""An invoice's printable page and its PDF (WeasyPrint, from the same HTML): the download's name
and type, and the text a person reads in it (number, seller, buyer, every line's amount, the
totals), read back with pypdf."""

import hashlib
import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from invoicing import pdf
from invoicing.services import tax_setting_save

from .invoice_world import approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


@pytest.fixture
def invoice(world):
    tax_setting_save(tenant=tenant_of(world.a, "dist_admin"), country="US", rate_percent="20", method="total")
    return approved_invoice(world.a)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Runs of spaces and line breaks vary with the layout: compare words in order.
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.mark.parametrize("role", ["msp_billing", "dist_reviewer"])
def test_the_pdf_is_the_invoice(world, invoice, login, role):
    org = world.a.org_of(role)
    response = login(world.a.users[role]).get(
        reverse("invoicing:invoice-pdf", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        invoice.number,
        # Upper case: the stylesheet was read (its kicker labels are text-transform: uppercase).
        "SELLER Distributor A",
        "BILL TO MSP A",
        "October 2026",
        "Microsoft 365 Business Premium",
        "Azure Backup storage",
        "Endpoint protection",
        *(f"{line.amount}" for line in lines_of(invoice)),
        f"Subtotal {invoice.subtotal} USD",
        f"Tax (20 % on the invoice total) {invoice.tax} USD",
        f"Total {invoice.total} USD",
    ):
        assert expected in text, expected


def test_the_printable_page_has_no_navigation_and_the_print_stylesheet(world, invoice, login):
    response = login(world.a.users["msp_admin"]).get(
        reverse("invoicing:invoice-print", kwargs={"org_slug": world.a.msp.slug, "invoice_id": invoice.pk})
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="sidebar' not in html and "invoicing/invoice.css" in html
    assert invoice.number in html


def test_rendering_fetches_nothing_but_the_portals_static_files():
    fetcher = pdf.StaticOnlyFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("https://example.com/font.woff")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    response = fetcher.fetch(f"{pdf.BASE_URL}static/invoicing/invoice.css")
    assert response is not None


def test_a_rendered_pdf_is_kept_and_downloads_still_work_without_the_cache(world, invoice, login, settings):
    client = login(world.a.users["msp_billing"])
    kwargs = {"org_slug": world.a.msp.slug, "invoice_id": invoice.pk}
    first = client.get(reverse("invoicing:invoice-pdf", kwargs=kwargs))
    html = client.get(reverse("invoicing:invoice-print", kwargs=kwargs)).content.decode()
    # Kept under the digest of the very HTML the page shows: the next download is this file.
    assert cache.get("invoice-pdf:" + hashlib.sha256(html.encode()).hexdigest()) == first.content
    assert client.get(reverse("invoicing:invoice-pdf", kwargs=kwargs)).content == first.content

    # Redis unreachable: the PDF is rendered on the spot, no error.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0", "KEY_PREFIX": "gone"}
    }
    without = client.get(reverse("invoicing:invoice-pdf", kwargs=kwargs))
    assert without.status_code == 200 and without.content.startswith(b"%PDF-")
    assert invoice.number in pdf_text(without.content)
