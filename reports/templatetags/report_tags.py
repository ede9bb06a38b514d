"""Template helpers of the report pages."""

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from msp_portal.tenancy.templatetags.portal_tags import duration_text

register = template.Library()


@register.filter
def time_left_text(delta: dt.timedelta | None) -> str:
    """ "3 days 4 hours left", or "overdue by 2 hours" once the deadline has passed."""
    if delta is None:
        return ""
    if delta.total_seconds() < 0:
        return _("overdue by %(duration)s") % {"duration": duration_text(-delta) or _("a moment")}
    return _("%(duration)s left") % {"duration": duration_text(delta) or _("less than a minute")}


@register.filter
def is_overdue(delta: dt.timedelta | None) -> bool:
    return delta is not None and delta.total_seconds() < 0


@register.filter
def due_soon(delta: dt.timedelta | None) -> bool:
    return delta is not None and 0 <= delta.total_seconds() < 3 * 86400
