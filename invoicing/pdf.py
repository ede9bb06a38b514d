"""An invoice as PDF: WeasyPrint renders the printable page's own HTML (the template
``invoicing/invoice_print.html``), so the page and the PDF never differ.

Nothing is fetched from outside while rendering: the one fetcher WeasyPrint is given reads the
portal's own static files from disk and refuses every other address (an invoice is rendered
in a request: it must not wait on, or leak to, another server)."""

import hashlib
import logging
from pathlib import Path
from urllib.parse import urlsplit

import redis
import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from weasyprint.urls import URLFetcher

from .selectors import InvoiceDetail

log = logging.getLogger(__name__)

# A rendering is kept this long under the digest of its HTML (see invoice_pdf).
PDF_CACHE_SECONDS = 24 * 60 * 60

# The address the HTML's relative links (/static/…) resolve against; never contacted.
BASE_URL = "https://portal.invalid/"


def _static_file(url: str) -> Path | None:
    """The file on disk behind a static URL of this portal, or None."""
    parts = urlsplit(url)
    if parts.netloc != urlsplit(BASE_URL).netloc or not parts.path.startswith(settings.STATIC_URL):
        return None
    name = parts.path[len(settings.STATIC_URL) :]
    try:
        if staticfiles_storage.exists(name):  # collected (possibly a hashed name)
            return Path(staticfiles_storage.path(name))
    except NotImplementedError:
        pass
    found = finders.find(name)
    return Path(found) if found else None


class StaticOnlyFetcher(URLFetcher):
    """Reads the portal's static files; any other address is refused."""

    def __init__(self):
        super().__init__(allowed_protocols=("file",))

    def fetch(self, url, headers=None):
        path = _static_file(url)
        if path is None:
            raise ValueError(f"Not fetched while rendering an invoice: {url}")
        return super().fetch(path.resolve().as_uri(), headers)


def invoice_pdf(html: str) -> bytes:
    """The PDF of the printable page's HTML (rendered by the view, with the request's language).

    Laying out a PDF costs a fifth of a second of CPU, and the same HTML always gives the same
    PDF: a rendering is kept in the cache under the digest of its HTML, so downloading an invoice
    again (it never changes; a credit note changes its HTML, hence its key) waits for nothing.
    The cache is a convenience: without Redis the PDF is rendered each time."""
    key = "invoice-pdf:" + hashlib.sha256(html.encode()).hexdigest()
    try:
        kept = cache.get(key)
    except redis.RedisError as exc:
        log.warning("Invoice PDF cache unavailable (%s): rendering without it.", exc)
        return _render(html)
    if kept is not None:
        return kept
    pdf = _render(html)
    try:
        cache.set(key, pdf, timeout=PDF_CACHE_SECONDS)
    except redis.RedisError as exc:
        log.warning("Invoice PDF cache unavailable (%s): not kept.", exc)
    return pdf


def _render(html: str) -> bytes:
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()


def invoice_pdf_name(detail: InvoiceDetail) -> str:
    return f"{detail.invoice.number}.pdf"
