"""No link leads a person to a page they may not open.

On the real demo data, every demo role signs in and follows, breadth-first from the home page,
every same-site link its pages show: the ``href`` of links, the ``action`` of GET forms and the
``hx-get`` of htmx elements. Each must answer 200 (after redirects) and keep the person signed
in. The buttons that post (forms with ``method="post"``, ``hx-post``) are probed with an empty
POST inside a savepoint that is rolled back: views check the role before they read the form, so
a 403 (or 404, 405) there is a button the role may not press. Every notification the role has
received is followed through the link its notification page shows and its e-mail carries.

Bounds, to stay within seconds per role: at most 400 pages; at most three query strings per path
(filters, sorting, pages, CSV); at most three htmx fragments per view (one per table row
otherwise); at most two POST probes per view. Signing out, the language switch (a POST) and
static files are not followed. Links to /admin/ are followed like any other: none of these roles
is staff, so one would end on the admin's sign-in page, which fails the test.
"""

import datetime as dt
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils.html import escape
from django_scopes import scopes_disabled

from licensing.notifications import TRUE_UP_CHARGED
from msp_portal.notifications.models import Notification, OutboxEmail
from msp_portal.notifications.outbox import outbox_emails_send
from msp_portal.tenancy.demo import DEMO_PASSWORD
from msp_portal.tenancy.links import may_open
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import resolve_tenant

from .conftest import SEEN_AT

# The package's demo data (tests/demo/conftest.py), on a day with reports in every state, a
# true-up charged and notifications of every kind the demo produces.
pytestmark = pytest.mark.now(SEEN_AT)

# One sign-in per role of the demo (msp_portal/tenancy/demo.py).
ROLE_LOGINS = {
    "msp_admin": "admin@contoso.example",
    "msp_billing": "billing@contoso.example",
    "msp_viewer": "viewer@contoso.example",
    "dist_reviewer": "reviewer@northwind.example",
    "dist_admin": "dist.admin@northwind.example",
}

MAX_PAGES_PER_ROLE = 400
MAX_QUERY_VARIANTS = 3
MAX_FRAGMENTS_PER_VIEW = 3
MAX_POST_PROBES_PER_VIEW = 2
SKIPPED_PREFIXES = ("/accounts/logout/", "/static/", "/i18n/")
EMAIL_BASE = "http://portal.test:18801"


class _LinkParser(HTMLParser):
    """Collects where a page's links, GET forms and htmx elements lead (``gets``, with whether
    htmx loads it) and where its buttons post (``posts``)."""

    def __init__(self):
        super().__init__()
        self.gets: list[tuple[str, bool]] = []
        self.posts: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") is not None:
            self.gets.append((attrs["href"], False))
        if tag == "form":
            target = (attrs.get("action") or "", False)
            if (attrs.get("method") or "get").lower() == "post":
                self.posts.append(target)
            else:
                self.gets.append(target)
        if attrs.get("hx-get"):
            self.gets.append((attrs["hx-get"], True))
        if attrs.get("hx-post"):
            self.posts.append((attrs["hx-post"], True))


def _same_site(base: str, href: str) -> str | None:
    """The path and query ``href`` leads to from the page ``base``, or None when it leaves the
    portal or is not followed."""
    href = href.strip()
    if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    url, _ = urldefrag(urljoin("http://testserver" + base, href))
    parts = urlsplit(url)
    if parts.netloc != "testserver" or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _view_name(path: str) -> str:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return path


def _sign_in(email: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{email} cannot sign in"
    return client


def _open_problem(response) -> str | None:
    """None when a followed response is the page, else what went wrong."""
    if response.status_code != 200:
        return f"answers {response.status_code}"
    final = response.request["PATH_INFO"]
    if final.startswith(("/accounts/login/", "/admin/login/")):
        return f"asks to sign in again ({final})"
    return None


def _open(client: Client, path: str) -> str | None:
    """GET ``path`` as the person would, following redirects; None when it opens."""
    return _open_problem(client.get(path, follow=True))


class _Crawl:
    def __init__(self, client: Client):
        self.client = client
        self.broken: list[str] = []
        self.posts: dict[tuple[str, bool], str] = {}
        self.visited = 0
        self._seen: set[str] = {"/"}
        self._per_key: dict[str, int] = {}

    def _over(self, key: str, limit: int) -> bool:
        self._per_key[key] = self._per_key.get(key, 0) + 1
        return self._per_key[key] > limit

    def run(self) -> "_Crawl":
        queue: deque[tuple[str, str, bool]] = deque([("/", "(start)", False)])
        while queue and self.visited < MAX_PAGES_PER_ROLE:
            path, found_on, htmx = queue.popleft()
            self.visited += 1
            response = self.client.get(path, follow=True, headers={"HX-Request": "true"} if htmx else {})
            problem = _open_problem(response)
            if problem:
                self.broken.append(f"{path} {problem} (link on {found_on})")
                continue
            if "html" not in response.get("Content-Type", ""):
                continue
            parser = _LinkParser()
            parser.feed(response.content.decode())
            for href, is_htmx in parser.gets:
                target = _same_site(path, href)
                if target is None or target in self._seen:
                    continue
                bare = urlsplit(target).path
                if target != bare and self._over("query " + bare, MAX_QUERY_VARIANTS):
                    continue
                if is_htmx and self._over("htmx " + _view_name(target), MAX_FRAGMENTS_PER_VIEW):
                    continue
                self._seen.add(target)
                queue.append((target, path, is_htmx))
            for action, is_htmx in parser.posts:
                target = _same_site(path, action)
                if target is not None:
                    self.posts.setdefault((target, is_htmx), path)
        return self

    def probe_posts(self) -> None:
        """An empty POST to each button's target, rolled back."""
        for (target, htmx), found_on in sorted(self.posts.items()):
            if self._over("post " + _view_name(target), MAX_POST_PROBES_PER_VIEW):
                continue
            with transaction.atomic():
                response = self.client.post(target, {}, headers={"HX-Request": "true"} if htmx else {})
                transaction.set_rollback(True)
            if response.status_code in (403, 404, 405) or response.status_code >= 500:
                self.broken.append(f"POST {target} answers {response.status_code} (button on {found_on})")


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_every_link_and_button_opens_for_every_role(demo, role):
    crawl = _Crawl(_sign_in(ROLE_LOGINS[role])).run()
    crawl.probe_posts()
    assert crawl.visited > 15, "the crawl found almost nothing: it would prove nothing"
    assert not crawl.broken, f"{role} is shown links it may not follow:\n" + "\n".join(crawl.broken)


def _notification_page_links(client: Client, org_slug: str) -> tuple[int, list[str]]:
    """Every page of the notification list: how many notifications it shows, and their links."""
    shown, links, page = 0, [], 1
    while True:
        response = client.get(f"/o/{org_slug}/notifications/?page={page}")
        assert response.status_code == 200
        page_html = response.content.decode()
        table = page_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page_html else ""
        shown += table.count("<tr")
        links += re.findall(r'<a class="cell-primary" href="([^"]+)"', table)
        if f"page={page + 1}" not in page_html:
            return shown, links
        page += 1


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_every_notification_link_opens_for_its_reader(demo, role, settings):
    user = User.objects.get(email=ROLE_LOGINS[role])
    client = _sign_in(user.email)
    with scopes_disabled():
        received = list(Notification.objects.filter(recipient=user).select_related("organisation"))
        org_slug = user.memberships.get().organisation.slug
    assert {n.organisation.slug for n in received} <= {org_slug}

    shown, links = _notification_page_links(client, org_slug)
    assert shown == len(received)
    if role == "msp_viewer":  # viewers are told nothing: nothing to follow
        assert not received
        return
    assert links, "no notification links at all: the test would prove nothing"
    # What each path answered: an e-mail's link to a page the list already led to is that answer.
    opened = {link: _open(client, link) for link in set(links)}
    broken = [f"{link} {problem}" for link, problem in opened.items() if problem]

    # The e-mails of the same notifications, sent again: their links too.
    settings.PORTAL_BASE_URL = EMAIL_BASE
    emails = OutboxEmail.objects.filter(notification__recipient=user)
    emails.update(state="pending", next_attempt_at=dt.datetime.now(dt.UTC))
    mail.outbox.clear()
    assert outbox_emails_send(email_ids=list(emails.values_list("pk", flat=True))) == len(received)
    mailed = [link for message in mail.outbox for link in re.findall(r"https?://\S+", message.body)]
    assert mailed and all(link.startswith(EMAIL_BASE + "/") for link in mailed), mailed
    for link in set(mailed):
        path = link.removeprefix(EMAIL_BASE)
        if path not in opened:
            opened[path] = _open(client, path)
        if opened[path]:
            broken.append(f"e-mailed {link} {opened[path]}")
    assert not broken, f"{role}'s notifications lead where it may not go:\n" + "\n".join(broken)


def test_billing_admin_is_told_of_the_true_up_without_a_link_to_licenses(demo):
    """The known case: the true-up notice reaches MSP admins and billing admins; only the
    admins see licenses, so only they get the link (and it opens for them)."""
    for email, expect_link in (("admin@contoso.example", True), ("billing@contoso.example", False)):
        client = _sign_in(email)
        with scopes_disabled():
            notice = Notification.objects.get(recipient__email=email, kind=TRUE_UP_CHARGED)
        page = client.get("/o/contoso/notifications/").content.decode()
        rows = [row for row in page.split("<tr") if escape(notice.title) in row]
        assert len(rows) == 1, f"{email} is not shown the true-up on the first page"
        assert (f'href="{notice.url}"' in rows[0]) is expect_link, email
        if expect_link:
            assert _open(client, notice.url) is None


def test_catalog_shows_purchases_only_to_roles_that_may_open_them(demo):
    for email, expect in (
        ("admin@contoso.example", True),
        ("viewer@contoso.example", True),
        ("billing@contoso.example", False),
    ):
        page = _sign_in(email).get("/o/contoso/shop/").content.decode()
        assert ('href="/o/contoso/shop/purchases/"' in page) is expect, email


def test_may_open_reads_the_views_own_rules(demo):
    """The check behind the links: the organisation in the URL, the page's kind and permission."""
    admin = resolve_tenant(user=User.objects.get(email="admin@contoso.example"), org_slug="contoso")
    billing = resolve_tenant(user=User.objects.get(email="billing@contoso.example"), org_slug="contoso")
    reviewer = resolve_tenant(user=User.objects.get(email="reviewer@northwind.example"), org_slug="northwind")
    assert may_open(admin, "/o/contoso/licensing/?page=2")
    assert not may_open(admin, "/o/fabrikam/licensing/"), "another organisation's page"
    assert not may_open(billing, "/o/contoso/licensing/"), "a permission the role lacks"
    assert may_open(billing, "/o/contoso/reports/")
    assert not may_open(reviewer, "/o/northwind/licensing/"), "a page of the other kind"
    assert not may_open(reviewer, "/o/northwind/reports/accounts/0/edit/"), "no such page"
    assert may_open(reviewer, "/api/v1/orgs/northwind/true-ups/") is True
    assert not may_open(billing, "/api/v1/orgs/contoso/licenses/")
