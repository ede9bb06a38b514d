"""Notification texts, registered by each app per kind and rendered in the reader's language
when shown (the e-mail uses the portal's default language)."""

from django.utils.functional import Promise

_TEXTS: dict[str, tuple[Promise, Promise]] = {}


def register(kind: str, title: Promise, body: Promise) -> None:
    """``title`` and ``body`` are lazy translations with %(name)s placeholders; an
    ``ngettext_lazy`` one names the parameter that chooses its plural form."""
    _TEXTS[kind] = (title, body)


def render(kind: str, params: dict) -> tuple[str, str]:
    title, body = _TEXTS.get(kind, (kind, ""))
    try:
        # ``lazy % params`` (not ``str(lazy) % params``): a plural picks its form from params.
        return str(title % params), str(body % params)
    except (KeyError, ValueError, TypeError):
        return str(title), str(body)
