"""Notification texts, registered by each app per kind and rendered in the reader's language
when shown (the e-mail uses the portal's default language)."""

from django.utils.functional import Promise

_TEXTS: dict[str, tuple[Promise, Promise]] = {}


def register(kind: str, title: Promise, body: Promise) -> None:
    """``title`` and ``body`` are lazy translations with %(name)s placeholders."""
    _TEXTS[kind] = (title, body)


def render(kind: str, params: dict) -> tuple[str, str]:
    title, body = _TEXTS.get(kind, (kind, ""))
    try:
        return str(title) % params, str(body) % params
    except (KeyError, ValueError, TypeError):
        return str(title), str(body)
