"""No request can cause a 500 (docs/errors.md): every HTML form of the portal and every JSON or
multipart API operation, sent hostile shapes (a 1 MB string, 1e30, NaN, -1, a 1,000-deep JSON
text, NUL and non-UTF-8 bytes, a missing field, a list where one value is due), answers with a
refusal a person can read, never a server error. Expected refusals log one line."""

import datetime as dt
import io
import json
import logging
import re
import sys
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from licensing.demo_fixtures import licensing_objects
from msp_portal.tenancy.choices import ROLE_PERMISSIONS
from msp_portal.tenancy.models import Membership
from msp_portal.tenancy.resolve import TenantContext
from reports.models import UsageReportLine
from reports.services import usage_report_open, usage_report_submit

from .conftest import World, make_side
from .reports.conftest import line_specs
from .test_tenancy import ID_OF, fill, tenant_routes

NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)
ROLES = ("msp_admin", "msp_billing", "msp_viewer", "dist_admin", "dist_reviewer")

MEGABYTE = "x" * 1_000_000
DEEP_JSON = "[" * 1000 + "]" * 1000
LONG_EMAIL = "a" * 250 + "@example.com"  # valid to Django's validator (320), not to the columns (254)
# What every field of every form is sent, one field at a time (the others keep what the page
# filled in, so the hostile value reaches the code behind a form that would otherwise pass).
# None means the field is left out; a list sends the name several times; bytes go as they are,
# through multipart, since no browser-side encoding would let them through a urlencoded body.
FORM_SHAPES: dict[str, object] = {
    "1 MB": MEGABYTE,
    "1e30": "1e30",
    "NaN": "NaN",
    "-1": "-1",
    "5,000 digits": "9" * 5000,
    "²": "²",  # a digit to str.isdigit(), not to int()
    "1,000-deep JSON": DEEP_JSON,
    "NUL": "a\x00b",
    "missing": None,
    "list": ["1", "2"],
    "not UTF-8": b"\xff\xfe\xfa",
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class BusyWorld(World):
    reviewed_id: int = 0  # side A's report under review


@pytest.fixture
def busy_world(db, clock) -> BusyWorld:
    """Two sides with every role (tests/conftest.py), made at NOW, and on side A everything a
    form can be about: licensing objects, a report under review (approve, reject) and one in
    preparation (edit, comment, submit), a notification, and a cart with a product in it."""
    world = BusyWorld(a=make_side("a"), b=make_side("b"))
    msp = world.a.msp
    licensing_objects(msp)
    # Opening a report tells the MSP's admins, submitting it the distributor: a notification
    # on each side.
    reviewed, _ = usage_report_open(msp=msp, cycle=dt.date(2026, 9, 1), lines=line_specs())
    admin = world.a.users["msp_admin"]
    membership = Membership.objects.for_tenant(msp).get(user=admin)
    tenant = TenantContext(organisation=msp, membership=membership, perms=ROLE_PERMISSIONS["msp_admin"])
    lines = UsageReportLine.objects.for_tenant(msp).filter(report=reviewed)
    lines.update(billable_units=F("provided_units"))  # no discrepancy to explain
    usage_report_submit(tenant=tenant, acting_user=admin, report_id=reviewed.pk)
    usage_report_open(msp=msp, cycle=dt.date(2026, 10, 1), lines=line_specs())
    world.reviewed_id = reviewed.pk
    return world


# --- reading forms out of pages ---------------------------------------------------------------

CHOICE_KINDS = ("select", "radio", "checkbox", "submit")


@dataclass
class Form:
    """What a browser would send from one form (or one htmx control outside a form)."""

    page: str
    method: str
    action: str
    multipart: bool = False
    htmx: bool = False
    fields: list[tuple[str, object]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # field name → input type, select, textarea…

    def names(self) -> list[str]:
        return list(self.kinds)

    def signature(self) -> tuple:
        """Forms repeated per row (a role select per member) or per organisation (the members
        page of an MSP and of a distributor: one view, one form) are walked once."""
        digits = re.compile(r"\d+")
        action = re.sub(r"^/o/[^/]+/", "/o/ORG/", urlsplit(self.action).path)
        return (self.method, digits.sub("N", action), tuple(sorted(digits.sub("N", n) for n in self.kinds)))


@dataclass
class Control:
    name: str
    kind: str
    values: list[str]  # what it submits untouched (none for an unchecked box)
    owner: int | str | None  # index of the enclosing form, or the id named by its form= attribute
    attrs: dict


class FormCollector(HTMLParser):
    """The forms of a page with the values a browser would submit for them unchanged: controls
    inside a form or naming it with ``form=``, and htmx controls (``hx-post``) outside any."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.form_attrs: list[dict] = []
        self.open_form: int | None = None
        self.controls: list[Control] = []
        self.by_id: dict[str, Control] = {}
        self.select: Control | None = None
        self.textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.form_attrs.append(a)
            self.open_form = len(self.form_attrs) - 1
            return
        name = a.get("name")
        if tag == "option" and self.select is not None:
            self.select.attrs.setdefault("_first", a.get("value", ""))
            if "selected" in a:
                self.select.values.append(a.get("value", ""))
            return
        if tag not in ("input", "select", "textarea", "button") or not name or "disabled" in a:
            return
        kind = (
            tag
            if tag in ("select", "textarea")
            else (a.get("type") or ("submit" if tag == "button" else "text"))
        )
        kind = kind.lower()
        if kind in ("reset", "button", "image"):
            return
        checked = kind not in ("checkbox", "radio") or "checked" in a
        values = [a.get("value", "on" if kind in ("checkbox", "radio") else "")] if checked else []
        if tag in ("select", "textarea"):
            values = []
        control = Control(name, kind, values, a.get("form") or self.open_form, a)
        self.controls.append(control)
        if a.get("id"):
            self.by_id[a["id"]] = control
        if tag == "select":
            self.select = control
        elif tag == "textarea":
            self.textarea = control

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.attrs["_text"] = self.textarea.attrs.get("_text", "") + data

    def handle_endtag(self, tag):
        if tag == "form":
            self.open_form = None
        elif tag == "select" and self.select is not None:
            if not self.select.values and "multiple" not in self.select.attrs:
                self.select.values = [self.select.attrs.get("_first", "")]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.textarea.values = [self.textarea.attrs.get("_text", "").removeprefix("\n")]
            self.textarea = None

    def forms(self) -> list[Form]:
        ids = {a["id"]: index for index, a in enumerate(self.form_attrs) if a.get("id")}
        found = []
        for index, a in enumerate(self.form_attrs):
            htmx_action = a.get("hx-post")
            form = Form(
                page=self.page,
                method="post" if htmx_action else (a.get("method") or "get").lower(),
                action=urljoin(self.page, htmx_action or a.get("action") or self.page),
                multipart=a.get("enctype") == "multipart/form-data",
                htmx=bool(htmx_action),
            )
            members = [c for c in self.controls if c.owner == index or ids.get(c.owner) == index]
            self._add(
                form,
                [c for c in members if c.kind != "submit"] + [c for c in members if c.kind == "submit"][:1],
            )
            found.append(form)
        for control in self.controls:
            action = control.attrs.get("hx-post")
            if not action or isinstance(control.owner, int):
                continue  # inside a form: htmx sends that form, walked above
            form = Form(page=self.page, method="post", action=urljoin(self.page, action), htmx=True)
            included = [
                self.by_id.get(ref.strip().lstrip("#"))
                for ref in control.attrs.get("hx-include", "").split(",")
            ]
            self._add(form, [control] + [c for c in included if c is not None])
            found.append(form)
        return found

    @staticmethod
    def _add(form: Form, controls: list[Control]) -> None:
        for control in controls:
            form.kinds.setdefault(control.name, control.kind)
            form.fields.extend((control.name, value) for value in control.values)


def pages_of(world: BusyWorld, role: str, found: dict | None = None) -> list[str]:
    """Every page of the portal a member of side A with this role could open (``found``: the
    ids found so far, as in test_tenancy.fill)."""
    org = world.a.org_of(role)
    urls = ["/", "/accounts/password_change/", f"/o/{org.slug}/reports/{world.reviewed_id}/"]
    for route, kwargs in tenant_routes():
        if route.startswith("api/") or route.endswith(".csv"):
            continue
        urls.append(fill(route, org, kwargs, found))
    return urls


def collect_forms(client: Client, urls: list[str]) -> list[Form]:
    forms = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        collector = FormCollector(url)
        collector.feed(response.content.decode())
        forms.extend(collector.forms())
    return forms


# --- sending hostile values -------------------------------------------------------------------


def multipart(fields: list[tuple[str, object]], files: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand, so that raw bytes reach the server as sent."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        raw = value if isinstance(value, bytes) else str(value).encode()
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(raw + b"\r\n")
    for name, content in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="upload.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def with_shape(fields: list[tuple[str, object]], name: str, shape) -> list[tuple[str, object]]:
    kept = [(n, v) for n, v in fields if n != name]
    if shape is None:
        return kept
    values = shape if isinstance(shape, list) else [shape]
    return kept + [(name, value) for value in values]


# CSV files for a form's file field: each must be refused (or applied) with a message.
FILE_SHAPES: dict[str, bytes] = {
    "1.5 MB field": b"sku,name\r\nFIXTURE-365-P1M," + b"x" * 1_500_000 + b"\r\n",
    "not UTF-8": b"sku,name\r\nFIXTURE-365-P1M,\xff\xfe\r\n",
    "NUL": b"sku,name\r\nFIXTURE-365-P1M,a\x00b\r\n",
    "larger than 2 MB": b"sku,name\r\n" + b"FIXTURE-365-P1M,someone\r\n" * 100_000,
    "deep JSON": DEEP_JSON.encode(),
    "empty": b"",
    "1e30 and NaN": b"sku,product,name,email,extension,cost_center\r\n1e30,NaN,-1,a@b.c,-Infinity,1e30\r\n",
}


def send(client: Client, form: Form, fields: list[tuple[str, object]], files: dict[str, bytes]):
    parts = urlsplit(form.action)
    headers = {"HX-Request": "true"} if form.htmx else {}
    if form.method == "get":
        text = [(n, v.decode("latin-1") if isinstance(v, bytes) else v) for n, v in fields]
        return client.get(parts.path + "?" + urlencode(text), headers=headers)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if form.multipart or files or any(isinstance(v, bytes) for _, v in fields):
        body, content_type = multipart(fields, files)
        return client.generic("POST", path, body, content_type=content_type, headers=headers)
    body = urlencode(fields)
    return client.generic(
        "POST", path, body, content_type="application/x-www-form-urlencoded", headers=headers
    )


def attempt(client: Client, form: Form, fields, files, label: str, failures: list[str]) -> None:
    """One request in a savepoint rolled back after it, so that every attempt meets the same
    data (a valid form would otherwise remove the member or submit the report the next needs)."""
    try:
        with transaction.atomic():
            response = send(client, form, fields, files)
            transaction.set_rollback(True)
    except Exception as exc:  # the test client re-raises what the view raised
        failures.append(f"{form.method.upper()} {form.action} [{label}] from {form.page}: {exc!r:.300}")
        return
    if response.status_code >= 500:
        failures.append(f"{form.method.upper()} {form.action} [{label}] → {response.status_code}")


# A choice (select, radio, checkbox, the name of a submit button) is compared with its options
# before anything reads it: the shapes that differ for it are the malformed ones.
CHOICE_SHAPES = ("5,000 digits", "²", "NUL", "missing", "list", "not UTF-8")


def walk_form(client: Client, form: Form, failures: list[str]) -> None:
    files = {
        name: b"sku,name\r\nFIXTURE-365-P1M,Someone\r\n" for name, k in form.kinds.items() if k == "file"
    }
    for name, kind in form.kinds.items():
        if name == "csrfmiddlewaretoken":
            continue
        if kind == "file":
            for label, content in FILE_SHAPES.items():
                attempt(client, form, form.fields, {**files, name: content}, f"{name}={label}", failures)
            without = {n: c for n, c in files.items() if n != name}
            attempt(client, form, form.fields, without, f"{name}=missing", failures)
            continue
        shapes = {**FORM_SHAPES, **({"262-character e-mail": LONG_EMAIL} if kind == "email" else {})}
        for label, shape in shapes.items():
            if kind in CHOICE_KINDS and label not in CHOICE_SHAPES:
                continue
            attempt(client, form, with_shape(form.fields, name, shape), files, f"{name}={label}", failures)


def test_every_form_refuses_hostile_values_without_a_server_error(busy_world, login):
    """Every form of every page, as every role of side A (and anonymous visitors), field by
    field with every hostile shape: never a 500."""
    world = busy_world
    seen: set[tuple] = set()
    failures: list[str] = []
    visitors = [(Client(), ["/accounts/login/", "/accounts/password_reset/", "/accounts/reset/x/y/"])]
    found: dict = {}
    visitors += [(login(world.a.users[role]), pages_of(world, role, found)) for role in ROLES]
    # A cart with a product in it, so that the purchase pages show their forms.
    product = licensing_objects(world.a.msp)["product"]
    visitors[1][0].post(
        reverse("licensing_purchase:cart-add", args=["msp-a"]), {"product_id": product.pk, "quantity": 2}
    )
    for client, urls in visitors:
        for form in collect_forms(client, urls):
            if form.signature() in seen or "/accounts/logout/" in form.action:
                continue
            seen.add(form.signature())
            walk_form(client, form, failures)
    walked = {signature[1] for signature in seen}
    # The forms behind the reported cases, and one of each kind (file upload, htmx control
    # outside a form, a split over cost centers), must be among those walked.
    expected = {
        "/o/ORG/reports/accounts/N/",
        "/o/ORG/members/invite/",
        "/o/ORG/licensing/bulk-assign/",
        "/o/ORG/reports/N/lines/N/",
        "/o/ORG/reports/N/reject/",
        "/o/ORG/shop/cart/cost-centers/",
        "/o/ORG/shop/products/new/",
        "/accounts/login/",
    }
    assert expected <= walked, f"not reached: {expected - walked}"
    assert len(seen) >= 30, f"only {len(seen)} forms found: is the walk still reaching the pages?"
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)


# --- the API ----------------------------------------------------------------------------------

# Values sent in every property of every request body, one property at a time.
API_VALUE_SHAPES: dict[str, object] = {
    "1 MB": MEGABYTE,
    '"1e30"': "1e30",
    "1e30": 1e30,
    "10**30": 10**30,
    '"NaN"': "NaN",
    "-1": -1,
    '"5,000 digits"': "9" * 5000,
    "30-deep list": json.loads("[" * 30 + "]" * 30),
    "list": ["1", "2"],
    "object": {"a": 1},
    "null": None,
    "true": True,
    "NUL": "a\x00b",
    "262-character e-mail": LONG_EMAIL,
}
# Whole bodies: (label, body bytes, content type, the status the parser must answer).
API_BODY_SHAPES: list[tuple[str, bytes, str, int]] = [
    ("1,000-deep JSON", DEEP_JSON.encode(), "application/json", 400),
    ("33-deep JSON", ("[" * 33 + "]" * 33).encode(), "application/json", 400),
    ("1,000-deep JSON in a property", b'{"name": ' + DEEP_JSON.encode() + b"}", "application/json", 400),
    ("not UTF-8", b'{"name": "\xff\xfe"}', "application/json", 400),
    ("NaN", b'{"name": NaN}', "application/json", 400),
    ("5,000-digit integer", b'{"name": ' + b"9" * 5000 + b"}", "application/json", 400),
    ("3 MB", b'{"name": "' + b"x" * 3_000_000 + b'"}', "application/json", 400),
    ("not JSON", b"{", "application/json", 400),
    ("a charset that is no text encoding", b"{}", "application/json; charset=bz2_codec", 400),
    ("a list", b"[]", "application/json", 400),
    ("text", b"hello", "text/plain", 415),
]


def schema_operations(client: Client) -> list[tuple[str, str, str, dict]]:
    """(method, path template, content type, body schema) of every write operation of the
    OpenAPI schema: a new endpoint is walked without touching this test."""
    schema = client.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def resolve(node):
        return components[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {"application/json": {"schema": {}}})
            content_type, media = next(iter(content.items()))
            operations.append((method, path, content_type, resolve(media.get("schema", {}))))
    return operations


def example_of(schema: dict) -> dict:
    """A body with a plausible value in every property, for the others to pass while one is
    hostile."""
    plausible = {"string": "x", "integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        if "enum" in prop:
            body[name] = prop["enum"][0]
        elif prop.get("format") == "email":
            body[name] = "someone@a.example"
        elif prop.get("format") == "decimal" or prop.get("pattern"):
            body[name] = "1.00"
        else:
            body[name] = plausible.get(prop.get("type"), "x")
    return body


def api_path(world: BusyWorld, template: str) -> list[str]:
    """The operation's path for side A's MSP and for its distributor (which one goes past the
    404 depends on the operation), with ids of objects of that organisation."""
    if "{org_slug}" not in template:
        return [template]
    paths = []
    for org in (world.a.msp, world.a.distributor):
        objects = licensing_objects(world.a.msp)
        report_id = world.reviewed_id if org.is_distributor else _preparation_report_id(world)
        ids = {
            "org_slug": org.slug,
            "report_id": report_id,
            "line_id": UsageReportLine.objects.for_tenant(world.a.msp).filter(report_id=report_id)[0].pk,
            "membership_id": Membership.objects.for_tenant(org).filter(role__endswith="viewer").first()
            or Membership.objects.for_tenant(org).exclude(role__endswith="admin").first(),
            "msp_id": world.a.msp.pk,
            "product_id": objects["product"].pk,
            "cost_center_id": objects["cost_center"].pk,
            "subscription_id": objects["subscription"].pk,
            "license_id": objects["license"].pk,
            "purchase_id": objects["purchase"].pk,
            "import_id": ID_OF["import_id"](world.a.msp),
            "invoice_id": ID_OF["invoice_id"](org),
            "credit_note_id": ID_OF["credit_note_id"](org),
        }
        path = template
        for name, value in ids.items():
            path = path.replace("{" + name + "}", str(getattr(value, "pk", value)))
        assert "{" not in path, f"no id for {path}: add it here"
        paths.append(path)
    return paths


def _preparation_report_id(world: BusyWorld) -> int:
    from reports.models import UsageReport

    # October's: the walk over invoices adds an approved August report (tests/invoicing/walk_objects.py).
    return UsageReport.objects.for_tenant(world.a.msp).get(cycle=dt.date(2026, 10, 1)).pk


def forget_token_throttle():
    """The token endpoint allows 10 tries a minute per address (in the shared cache): cleared
    so that each shape reaches the serializer, and so that no later test finds it spent."""
    cache.delete("throttle_token_login_127.0.0.1")


def check_api_answer(response, label: str, failures: list[str], expect: int | None = None) -> None:
    status = response.status_code
    if status >= 500 or (expect is not None and status != expect):
        failures.append(f"{label} → {status} (expected {expect or 'below 500'})")
        return
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            failures.append(f"{label} → {status} without a JSON body")
            return
        if not (body.get("status") == status and body.get("code") and body.get("detail")):
            failures.append(f"{label} → {status} without the usual error body: {str(body)[:200]}")


def api_attempt(client, method, path, body: bytes, content_type: str, label, failures, expect=None):
    if path.endswith("/auth/token/"):
        forget_token_throttle()
    try:
        with transaction.atomic():
            response = client.generic(method.upper(), path, body, content_type=content_type)
            transaction.set_rollback(True)
    except Exception as exc:
        failures.append(f"{label}: {exc!r:.300}")
        return
    check_api_answer(response, label, failures, expect)


@pytest.fixture
def api_client(busy_world, login):
    """Side A's distributor admin, also admin of its MSP, so that every operation is open (a
    person who submitted a report may not review it: this one did not)."""
    user = busy_world.a.users["dist_admin"]
    Membership.objects.create(organisation=busy_world.a.msp, user=user, role="msp_admin")
    yield login(user)
    forget_token_throttle()


def reaching_path(client: Client, method: str, paths: list[str], body: dict) -> str | None:
    """The first path where a plausible body gets past the organisation's 404 and the role's
    403: hostile bodies sent there meet the parser and the serializer."""
    for path in paths:
        with transaction.atomic():
            response = client.generic(method.upper(), path, json.dumps(body), content_type="application/json")
            transaction.set_rollback(True)
        if response.status_code not in (403, 404):
            return path
    return None


def test_every_api_write_refuses_hostile_bodies_with_the_usual_error(busy_world, api_client):
    """Every write operation of the OpenAPI schema: hostile whole bodies are a 400 from the
    parser (415 for a type it does not read), hostile values in each property a 4xx; every
    refusal in the API's error body, never a 500."""
    failures: list[str] = []
    operations = schema_operations(api_client)
    assert len(operations) >= 20, operations
    unreached = []
    for method, template, content_type, schema in operations:
        base = example_of(schema)
        path = reaching_path(api_client, method, api_path(busy_world, template), base)
        if path is None:
            unreached.append(f"{method.upper()} {template}")
            continue
        where = f"{method.upper()} {path}"
        if content_type == "multipart/form-data":
            walk_multipart_operation(api_client, path, failures)
            continue
        parses = bool(schema.get("properties"))  # a view without a body never parses one
        for label, body, body_type, status in API_BODY_SHAPES:
            expect = status if parses else None
            api_attempt(api_client, method, path, body, body_type, f"{where} [{label}]", failures, expect)
        for name in schema.get("properties", {}):
            for label, value in API_VALUE_SHAPES.items():
                body = json.dumps({**base, name: value}).encode()
                api_attempt(
                    api_client, method, path, body, "application/json", f"{where} [{name}={label}]", failures
                )
    assert not unreached, f"no organisation of side A reaches {unreached}: give the walk an object for it"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


QUERY_SHAPES = {"²": "²", "5,000 digits": "9" * 5000, "1e30": "1e30", "NUL": "a\x00b", "-1": "-1"}


def test_every_api_read_refuses_hostile_query_parameters_with_the_usual_error(busy_world, api_client):
    """Every query parameter of every read operation of the schema (filters, page, page_size)
    with hostile values: a 4xx in the error body or an answer, never a 500."""
    schema = api_client.get("/api/v1/schema/?format=json").json()
    failures, checked = [], 0
    for template, methods in schema["paths"].items():
        operation = methods.get("get")
        parameters = [p["name"] for p in (operation or {}).get("parameters", []) if p["in"] == "query"]
        if not parameters:
            continue
        path = reaching_path(api_client, "get", api_path(busy_world, template), {})
        if path is None:
            continue
        for name in parameters:
            for label, value in QUERY_SHAPES.items():
                checked += 1
                try:
                    response = api_client.get(path, {name: value})
                except Exception as exc:  # the test client re-raises what the view raised
                    failures.append(f"GET {path}?{name}={label}: {exc!r:.300}")
                    continue
                check_api_answer(response, f"GET {path}?{name}={label}", failures)
    assert checked >= 100
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def walk_multipart_operation(client: Client, path: str, failures: list[str]) -> None:
    for label, content in FILE_SHAPES.items():
        body, content_type = multipart([], {"file": content})
        api_attempt(client, "post", path, body, content_type, f"POST {path} [file={label}]", failures)
    shapes = {
        "no file": multipart([], {}),
        "file as text": multipart([("file", "sku,name")], {}),
        "file as non-UTF-8 text": multipart([("file", b"\xff\xfe")], {}),
        "JSON": (b'{"file": "x"}', "application/json"),
        "broken multipart": (b"--nope\r\n\r\n", "multipart/form-data; boundary=b"),
        "no boundary": (b"x", "multipart/form-data"),
    }
    for label, (body, content_type) in shapes.items():
        api_attempt(client, "post", path, body, content_type, f"POST {path} [{label}]", failures)


def test_deep_json_to_the_anonymous_token_endpoint_is_a_400(db, client):
    """The reported case: 1,000 levels to the one endpoint open to anyone."""
    forget_token_throttle()
    response = client.post("/api/v1/auth/token/", DEEP_JSON, content_type="application/json")
    forget_token_throttle()
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "nested more than 32 levels" in body["detail"]


# --- what the log says about refusals ---------------------------------------------------------


def request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" or r.name.startswith("django.security")]


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("msp_viewer", "post", "/o/msp-a/members/invite/", 403),  # PermissionDenied in a page
        ("msp_viewer", "post", "/api/v1/orgs/msp-a/members/", 403),  # DRF's refusal
        ("msp_admin", "get", "/o/msp-b/members/", 404),  # another organisation: Http404
        ("msp_admin", "get", "/api/v1/orgs/msp-b/members/", 404),
        ("msp_admin", "post", "/api/v1/orgs/msp-a/members/", 400),  # a refused value
    ],
)
def test_an_expected_refusal_logs_one_line_without_traceback(
    world, login, caplog, role, method, path, status
):
    client = login(world.a.users[role])
    caplog.clear()
    with caplog.at_level(logging.INFO):
        data = {"email": "x@a.example", "role": "msp_viewer" if status != 400 else "dist_admin"}
        response = getattr(client, method)(path, data, content_type="application/json")
    assert response.status_code == status
    records = request_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None and records[0].exc_text is None
    assert path in records[0].getMessage()


def test_a_server_error_keeps_its_traceback(world, login, caplog, monkeypatch):
    import reports.selectors

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(reports.selectors, "usage_report_list", broken)
    client = login(world.a.users["msp_admin"])
    client.raise_request_exception = False
    caplog.clear()
    assert client.get("/o/msp-a/reports/").status_code == 500
    (record,) = request_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info[0] is RuntimeError


def test_refusals_reach_the_log_once_and_the_security_ones_without_traceback():
    """Django adds a console handler of its own to ``django`` when DEBUG is on, which printed
    every line a second time next to the root's; and a ``django.security.*`` refusal (a bad
    Host header, too many fields) still comes with its exception, left to our handler."""
    assert logging.getLogger("django").handlers == []
    (handler,) = logging.getLogger().handlers[:1]
    try:
        raise ValueError("Invalid HTTP_HOST header")
    except ValueError:
        record = logging.getLogger("django.security.DisallowedHost").makeRecord(
            "django.security.DisallowedHost",
            logging.ERROR,
            __file__,
            1,
            "Invalid HTTP_HOST header: %s",
            ("evil.example",),
            sys.exc_info(),
            extra={"status_code": 400},
        )
    assert handler.filter(record)
    assert handler.format(record).count("\n") == 0


# --- form fields as the columns they are saved to ---------------------------------------------

PROJECT_PACKAGES = ("msp_portal", "licensing", "reports", "billing", "invoicing")
# Where each field of a plain form ends up ("app.Model.field"), or None when it is not stored
# as typed (a choice, a redirect target, text parsed into numbers). ModelForms are read from
# their Meta. A new form, or a new field, fails test_form_fields_fit_their_columns until added.
FORM_COLUMNS: dict[str, dict[str, str | None]] = {
    "msp_portal.tenancy.forms.MemberInviteForm": {
        "email": "tenancy.User.email",
        "first_name": "tenancy.User.first_name",
        "last_name": "tenancy.User.last_name",
    },
    "msp_portal.tenancy.forms_customers.MspCreateForm": {
        "name": "tenancy.Organisation.name",
        "slug": "tenancy.Organisation.slug",
        "country": "tenancy.Organisation.country",
        "currency": "tenancy.Organisation.currency",
        "admin_email": "tenancy.User.email",
        "admin_first_name": "tenancy.User.first_name",
        "admin_last_name": "tenancy.User.last_name",
    },
    # Looked up, not saved: the outbox row takes the address of the account found.
    "msp_portal.tenancy.forms.OutboxPasswordResetForm": {"email": None},
    "licensing.forms.AssignForm": {
        "name": "licensing.License.assignee_name",
        "email": "licensing.License.assignee_email",
        "extension": "licensing.License.assignee_extension",
    },
    "licensing.forms.CostCenterForm": {
        "code": "licensing.CostCenter.code",
        "name": "licensing.CostCenter.name",
    },
    "licensing.forms_purchase.CostCenterCreateForm": {
        "code": "licensing.CostCenter.code",
        "name": "licensing.CostCenter.name",
    },
    "licensing.forms_purchase.ConfirmForm": {"key": "licensing.Purchase.idempotency_key"},
    "licensing.forms_purchase.AddToCartForm": {"next": None},
    "reports.forms.SubmitForm": {
        "po_number": "reports.UsageReport.po_number",
        "note": "reports.UsageReport.note",
    },
    "reports.forms.RejectForm": {"reason": "reports.UsageReport.rejection_reason"},
    "reports.forms.CommentForm": {"body": "reports.LineComment.body"},
    "reports.forms_accounts.AccountSettingsForm": {
        "penalty_percent": "reports.MspAccountSettings.penalty_percent",
        "penalty_minimum": "reports.MspAccountSettings.penalty_minimum",
        "reminder_days": None,  # "7, 3, 1", parsed into whole numbers
    },
    # A calculator: nothing is stored, but its price has the catalog's precision.
    "invoicing.forms_proration.ProrationForm": {"unit_price": "licensing.Product.unit_price"},
    "invoicing.forms.CreditNoteForm": {"reason": "invoicing.CreditNote.reason"},
    "invoicing.forms.TaxSettingForm": {
        "country": "invoicing.TaxSetting.country",
        "rate_percent": None,  # "20.5", parsed by tax_setting_save into the rate's Decimal
    },
}


def project_form_classes() -> list[type]:
    """Every form class defined in the project's modules of forms, views and admin."""
    import importlib
    import pkgutil

    from django import forms

    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if any(part in module.name for part in ("forms", "views", "admin")):
                importlib.import_module(module.name)
    found, stack = [], [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(PROJECT_PACKAGES) and not cls.__module__.endswith("filters"):
            found.append(cls)
    return found


def test_form_fields_fit_their_columns():
    """A form field longer (or with more digits) than the column it is saved to turns a typed
    value into a database error (a 500) instead of an inline error: the reported invitation
    with a 262-character e-mail, the account settings with 1e30."""
    from django import forms
    from django.apps import apps

    problems, checked = [], 0
    classes = project_form_classes()
    assert len(classes) >= 12, classes
    for cls in classes:
        name = f"{cls.__module__}.{cls.__qualname__}"
        model = getattr(getattr(cls, "_meta", None), "model", None)
        declared = FORM_COLUMNS.get(name, {})
        for field_name, form_field in cls.base_fields.items():
            if not isinstance(form_field, (forms.CharField, forms.DecimalField)):
                continue
            if model is not None:
                column = model._meta.get_field(field_name)
            elif field_name in declared:
                if declared[field_name] is None:
                    continue
                app_label, model_name, column_name = declared[field_name].split(".")
                column = apps.get_model(app_label, model_name)._meta.get_field(column_name)
            else:
                problems.append(f"{name}.{field_name}: say in FORM_COLUMNS which column it is saved to")
                continue
            checked += 1
            if isinstance(form_field, forms.DecimalField):
                if (form_field.max_digits, form_field.decimal_places) != (
                    column.max_digits,
                    column.decimal_places,
                ):
                    problems.append(
                        f"{name}.{field_name}: {form_field.max_digits}/{form_field.decimal_places} digits, "
                        f"the column {column.max_digits}/{column.decimal_places}"
                    )
            elif column.max_length is not None and (form_field.max_length or 10**9) > column.max_length:
                problems.append(
                    f"{name}.{field_name}: up to {form_field.max_length} characters, the column {column.max_length}"
                )
    assert checked >= 15
    assert not problems, "\n".join(problems)


def test_bulk_assignment_limits_are_the_columns():
    from licensing.bulk import MAX_EMAIL, MAX_EXTENSION, MAX_NAME
    from licensing.models import License

    columns = {name: License._meta.get_field(name).max_length for name in ("assignee_name", "assignee_email")}
    columns["assignee_extension"] = License._meta.get_field("assignee_extension").max_length
    assert (MAX_NAME, MAX_EMAIL, MAX_EXTENSION) == (
        columns["assignee_name"],
        columns["assignee_email"],
        columns["assignee_extension"],
    )


# --- the reported cases, as a person sees them ------------------------------------------------


def test_account_settings_with_1e30_is_an_inline_error(world, login):
    client = login(world.a.users["dist_admin"])
    url = f"/o/dist-a/reports/accounts/{world.a.msp.pk}/"
    data = {"auto_submit_days": "10", "penalty_kind": "percent", "penalty_percent": "5", "reminder_days": ""}
    for name, value, message in [
        ("penalty_minimum", "1e30", "give an amount from 0 to 9,999,999,999.99, with up to 2 decimals"),
        ("penalty_minimum", "NaN", "give an amount, for example 25.00"),
        ("penalty_percent", "1e30", "give a percentage above 0 and at most 100"),
        ("penalty_percent", "0.001", "give a percentage above 0 and at most 100"),
    ]:
        response = client.post(url, {**data, "penalty_minimum": "0", name: value})
        assert response.status_code == 400, (name, value)
        assert message in response.content.decode(), (name, value)


def test_an_invitation_to_a_262_character_address_is_an_inline_error(world, login):
    client = login(world.a.users["msp_admin"])
    response = client.post("/o/msp-a/members/invite/", {"email": LONG_EMAIL, "role": "msp_viewer"})
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
    api = client.post(
        "/api/v1/orgs/msp-a/members/", {"email": LONG_EMAIL, "role": "msp_viewer"}, "application/json"
    )
    assert api.status_code == 400 and "email" in api.json()["errors"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"sku,name\r\nA,b\r\nB," + b"x" * 1_500_000 + b"\r\n",
            "Line 3 could not be read: a value is longer than 131,072",
        ),
        (b"sku,name\r\nA,b\r\nB,\xff\r\n", "Line 3 is not UTF-8 text"),
        (b"sku,name\r\nA,b\x00\r\n", "Line 2 holds a NUL character"),
        (b"sku,email\r\nA," + LONG_EMAIL.encode() + b"\r\n", "At most 254 characters."),
    ],
)
def test_a_bulk_file_that_cannot_be_read_is_refused_naming_the_line(world, login, content, message):
    client = login(world.a.users["msp_admin"])
    body, content_type = multipart([], {"file": content})
    page = client.generic("POST", "/o/msp-a/licensing/bulk-assign/", body, content_type=content_type)
    assert page.status_code == 400
    assert message in page.content.decode()
    body, content_type = multipart([], {"file": content})
    api = client.generic("POST", "/api/v1/orgs/msp-a/licenses/bulk-assign/", body, content_type=content_type)
    assert api.status_code == 400
    assert message in json.dumps(api.json(), ensure_ascii=False)
