"""A child process of the numbering test: approve one report as a distributor reviewer, on the
test's database and clock (tests/processes.py), once the test opens the start gate.

    python -m tests.invoicing.approve_in_process REPORT_ID USER_ID ORG_SLUG [fail]

The gate is an advisory lock the test holds: every child waits for it inside its transaction,
so all of them approve at the same moment. With ``fail`` the child raises after the approval
(its invoice took a number), so its transaction rolls back; it then exits with status 3.
"""

import sys

START_GATE = 7_240_311  # the advisory lock key the test holds until every child waits


def main(report_id: int, user_id: int, org_slug: str, fail: bool) -> int:
    import django

    django.setup()
    from django.db import connection, transaction

    from msp_portal.tenancy.models import User
    from msp_portal.tenancy.resolve import resolve_tenant
    from reports import services

    user = User.objects.get(pk=user_id)
    tenant = resolve_tenant(user=user, org_slug=org_slug)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [START_GATE])
            services.usage_report_approve(tenant=tenant, acting_user=user, report_id=report_id)
            if fail:
                raise RuntimeError("rolled back on purpose, after taking a number")
    except RuntimeError:
        return 3
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(int(args[0]), int(args[1]), args[2], fail=args[3:] == ["fail"]))
