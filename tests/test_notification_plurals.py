"""Notification texts say "1 line" and "2 lines", in English and in French: a text with a count
is an ngettext whose form the notification's own parameters choose when it is shown."""

import pytest
from django.utils import translation

from licensing.notifications import OVERALLOCATED, TRUE_UP_CHARGED
from msp_portal.notifications.texts import render
from reports.notifications import REPORT_AUTO_SUBMITTED


@pytest.mark.parametrize(
    ("language", "kind", "params", "expected"),
    [
        (
            "en",
            REPORT_AUTO_SUBMITTED,
            {"cycle": "2026-10", "penalties": 1, "amount": "9.60", "currency": "EUR"},
            "1 line, 9.60 EUR",
        ),
        (
            "en",
            REPORT_AUTO_SUBMITTED,
            {"cycle": "2026-10", "penalties": 2, "amount": "9.60", "currency": "EUR"},
            "2 lines, 9.60 EUR",
        ),
        (
            "fr",
            REPORT_AUTO_SUBMITTED,
            {"cycle": "2026-10", "penalties": 1, "amount": "9.60", "currency": "EUR"},
            "1 ligne, 9.60 EUR",
        ),
        (
            "fr",
            REPORT_AUTO_SUBMITTED,
            {"cycle": "2026-10", "penalties": 3, "amount": "9.60", "currency": "EUR"},
            "3 lignes, 9.60 EUR",
        ),
        (
            "en",
            TRUE_UP_CHARGED,
            {"units": 1, "products": "Teams", "total": "5.00 EUR", "count": 1},
            "1 license more",
        ),
        (
            "fr",
            TRUE_UP_CHARGED,
            {"units": 4, "products": "Teams", "total": "5.00 EUR", "count": 1},
            "4 licences de plus",
        ),
    ],
)
def test_a_counted_text_takes_the_form_of_its_count(language, kind, params, expected):
    with translation.override(language):
        _title, body = render(kind, params)
    assert expected in body
    assert "(s)" not in body


@pytest.mark.parametrize(("excess", "expected"), [(1, "by 1 license"), (3, "by 3 licenses")])
def test_an_overallocation_title_counts_its_licenses(excess, expected):
    with translation.override("en"):
        title, _body = render(OVERALLOCATED, {"product": "E3", "excess": excess, "threshold": 0})
    assert title == f"E3 is over-allocated {expected}"
