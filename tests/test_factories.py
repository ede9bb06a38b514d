"""The factories give every related row its parent's tenant, so a test's data never crosses
organisations by accident."""

import pytest

from tests.factories import (
    CostCenterFactory,
    LicenseFactory,
    LineCommentFactory,
    MspFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def test_licensing_rows_share_the_msp_and_its_distributors_catalog():
    msp = MspFactory()
    license_ = LicenseFactory(subscription=SubscriptionFactory(organisation=msp))
    assert license_.organisation == license_.subscription.organisation == msp
    assert license_.subscription.product.organisation == msp.distributor
    child = CostCenterFactory(parent=CostCenterFactory(organisation=msp))
    assert child.organisation == msp


def test_report_rows_share_the_reports_msp():
    comment = LineCommentFactory()
    report = comment.line.report
    assert comment.organisation == comment.line.organisation == report.organisation
    assert comment.author_organisation == report.organisation
    assert report.organisation.is_msp
