"""A round trip through a real Celery worker on the real Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config import celery_app
from msp_portal.tenancy.models import Membership
from msp_portal.tenancy.resolve import resolve_tenant
from msp_portal.tenancy.services import membership_invite

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_invitation_email_is_sent_by_the_worker_after_commit(world, worker):
    tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    membership = membership_invite(
        tenant=tenant,
        acting_user=world.a.users["msp_admin"],
        email="worker.test@a.example",
        role="msp_viewer",
        base_url="http://portal.test",
    )
    assert wait_for(lambda: any(m.to == ["worker.test@a.example"] for m in mail.outbox))
    message = next(m for m in mail.outbox if m.to == ["worker.test@a.example"])
    assert "MSP A" in message.subject
    assert "http://portal.test/accounts/reset/" in message.body
    assert Membership.objects.for_tenant(world.a.msp).filter(pk=membership.pk).exists()


def test_task_result_comes_back_through_redis(world, worker):
    from msp_portal.notifications.tasks import outbox_email_send_task

    result = outbox_email_send_task.delay([999999999])
    assert result.get(timeout=20) == 0  # no such e-mail: nothing sent, and the worker says so


def test_report_ready_is_emailed_by_the_worker_once(world, worker):
    import datetime as dt

    from msp_portal.notifications.models import OutboxEmail
    from msp_portal.notifications.outbox import outbox_emails_send
    from reports.services import usage_report_open

    from .reports.conftest import line_specs

    usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 9, 1), lines=line_specs())
    admin_email = world.a.users["msp_admin"].email
    assert wait_for(lambda: any(m.to == [admin_email] for m in mail.outbox))
    message = next(m for m in mail.outbox if m.to == [admin_email])
    assert message.subject == "Usage report for 2026-09 is ready"
    assert "/o/msp-a/reports/" in message.body
    # Running the e-mail job again (a retry) sends nothing twice.
    ids = list(OutboxEmail.objects.filter(to=admin_email).values_list("pk", flat=True))
    assert wait_for(lambda: OutboxEmail.objects.get(pk__in=ids).state == "sent")
    assert outbox_emails_send(email_ids=ids) == 0
    assert sum(1 for m in mail.outbox if m.to == [admin_email]) == 1
