"""Template helpers shared by every page (loaded as builtins): icons, query strings for
pagination and filters, durations."""

from datetime import timedelta

from django import template
from django.http import QueryDict
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, pgettext_lazy

register = template.Library()

# The unit types catalogs use, shown in the reader's language; any other is shown as written
# (a distributor's catalog may name its own).
UNIT_TYPE_LABELS = {
    "seat": pgettext_lazy("unit type", "seat"),
    "user": pgettext_lazy("unit type", "user"),
    "license": pgettext_lazy("unit type", "license"),
    "device": pgettext_lazy("unit type", "device"),
    "mailbox": pgettext_lazy("unit type", "mailbox"),
    "gb": pgettext_lazy("unit type", "GB"),
    "tb": pgettext_lazy("unit type", "TB"),
}


@register.simple_tag(takes_context=True)
def icon(context, name: str, icon_class: str = "") -> str:
    """An icon of static/img/icons.svg. A tag rather than an included template: a list page
    draws dozens, and each include costs a template render."""
    sprite = context.get("icons_url") or static("img/icons.svg")
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#icon-{}"></use></svg>',
        f"icon {icon_class}" if icon_class else "icon",
        sprite,
        name,
    )


@register.simple_tag(takes_context=True)
def query_transform(context, **changes) -> str:
    """Return the current query string with ``changes`` applied, without the leading ``?``.

    A value of ``None`` or ``""`` removes the key, so ``{% query_transform page=None %}`` drops
    the page number when a filter changes. Other parameters (filters, sorting) are kept.
    """
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.simple_tag
def elided_page_range(page_obj, on_each_side: int = 2, on_ends: int = 1):
    """The page numbers to show around ``page_obj``, with the paginator's ellipsis in the gaps."""
    return page_obj.paginator.get_elided_page_range(
        page_obj.number, on_each_side=on_each_side, on_ends=on_ends
    )


@register.filter
def duration_text(value) -> str:
    """A timedelta as words a person reads at a glance: "2 hours 5 minutes", "45 seconds"."""
    if not isinstance(value, timedelta):
        return ""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    if seconds and not (days or hours):
        parts.append(ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds})
    if not parts:
        return gettext("a moment")
    return " ".join(parts[:2])


@register.filter
def unit_type_label(value) -> str:
    """A catalog's unit type ("seat", "GB") in the reader's language."""
    return UNIT_TYPE_LABELS.get(str(value).strip().lower(), value)
