"""Demo usage reports: a year of monthly reports for each demo MSP, in every state.

``reports_demo_load()`` gives Contoso and Fabrikam the twelve cycles before the current month
(relative to today, so the demo always looks current) and tells each report's story through the
services, as the demo people would have: the MSP admin explains or corrects discrepancies and
submits, the distributor's reviewer comments, rejects or approves. History rows and in-app
notifications are therefore the real ones.

History rows and notifications are stamped with the current time when they are written, and the
history is append-only (it cannot be backdated afterwards), so each step of a story runs on a
clock set to the moment it happened (:func:`_clock_at`, never later than the real now).

Fabrikam's penalties are reset-only today, but it was surcharged until five months ago
(``EarlierPolicy``): a report penalised then, sent back and resubmitted, bills its surcharges.

Idempotent: the report of an (MSP, cycle) is opened at most once, and a story is told only when
its report was just created, so running it again changes nothing (the earlier policy is set and
changed only while the stories are told; otherwise the account gets its current policy).

Long because: the stories are data told one after the other on one time line; split, a reader
would have to jump between files to follow a report's year.
"""

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.calendar import add_months, next_month
from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.demo import newest_notification_pk, notifications_settle_old
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext, resolve_tenant

from . import accounts, services
from .auto_submit import auto_submit_due
from .choices import PenaltyKind
from .models import LineComment, MspAccountSettings, ReportEvent, UsageReport, UsageReportLine
from .services import LineSpec

DISTRIBUTOR_REVIEWER = "reviewer@northwind.example"
DISTRIBUTOR_ADMIN = "dist.admin@northwind.example"


@dataclass(frozen=True)
class DemoProduct:
    """A product the MSP resells; ``base_units`` are the provided units a year ago."""

    code: str
    name: str
    unit_type: str
    price: str  # EUR per unit and month
    base_units: int
    monthly_growth: float
    reports_usage: bool = True  # False: usage-based, the product reports no "used" figure
    sku: str = "P1M"


@dataclass(frozen=True)
class EarlierPolicy:
    """The penalty surcharge an account had before its distributor moved it to the policy of
    ``DemoAccount``, a few days before the report of ``until_months_back`` opened. Penalties
    keep the surcharge they were charged, so reports penalised before the change bill it."""

    until_months_back: int
    penalty_percent: Decimal
    penalty_minimum: Decimal


@dataclass(frozen=True)
class DemoAccount:
    """A demo MSP: its account settings, what it resells and which story each month tells."""

    slug: str
    admin_email: str
    po_prefix: str  # "" when the MSP sends no PO numbers
    auto_submit_days: int
    penalty_percent: Decimal
    penalty_minimum: Decimal
    products: tuple[DemoProduct, ...]
    stories: dict[int, str]  # months back (1 = last month) → story; the others are "approved"
    currency: str = "EUR"  # of the prices above: the demo MSPs' billing currency (docs/currency.md)
    earlier_policy: EarlierPolicy | None = None


CONTOSO = DemoAccount(
    slug="contoso",
    admin_email="admin@contoso.example",
    po_prefix="PO-CMS",
    auto_submit_days=10,
    penalty_percent=Decimal("5.00"),
    penalty_minimum=Decimal("2.00"),
    products=(
        DemoProduct("MS-M365-BP", "Microsoft 365 Business Premium", "seat", "20.60", 142, 0.008),
        DemoProduct("MS-M365-E3", "Microsoft 365 E3", "seat", "35.70", 58, 0.003),
        DemoProduct("MS-EXO-P1", "Exchange Online (Plan 1)", "seat", "3.70", 86, -0.006),
        DemoProduct("MS-MDE-P1", "Microsoft Defender for Endpoint P1", "seat", "2.80", 205, 0.006),
        DemoProduct("MS-TEAMS-PHONE", "Teams Phone Standard", "seat", "7.50", 38, 0.010),
        DemoProduct("MS-INTUNE-P1", "Microsoft Intune Plan 1", "seat", "7.50", 92, 0.005),
        DemoProduct(
            "AZ-BACKUP-GRS", "Azure Backup storage (GRS)", "GB", "0.0448", 17_800, 0.015, False, "GB-MONTH"
        ),
        DemoProduct(
            "VEEAM-VB365", "Veeam Backup for Microsoft 365", "user", "1.90", 210, 0.006, sku="VCSP-M"
        ),
    ),
    stories={
        1: "preparation",
        2: "resubmitted_under_review",
        3: "rejected",
        5: "approved_after_rejection",
        7: "auto_submitted",
        9: "approved_after_rejection",
    },
)

FABRIKAM = DemoAccount(
    slug="fabrikam",
    admin_email="admin@fabrikam.example",
    po_prefix="",
    auto_submit_days=7,
    penalty_percent=Decimal("0"),
    penalty_minimum=Decimal("0"),
    products=(
        DemoProduct("MS-M365-BB", "Microsoft 365 Business Basic", "seat", "5.60", 64, 0.002),
        DemoProduct("MS-M365-BP", "Microsoft 365 Business Premium", "seat", "20.60", 88, 0.009),
        DemoProduct("MS-D365-SALES-PRO", "Dynamics 365 Sales Professional", "seat", "61.60", 12, 0.015),
        DemoProduct("MS-MDE-P1", "Microsoft Defender for Endpoint P1", "seat", "2.80", 118, 0.006),
        DemoProduct("MS-ENTRA-P1", "Microsoft Entra ID P1", "seat", "5.60", 36, 0.004),
        DemoProduct(
            "AZ-BACKUP-LRS", "Azure Backup storage (LRS)", "GB", "0.0224", 9_400, 0.020, False, "GB-MONTH"
        ),
        DemoProduct(
            "VEEAM-VB365", "Veeam Backup for Microsoft 365", "user", "1.90", 112, 0.005, sku="VCSP-M"
        ),
    ),
    stories={
        1: "preparation",
        2: "under_review",
        3: "rejected",
        4: "auto_submitted",
        6: "approved_after_rejection",
        8: "penalised_then_returned",
    },
    # Surcharged until Northwind moved Fabrikam to reset-only penalties, five months ago.
    earlier_policy=EarlierPolicy(
        until_months_back=6, penalty_percent=Decimal("10.00"), penalty_minimum=Decimal("1.50")
    ),
)

DEMO_ACCOUNTS = (CONTOSO, FABRIKAM)

EXPLANATIONS = (
    "{d} of the {provided} {units} belonged to staff who left on {day}; their licences were released the same week.",
    "{d} {units} were ordered for a customer onboarding that was postponed, and cancelled within the 7-day window (ref. {ref}).",
    "Tenant migration: {d} users held this licence and its replacement for a few days. Only the {used} {units} in use are billable.",
    "{d} licences sit in the customer's spare pool and were never assigned; the customer agreed to pay for the {used} in use.",
)
ACKNOWLEDGEMENTS = (
    "Thanks, this matches the vendor's cancellation log.",
    "Accepted for this cycle. Please release unused seats before the month starts so the provided units follow.",
    "Noted: the vendor file shows the same {used} active {units}.",
)
WEAK_EXPLANATIONS = ("See ticket {ref}.", "Seats not used.", "Will be fixed next month.")


@contextlib.contextmanager
def _clock_at(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment`` (see the module docstring)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class _Storyteller:
    """Acts on one MSP's reports as its admin and as the distributor's reviewer."""

    def __init__(self, account: DemoAccount, msp: Organisation, now: dt.datetime):
        self.account = account
        self.msp = msp
        self.now = now
        self.admin_user = User.objects.get(email=account.admin_email)
        self.reviewer_user = User.objects.get(email=DISTRIBUTOR_REVIEWER)
        self.admin: TenantContext = resolve_tenant(user=self.admin_user, org_slug=msp.slug)
        self.reviewer: TenantContext = resolve_tenant(user=self.reviewer_user, org_slug=msp.distributor.slug)

    # --- what the people do ------------------------------------------------------------------

    def lines(self, report: UsageReport) -> list[UsageReportLine]:
        return list(
            UsageReportLine.objects.for_tenant(self.msp).filter(report=report).order_by("position", "pk")
        )

    def msp_comment(self, report, line, at, body):
        with _clock_at(at):
            services.line_comment_add(
                tenant=self.admin,
                acting_user=self.admin_user,
                report_id=report.pk,
                line_id=line.pk,
                body=body,
            )

    def reviewer_comment(self, report, line, at, body):
        with _clock_at(at):
            services.line_comment_add(
                tenant=self.reviewer,
                acting_user=self.reviewer_user,
                report_id=report.pk,
                line_id=line.pk,
                body=body,
            )

    def set_billable(self, report, line, at, units):
        current = UsageReportLine.objects.for_tenant(self.msp).get(pk=line.pk)
        with _clock_at(at):
            services.usage_report_line_update(
                tenant=self.admin,
                acting_user=self.admin_user,
                report_id=report.pk,
                line_id=line.pk,
                billable_units=units,
                version=current.version,
            )

    def submit(self, report, at, rng):
        po_number = (
            f"{self.account.po_prefix}-{report.cycle:%Y%m}-{rng.randint(100, 999)}"
            if self.account.po_prefix
            else ""
        )
        note = rng.choice(
            ("", "", "Checked against our PSA billing run.", "Discrepancies explained line by line.")
        )
        with _clock_at(at):
            services.usage_report_submit(
                tenant=self.admin,
                acting_user=self.admin_user,
                report_id=report.pk,
                po_number=po_number,
                note=note,
            )

    def reject(self, report, at, reason, lines):
        with _clock_at(at):
            services.usage_report_reject(
                tenant=self.reviewer,
                acting_user=self.reviewer_user,
                report_id=report.pk,
                reason=reason,
                line_ids=[line.pk for line in lines],
            )

    def approve(self, report, at):
        with _clock_at(at):
            services.usage_report_approve(
                tenant=self.reviewer, acting_user=self.reviewer_user, report_id=report.pk
            )

    # --- helpers of the stories -------------------------------------------------------------

    def explain_all(self, report, lines, start, rng, *, skip=()):
        """The MSP explains most discrepancies in a comment and accepts the provided units for
        the rest; returns the lines it explained."""
        explained = []
        for index, line in enumerate(line for line in lines if line.is_discrepant and line not in skip):
            at = start + dt.timedelta(hours=3 * index)
            if rng.random() < 0.75:
                self.msp_comment(report, line, at, _explanation(line, report.cycle, rng))
                explained.append(line)
            else:
                self.set_billable(report, line, at, line.provided_units)
        return explained

    def weak_line(self, lines):
        return next(line for line in lines if line.is_discrepant)

    # --- the stories --------------------------------------------------------------------------

    def approved(self, report, t0, rng):
        lines = self.lines(report)
        explained = self.explain_all(report, lines, t0 + dt.timedelta(days=1, hours=4), rng)
        self.submit(report, t0 + dt.timedelta(days=rng.randint(3, 5), hours=rng.randint(1, 8)), rng)
        review_day = t0 + dt.timedelta(days=6, hours=rng.randint(1, 6))
        if explained and rng.random() < 0.6:
            line = rng.choice(explained)
            acknowledgement = rng.choice(ACKNOWLEDGEMENTS).format(
                used=line.billable_units, units=_units(line)
            )
            self.reviewer_comment(report, line, review_day, acknowledgement)
        self.approve(report, review_day + dt.timedelta(minutes=20))

    def _rejected_once(self, report, t0, rng, *, reject_at):
        """Explained, submitted, then rejected over the one line explained too briefly."""
        lines = self.lines(report)
        weak = self.weak_line(lines)
        self.msp_comment(
            report,
            weak,
            t0 + dt.timedelta(days=1, hours=2),
            rng.choice(WEAK_EXPLANATIONS).format(ref=_ref(rng)),
        )
        self.explain_all(report, lines, t0 + dt.timedelta(days=1, hours=5), rng, skip=(weak,))
        self.submit(report, t0 + dt.timedelta(days=4, hours=rng.randint(1, 8)), rng)
        self.reviewer_comment(
            report,
            weak,
            reject_at - dt.timedelta(minutes=15),
            f"The vendor's usage file shows {weak.provided_units} {_units(weak)} provided all month. Which ones were not "
            "used, and since when?",
        )
        self.reject(
            report,
            reject_at,
            f"{weak.product_name}: {weak.provided_units - weak.billable_units} {_units(weak)} below the provided units "
            f"without a real explanation. Declare the {weak.provided_units} provided {_units(weak)} or explain the "
            "difference (who left, when the licences were released).",
            [weak],
        )
        return weak

    def _fix_and_resubmit(self, report, weak, fix_at, resubmit_at, rng):
        self.set_billable(report, weak, fix_at, weak.provided_units)
        self.msp_comment(
            report,
            weak,
            fix_at + dt.timedelta(minutes=5),
            f"Corrected to the {weak.provided_units} provided {_units(weak)}: the leavers' licences were only released "
            "after the cycle ended.",
        )
        self.submit(report, resubmit_at, rng)

    def approved_after_rejection(self, report, t0, rng):
        weak = self._rejected_once(report, t0, rng, reject_at=t0 + dt.timedelta(days=6, hours=3))
        self._fix_and_resubmit(
            report, weak, t0 + dt.timedelta(days=7, hours=2), t0 + dt.timedelta(days=8, hours=1), rng
        )
        self.approve(report, t0 + dt.timedelta(days=9, hours=4))

    def resubmitted_under_review(self, report, t0, rng):
        weak = self._rejected_once(report, t0, rng, reject_at=self.now - dt.timedelta(days=5))
        other = next((line for line in self.lines(report) if line.is_discrepant and line.pk != weak.pk), None)
        if other is not None:
            self.msp_comment(
                report,
                other,
                self.now - dt.timedelta(days=3, hours=2),
                "Added detail: the cancellation confirmation is attached to ticket " + _ref(rng) + ".",
            )
        self._fix_and_resubmit(
            report, weak, self.now - dt.timedelta(days=3), self.now - dt.timedelta(days=2), rng
        )

    def under_review(self, report, t0, rng):
        lines = self.lines(report)
        self.explain_all(report, lines, t0 + dt.timedelta(days=2, hours=3), rng)
        self.submit(report, t0 + dt.timedelta(days=5, hours=2), rng)

    def rejected(self, report, t0, rng):
        lines = self.lines(report)
        explained = self.explain_all(report, lines, t0 + dt.timedelta(days=2), rng) or [self.weak_line(lines)]
        self.submit(report, t0 + dt.timedelta(days=5, hours=6), rng)
        reject_at = self.now - dt.timedelta(days=1)
        at_fault = explained[:2]
        for line in at_fault:
            self.reviewer_comment(
                report,
                line,
                reject_at - dt.timedelta(minutes=30),
                f"The vendor's file shows {line.provided_units} {_units(line)} provided all month; please check.",
            )
        names = ", ".join(line.product_name for line in at_fault)
        self.reject(
            report,
            reject_at,
            f"The vendor's usage file does not support the lower figures of {names}. Correct the billable units or "
            "explain each difference with the date the licences were released.",
            at_fault,
        )

    def auto_submitted(self, report, t0, rng):
        """The MSP explained one discrepancy and let the deadline pass: the system submitted the
        report, resetting the unexplained lines with the account's surcharge; the reviewer then
        approved it."""
        lines = self.lines(report)
        discrepant = [line for line in lines if line.is_discrepant]
        if discrepant:
            self.msp_comment(
                report,
                discrepant[0],
                t0 + dt.timedelta(days=2),
                _explanation(discrepant[0], report.cycle, rng),
            )
        deadline = UsageReport.objects.for_tenant(self.msp).get(pk=report.pk).deadline
        moment = deadline + dt.timedelta(minutes=3)  # the beat's next tick
        with _clock_at(moment):
            auto_submit_due(log=JobRunLog(), now=moment, report_ids=[report.pk])
        self.approve(report, deadline + dt.timedelta(days=1, hours=3))

    def penalised_then_returned(self, report, t0, rng):
        """The MSP explained one discrepancy too briefly and let the deadline pass: the system
        submitted the report, resetting the two unexplained lines with the surcharge of the
        account's policy then. The reviewer sent it back over the brief explanation; the MSP
        corrected that line and submitted it itself, and the reviewer approved it. The
        penalties stay charged (and invoiced) whatever happens to the report afterwards."""
        lines = self.lines(report)
        weak = self.weak_line(lines)
        self.msp_comment(
            report, weak, t0 + dt.timedelta(days=2), rng.choice(WEAK_EXPLANATIONS).format(ref=_ref(rng))
        )
        deadline = UsageReport.objects.for_tenant(self.msp).get(pk=report.pk).deadline
        moment = deadline + dt.timedelta(minutes=3)  # the beat's next tick
        with _clock_at(moment):
            auto_submit_due(log=JobRunLog(), now=moment, report_ids=[report.pk])
        reject_at = deadline + dt.timedelta(days=1, hours=2)
        self.reviewer_comment(
            report,
            weak,
            reject_at - dt.timedelta(minutes=15),
            f"The reset lines and their surcharges stand. This one still needs a real explanation: the vendor's "
            f"file shows {weak.provided_units} {_units(weak)} provided all month.",
        )
        self.reject(
            report,
            reject_at,
            f"{weak.product_name}: the explanation does not say which {_units(weak)} were unused, nor since when. "
            f"Declare the {weak.provided_units} provided {_units(weak)} or explain the difference.",
            [weak],
        )
        self._fix_and_resubmit(
            report, weak, reject_at + dt.timedelta(days=1), reject_at + dt.timedelta(days=1, hours=1), rng
        )
        self.approve(report, reject_at + dt.timedelta(days=2, hours=3))

    def policy_change(self, at: dt.datetime) -> None:
        """The distributor's admin moves the account to its current penalty policy."""
        admin = User.objects.get(email=DISTRIBUTOR_ADMIN)
        tenant = resolve_tenant(user=admin, org_slug=self.msp.distributor.slug)
        kind = PenaltyKind.PERCENT if self.account.penalty_percent else PenaltyKind.NONE
        with _clock_at(at):
            accounts.account_settings_update(
                tenant=tenant,
                acting_user=admin,
                msp_id=self.msp.pk,
                data={
                    "penalty_kind": kind,
                    "penalty_percent": self.account.penalty_percent,
                    "penalty_minimum": self.account.penalty_minimum,
                },
            )

    def preparation(self, report, t0, rng):
        """Work in progress: one discrepancy explained, one corrected, the rest still red."""
        lines = self.lines(report)
        discrepant = [line for line in lines if line.is_discrepant]
        span = self.now - t0

        def at(fraction):
            return t0 + span * fraction

        if discrepant:
            self.msp_comment(report, discrepant[0], at(0.3), _explanation(discrepant[0], report.cycle, rng))
        if len(discrepant) > 1:
            self.set_billable(report, discrepant[1], at(0.5), discrepant[1].provided_units)
        storage = next((line for line in lines if line.used_units is None and line.unit_type == "GB"), None)
        if storage is not None:  # a draft edit the MSP has not explained yet
            self.set_billable(report, storage, at(0.7), storage.provided_units - 600)


def _ref(rng: random.Random) -> str:
    return f"INC-{rng.randint(10000, 99999)}"


def _units(line: UsageReportLine) -> str:
    return f"{line.unit_type}s"


def _explanation(line: UsageReportLine, cycle: dt.date, rng: random.Random) -> str:
    return rng.choice(EXPLANATIONS).format(
        d=line.provided_units - line.billable_units,
        units=_units(line),
        provided=line.provided_units,
        used=line.billable_units,
        day=f"{cycle.replace(day=rng.randint(3, 26)):%d %B}",
        ref=_ref(rng),
    )


def _line_specs(
    account: DemoAccount, months_back: int, rng: random.Random, discrepancies: int
) -> list[LineSpec]:
    """The cycle's lines: provided units follow each product's trend with a little noise; the
    used units equal them except on ``discrepancies`` products, where a few seats were unused."""
    with_usage = [index for index, product in enumerate(account.products) if product.reports_usage]
    short = set(rng.sample(with_usage, min(discrepancies, len(with_usage))))
    specs = []
    for index, product in enumerate(account.products):
        noise = rng.uniform(-0.04, 0.04) if product.unit_type == "GB" else rng.uniform(-0.015, 0.015)
        provided = max(
            1, round(product.base_units * (1 + product.monthly_growth) ** (12 - months_back) * (1 + noise))
        )
        used = None
        if product.reports_usage:
            # at least 2 units short, so that every explanation speaks of a plural
            used = provided - rng.randint(2, max(2, min(7, provided // 8))) if index in short else provided
        specs.append(
            LineSpec(
                product_code=product.code,
                sku_code=product.sku,
                product_name=product.name,
                unit_type=product.unit_type,
                unit_price=Decimal(product.price),
                currency=account.currency,
                provided_units=provided,
                used_units=used,
            )
        )
    return specs


def _opened_at(cycle: dt.date, months_back: int, now: dt.datetime) -> dt.datetime:
    """Reports open early on the first day after their cycle; the latest one at most three days
    ago, so that its deadline is still ahead whatever today's date."""
    opened = dt.datetime.combine(next_month(cycle), dt.time(5, 0), tzinfo=dt.UTC)
    if months_back == 1:
        opened = min(max(opened, now - dt.timedelta(days=3)), now - dt.timedelta(hours=2))
    return opened


def _account_settings_set(account: DemoAccount, msp: Organisation, *, fresh: bool) -> None:
    """The account's settings; on a first load (``fresh``) with an earlier policy, that one:
    the stories then change it when its time comes (``_Storyteller.policy_change``)."""
    policy = account.earlier_policy if fresh and account.earlier_policy else account
    MspAccountSettings.objects.for_tenant(msp).update_or_create(
        organisation=msp,
        defaults={
            "auto_submit_days": account.auto_submit_days,
            "penalty_kind": PenaltyKind.PERCENT if policy.penalty_percent else PenaltyKind.NONE,
            "penalty_percent": policy.penalty_percent,
            "penalty_minimum": policy.penalty_minimum,
        },
    )


@transaction.atomic
def reports_demo_load() -> dict[str, int]:
    """Create the demo MSPs' account settings and their last twelve reports (see the module
    docstring); returns how many rows of each kind now exist. Expects the demo organisations
    and users of :mod:`msp_portal.tenancy.demo`."""
    now = timezone.now()
    today = now.date()
    first_new_pk = newest_notification_pk()
    for account in DEMO_ACCOUNTS:
        msp = Organisation.objects.select_related("distributor").get(slug=account.slug)
        fresh = not UsageReport.objects.for_tenant(msp).exists()
        _account_settings_set(account, msp, fresh=fresh)
        teller = _Storyteller(account, msp, now)
        change = account.earlier_policy.until_months_back if fresh and account.earlier_policy else None
        for months_back in range(12, 0, -1):
            cycle = add_months(today, -months_back)
            story = account.stories.get(months_back, "approved")
            rng = random.Random(f"{account.slug}-{cycle:%Y-%m}")
            discrepancies = (
                4 if story == "preparation" else rng.choice((1, 2, 2, 3)) if story == "approved" else 3
            )
            opened_at = _opened_at(cycle, months_back, now)
            if months_back == change:
                teller.policy_change(opened_at - dt.timedelta(days=4))
            with _clock_at(opened_at):
                report, created = services.usage_report_open(
                    msp=msp,
                    cycle=cycle,
                    lines=_line_specs(account, months_back, rng, discrepancies),
                    opened_at=opened_at,
                )
            if created:
                tell: Callable = getattr(teller, story)
                tell(report, opened_at, rng)
    notifications_settle_old(after_pk=first_new_pk, now=now)
    with scopes_disabled():
        return {
            "msp_account_settings": MspAccountSettings.objects.count(),
            "usage_reports": UsageReport.objects.count(),
            "report_lines": UsageReportLine.objects.count(),
            "line_comments": LineComment.objects.count(),
            "report_events": ReportEvent.objects.count(),
        }
