"""Domain errors: how a service refuses, in words that know nothing of HTTP.

Services and selectors raise these and import nothing from ``django.http`` or
``rest_framework`` (import-linter holds this, see ``.importlinter``). One mapping turns them into
answers: ``msp_portal.exceptions.api_exception_handler`` for the API (status, code, detail,
errors) and, for pages, ``apply_to_form`` / ``error_message`` and ``DomainErrorMiddleware`` in the
same module. docs/errors.md, "Domain errors".

``field_errors`` maps a stable key to messages. A key names what was refused, never in a
person's language: a form field (``quantity``), a line of a cart (``lines.2.quantity``), a row of
a file (``rows.3.email``), the whole list (``lines``) or the file (``file``). Line and row numbers
count from 1, in the order the caller gave them.
"""

from django.utils.translation import gettext_lazy


class DomainError(Exception):
    """A business rule refused the operation; ``message`` says what to do instead.

    The base of the refusals a page shows beside its form; a bare ``DomainError`` reads as
    :class:`Invalid`.
    """

    code = "invalid"
    default_message = gettext_lazy("The request could not be processed.")

    def __init__(self, message=None, *, code=None, field_errors=None, extra=None):
        self.message = str(message or self.default_message)
        self.code = code or self.code
        self.field_errors: dict[str, list[str]] = field_errors or {}
        self.extra = extra or {}
        super().__init__(self.message)


class Invalid(DomainError):
    """The input breaks a rule: ``field_errors`` says which part (by stable key) and why."""


class NotAllowed(DomainError):
    """The acting person's role (or the organisation's kind) does not allow the operation."""

    code = "permission_denied"
    default_message = gettext_lazy("Your role in this organisation does not allow this action.")


class Conflict(DomainError):
    """The state changed under the caller: a refused transition or a lost edit race."""

    code = "conflict"
    default_message = gettext_lazy(
        "This changed since you loaded it. Reload the page to see the current state and try again."
    )


class NotFound(Exception):
    """The object does not exist in this tenant, or the caller may not know that it does.

    Not a :class:`DomainError` on purpose: a page does not show it beside a form (views catch
    ``DomainError`` around a service call), the request ends with the 404 answer. The message
    never says which of the two it is, so another tenant's ids stay unknowable.
    """

    code = "not_found"
    default_message = gettext_lazy(
        "Not found, or not visible to you. Check the organisation and the identifier."
    )

    def __init__(self, message=None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)


def item_key(collection: str, number: int, field: str = "") -> str:
    """The stable key of one item of a list: ``item_key("lines", 2, "quantity")`` is
    ``"lines.2.quantity"``; without a field, ``"lines.2"``."""
    return f"{collection}.{number}.{field}" if field else f"{collection}.{number}"


def parse_item_key(key: str) -> tuple[str, int, str] | None:
    """``"lines.2.quantity"`` → ``("lines", 2, "quantity")``; ``"rows.3"`` → ``("rows", 3, "")``;
    None for a key that names no item (``"quantity"``, ``"lines"``)."""
    collection, _, rest = key.partition(".")
    number, _, field = rest.partition(".")
    if not number.isascii() or not number.isdigit():
        return None
    return collection, int(number), field
