"""Reads and writes of MSP account settings: how a distributor runs each MSP it serves (the
auto-submit delay, the penalty policy, auto-approval and the reminders).

Changes apply to deadlines opened or rejected from then on: reports.services reads the settings
when it opens or rejects a report, and an existing deadline is never moved."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed, NotFound
from msp_portal.numbers import whole_number
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import served_msp_list

from .choices import PenaltyKind
from .models import MspAccountSettings

MIN_DAYS, MAX_DAYS = 1, 90
MAX_REMINDERS = 10
MAX_PERCENT = Decimal("100")
MAX_MINIMUM = Decimal("9999999999.99")  # what the column holds: 12 digits, 2 after the point
SETTING_FIELDS = (
    "auto_submit_days",
    "penalty_kind",
    "penalty_percent",
    "penalty_minimum",
    "surcharge_over_declared",
    "auto_approve_clean",
    "reminder_days",
)


@dataclass(frozen=True)
class AccountSettingsRow:
    """One MSP the distributor serves, with its settings (unsaved defaults when never changed)."""

    msp: Organisation
    settings: MspAccountSettings

    @property
    def is_default(self) -> bool:
        return self.settings.pk is None


# Reads ------------------------------------------------------------------------------------


def account_msp_list(*, tenant: TenantContext) -> QuerySet:
    """The MSPs whose settings this tenant may read: those its distributor serves, by name
    (none for an MSP). Filter with tenancy.filters.ServedMspFilter, then page."""
    organisation = tenant.organisation
    if not organisation.is_distributor:
        return Organisation.objects.none()
    return served_msp_list(distributor=organisation)


def account_settings_list(
    *, tenant: TenantContext, msps: Iterable[Organisation] | None = None
) -> list[AccountSettingsRow]:
    """The served MSPs (or the given ones, a page of :func:`account_msp_list`) with their
    settings, in their order: the settings of all of them come in one query whatever their
    number (two with the list of served ids that the cross-tenant read takes)."""
    msps = list(account_msp_list(tenant=tenant) if msps is None else msps)
    if not msps:
        return []
    found = {
        row.organisation_id: row
        for row in MspAccountSettings.objects.for_served_msps_of(tenant.organisation)
        .filter(organisation__in=[msp.pk for msp in msps])
        .select_related("updated_by")
    }
    return [
        AccountSettingsRow(msp=msp, settings=found.get(msp.pk) or MspAccountSettings(organisation=msp))
        for msp in msps
    ]


def account_settings_get(*, tenant: TenantContext, msp_id: int) -> AccountSettingsRow:
    """One served MSP with its settings; NotFound when this tenant's distributor does not serve
    it (another distributor's MSP, an MSP's own id, or no such organisation)."""
    msp = account_msp_list(tenant=tenant).filter(pk=msp_id).first()
    if msp is None:
        raise NotFound
    return account_settings_list(tenant=tenant, msps=[msp])[0]


# Writes -----------------------------------------------------------------------------------


def _labels() -> dict[str, str]:
    return {
        "auto_submit_days": _("Auto-submit delay"),
        "penalty_kind": _("Penalty surcharge"),
        "penalty_percent": _("Surcharge percentage"),
        "penalty_minimum": _("Minimum surcharge per line"),
        "surcharge_over_declared": _("Surcharge over-declared lines"),
        "auto_approve_clean": _("Automatic approval"),
        "reminder_days": _("Reminders"),
    }


def _whole_number(value) -> int | None:
    """An int, or a string of ASCII digits (msp_portal.numbers.whole_number); None for anything
    else (a bool, a float, "7.5", "²", 5,000 digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return whole_number(value)


def _amount(value) -> Decimal | None:
    """A finite decimal with at most two places (from a Decimal, an int or a string); None
    when the value is none of these."""
    if value is None:
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
        # quantize() itself refuses a number too large for the context (1e30).
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:
        return None
    return amount.quantize(Decimal("0.01"))


def _clean(values: dict) -> tuple[dict, dict[str, list[str]]]:
    """The values to save, and the messages of the refused fields (each names its field)."""
    labels = _labels()
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(f"{labels[field]}: {message}")

    cleaned: dict = {}
    days = _whole_number(values["auto_submit_days"])
    if days is None or not MIN_DAYS <= days <= MAX_DAYS:
        refuse("auto_submit_days", _("give a whole number of days from 1 to 90."))
    cleaned["auto_submit_days"] = days

    kind = values["penalty_kind"]
    if kind not in PenaltyKind.values:
        refuse("penalty_kind", _("choose “none” or “percent”."))
    cleaned["penalty_kind"] = kind

    percent = _amount(values["penalty_percent"])
    minimum = _amount(values["penalty_minimum"])
    if kind == PenaltyKind.PERCENT:
        if percent is None or not Decimal("0") < percent <= MAX_PERCENT:
            refuse(
                "penalty_percent",
                _(
                    "give a percentage above 0 and at most 100, with up to 2 decimals, or choose no surcharge."
                ),
            )
        if minimum is None or not Decimal("0") <= minimum <= MAX_MINIMUM:
            refuse("penalty_minimum", _("give an amount of 0 or more, with up to 2 decimals."))
    else:
        # Without a surcharge these figures mean nothing; keeping them would mislead later readers.
        percent = minimum = Decimal("0")
    cleaned["penalty_percent"] = percent
    cleaned["penalty_minimum"] = minimum

    over = values["surcharge_over_declared"]
    if not isinstance(over, bool):
        refuse("surcharge_over_declared", _("answer true or false."))
    cleaned["surcharge_over_declared"] = over

    approve = values["auto_approve_clean"]
    if not isinstance(approve, bool):
        refuse("auto_approve_clean", _("answer true or false."))
    cleaned["auto_approve_clean"] = approve

    reminders = values["reminder_days"]
    if not isinstance(reminders, (list, tuple)):
        refuse("reminder_days", _("give a list of days before the deadline, for example 7, 3, 1."))
    else:
        numbers = [_whole_number(day) for day in reminders]
        if any(day is None or not MIN_DAYS <= day <= MAX_DAYS for day in numbers):
            refuse("reminder_days", _("each reminder is a whole number of days from 1 to 90."))
        else:
            distinct = sorted(set(numbers), reverse=True)
            if len(distinct) > MAX_REMINDERS:
                refuse("reminder_days", _("set at most 10 reminders."))
            cleaned["reminder_days"] = distinct
    return cleaned, errors


@transaction.atomic
def account_settings_update(
    *, tenant: TenantContext, acting_user: User, msp_id: int, data: Mapping
) -> MspAccountSettings:
    """Change an MSP account's settings; ``data`` holds some or all of SETTING_FIELDS (those left
    out keep their value). The MSP must be served by the tenant's distributor (else NotFound);
    only distributor admins may change it (else NotAllowed); a refused value raises Invalid
    naming each field. Without a surcharge, the percentage and the minimum are stored as 0;
    reminders are stored once each, furthest first.

    Changes apply to deadlines opened or rejected from now on; existing ones are not moved.
    Safe to repeat: the account keeps one row whatever the number of saves, even at once.
    """
    row = account_settings_get(tenant=tenant, msp_id=msp_id)
    if not tenant.can(Perm.MANAGE_ACCOUNTS):
        raise NotAllowed()
    unknown = sorted(set(data) - set(SETTING_FIELDS))
    if unknown:
        raise Invalid(
            _("Unknown setting: %(names)s.") % {"names": ", ".join(unknown)},
            field_errors={name: [_("Unknown setting.")] for name in unknown},
        )
    msp = row.msp
    settings_of_msp = MspAccountSettings.objects.for_tenant(msp)
    current = settings_of_msp.select_for_update().first()
    if current is None:
        # Two first saves of one account meet here: the unique constraint lets one insert win,
        # the other waits for it (ON CONFLICT DO NOTHING) and then locks the winner's row.
        settings_of_msp.bulk_create([MspAccountSettings(organisation=msp)], ignore_conflicts=True)
        current = settings_of_msp.select_for_update().get()
    values = {name: data.get(name, getattr(current, name)) for name in SETTING_FIELDS}
    cleaned, errors = _clean(values)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], field_errors=errors)
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.updated_by = acting_user
    current.save()
    return current
