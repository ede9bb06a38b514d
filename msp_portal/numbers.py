"""Reading numbers that people (or scripts) typed into pages, without a way to a 500
(docs/errors.md).

``str.isdigit()`` is not enough before ``int()``: "²" is a digit to it and not to ``int()``, and
``int()`` refuses more than 4,300 digits; a number of 19 digits or more does not fit a
PostgreSQL bigint either.
"""

import re
from decimal import Decimal

# A PostgreSQL bigint holds any 18-digit number; nothing a person counts here comes close.
MAX_DIGITS = 18


def whole_number(raw) -> int | None:
    """``raw`` (text, surrounding spaces allowed) as a non-negative whole number written in
    ASCII digits, at most MAX_DIGITS of them; None for anything else (signs, decimals, other
    scripts' digits, an empty or overlong text, a value that is not text)."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not (0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    return int(text)


def plain_decimal(raw, *, max_places: int, max_digits: int = 18):
    """``raw`` (text) as a Decimal written with ASCII digits, an optional point and at most
    ``max_places`` decimals (no sign, exponent, NaN or infinity); None for anything else."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if len(text) > max_digits + 1 or not re.fullmatch(
        rf"[0-9]+(\.[0-9]{{0,{max_places}}})?", text, flags=re.ASCII
    ):
        return None
    return Decimal(text)
