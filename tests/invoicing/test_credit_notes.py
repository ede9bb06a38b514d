"""Credit notes (docs/invoicing.md, "Credit notes"): whole or chosen lines, never above what is
left, taxed like their invoice, numbered, only by the serving distributor's admins."""

from decimal import Decimal

import pytest

from invoicing.choices import InvoiceStatus
from invoicing.models import CreditNote, CreditNoteLine, TaxSetting
from invoicing.rules import TaxMethod
from invoicing.selectors import invoice_get, invoice_list
from invoicing.services import CreditRequest, credit_note_issue
from msp_portal.errors import Invalid, NotAllowed, NotFound
from msp_portal.notifications.models import Notification

from .invoice_world import LINES_TOTAL, approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


def issue(side, invoice, *, role="dist_admin", reason="Seats billed twice", lines=None):
    return credit_note_issue(
        tenant=tenant_of(side, role),
        acting_user=side.users[role],
        invoice_id=invoice.pk,
        reason=reason,
        lines=lines,
    )


def status_of(side, invoice):
    return invoice_list(tenant=tenant_of(side, "msp_billing")).get(pk=invoice.pk)


def test_a_whole_credit_note_gives_back_the_invoice_and_nothing_is_left(world):
    invoice = approved_invoice(world.a)
    note = issue(world.a, invoice)
    assert (note.number, note.subtotal, note.tax, note.total) == ("CN-000001", LINES_TOTAL, 0, LINES_TOTAL)
    assert [
        line.amount
        for line in CreditNoteLine.objects.for_tenant(world.a.msp)
        .filter(credit_note=note)
        .order_by("position")
    ] == [line.amount for line in lines_of(invoice)]
    listed = status_of(world.a, invoice)
    assert (listed.credited, listed.left_to_credit, listed.status) == (LINES_TOTAL, 0, InvoiceStatus.CREDITED)
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice)
    assert "amount" in refused.value.field_errors or "lines" in refused.value.field_errors


def test_a_partial_credit_note_and_the_limit_per_line(world):
    invoice = approved_invoice(world.a)
    first = lines_of(invoice)[0]  # 792.00
    note = issue(world.a, invoice, lines=[CreditRequest(first.pk, "92.00")])
    assert (note.number, note.total) == ("CN-000001", Decimal("92.00"))
    listed = status_of(world.a, invoice)
    assert (listed.left_to_credit, listed.status) == (LINES_TOTAL - 92, InvoiceStatus.PARTIALLY_CREDITED)
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[CreditRequest(first.pk, "700.01")])
    assert list(refused.value.field_errors) == ["lines.1.amount"]
    assert issue(world.a, invoice, lines=[CreditRequest(first.pk)]).total == Decimal("700.00")  # the rest
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[CreditRequest(first.pk, "1.00")])
    assert list(refused.value.field_errors) == ["lines.1.amount"]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("abc", "lines.1.amount"),
        ("1.005", "lines.1.amount"),
        ("0", "lines.1.amount"),
        ("-3", "lines.1.amount"),
    ],
)
def test_a_bad_amount_is_refused_on_its_key(world, value, key):
    invoice = approved_invoice(world.a)
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[CreditRequest(lines_of(invoice)[0].pk, value)])
    assert list(refused.value.field_errors) == [key]
    assert not CreditNote.objects.for_tenant(world.a.msp).exists()


def test_a_reason_is_required_and_lines_must_be_the_invoices(world):
    invoice = approved_invoice(world.a)
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, reason="  ")
    assert list(refused.value.field_errors) == ["reason"]
    other = approved_invoice(world.b)
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[CreditRequest(lines_of(other)[0].pk)])
    assert list(refused.value.field_errors) == ["lines.1.invoice_line"]
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[CreditRequest(lines_of(invoice)[0].pk), CreditRequest("x")])
    assert list(refused.value.field_errors) == ["lines.2.invoice_line"]
    with pytest.raises(Invalid) as refused:
        issue(world.a, invoice, lines=[])
    assert list(refused.value.field_errors) == ["lines"]


@pytest.mark.parametrize("method", [TaxMethod.ON_TOTAL, TaxMethod.PER_LINE])
def test_credit_notes_are_taxed_like_their_invoice_and_add_up_to_it(world, method):
    TaxSetting.objects.create(
        organisation=world.a.distributor, country="US", rate_percent=Decimal("10"), method=method
    )
    invoice = approved_invoice(world.a)
    first, _, third = lines_of(invoice)
    a = issue(world.a, invoice, lines=[CreditRequest(first.pk, "9.75"), CreditRequest(third.pk, "10.25")])
    # 10 % of 9.75 and 10.25: 2.00 on the total, 0.98 + 1.03 per line
    assert a.tax == (Decimal("2.00") if method == TaxMethod.ON_TOTAL else Decimal("2.01"))
    b = issue(world.a, invoice)  # the rest
    assert a.subtotal + b.subtotal == invoice.subtotal
    assert a.tax + b.tax == invoice.tax and a.total + b.total == invoice.total
    assert status_of(world.a, invoice).status == InvoiceStatus.CREDITED


def test_the_msp_is_told_of_a_credit_note(world):
    invoice = approved_invoice(world.a)
    note = issue(world.a, invoice, reason="Goodwill")
    told = Notification.objects.for_tenant(world.a.msp).filter(kind="credit_note_issued")
    assert {n.recipient for n in told} == {world.a.users["msp_admin"], world.a.users["msp_billing"]}
    assert note.number in told.first().title and "Goodwill" in told.first().body


@pytest.mark.parametrize("role", ["dist_reviewer", "msp_admin", "msp_billing", "msp_viewer"])
def test_only_a_distributor_admin_issues_credit_notes(world, role):
    invoice = approved_invoice(world.a)
    with pytest.raises(NotAllowed):
        issue(world.a, invoice, role=role)


def test_another_distributors_invoice_is_not_found(world):
    invoice = approved_invoice(world.a)
    with pytest.raises(NotFound):
        issue(world.b, invoice)
    assert not CreditNote.objects.for_tenant(world.a.msp).exists()


def test_the_invoice_detail_shows_its_credit_notes(world):
    invoice = approved_invoice(world.a)
    first = lines_of(invoice)[0]
    note = issue(world.a, invoice, lines=[CreditRequest(first.pk, "12.00")])
    detail = invoice_get(tenant=tenant_of(world.a, "dist_reviewer"), invoice_id=invoice.pk)
    assert [n.pk for n in detail.credit_notes] == [note.pk]
    assert detail.credited_by_line == {first.pk: Decimal("12.00")}
    assert detail.invoice.status == InvoiceStatus.PARTIALLY_CREDITED
