import datetime as dt
from decimal import Decimal

import pytest

from reports.services import LineSpec, usage_report_open

LINES = [
    # product, unit type, price, provided, used
    ("MS-365-BP", "Microsoft 365 Business Premium", "seat", "22.00", 40, 36),
    ("AZ-BACKUP", "Azure Backup storage", "GB", "0.0500", 1200, None),
    ("EDR-1", "Endpoint protection", "device", "3.50", 55, 55),
]


def line_specs(rows=LINES):
    return [
        LineSpec(
            product_code=code,
            product_name=name,
            unit_type=unit,
            unit_price=Decimal(price),
            currency="USD",  # the test MSPs' billing currency (the organisation's default)
            provided_units=provided,
            used_units=used,
        )
        for code, name, unit, price, provided, used in rows
    ]


@pytest.fixture
def open_report():
    """``open_report(msp, cycle=date(2026, 10, 1), rows=LINES)`` → a report in msp_preparation."""

    def _open(msp, cycle=dt.date(2026, 10, 1), rows=LINES):
        report, _ = usage_report_open(msp=msp, cycle=cycle, lines=line_specs(rows))
        return report

    return _open
