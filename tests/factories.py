"""Factories: related rows always get the parent's tenant."""

import datetime as dt
from decimal import Decimal

import factory

from licensing.choices import BillingType, Program
from licensing.models import CostCenter, License, Product, Subscription
from msp_portal.tenancy.models import Membership, Organisation, User
from reports.models import LineComment, UsageReport, UsageReportLine

PASSWORD = "correct horse battery staple"


class DistributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Distributor {n}")
    slug = factory.Sequence(lambda n: f"distributor-{n}")
    kind = "distributor"


class MspFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"MSP {n}")
    slug = factory.Sequence(lambda n: f"msp-{n}")
    kind = "msp"
    distributor = factory.SubFactory(DistributorFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(MspFactory)
    user = factory.SubFactory(UserFactory)
    role = "msp_admin"


# --- licensing: a product belongs to a distributor; the rows of an MSP share the MSP's tenant ---


class ProductFactory(factory.django.DjangoModelFactory):
    """A product on sale in a distributor's catalog, priced in euros."""

    class Meta:
        model = Product

    organisation = factory.SubFactory(DistributorFactory)
    product_code = factory.Sequence(lambda n: f"PRD-{n}")
    sku_code = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    publisher = "Contoso"
    unit_price = Decimal("10.00")
    currency = "EUR"
    billing_type = BillingType.LICENSE
    program = Program.TRUE_UP


class CostCenterFactory(factory.django.DjangoModelFactory):
    """A cost center of an MSP; a parent given is the same MSP's."""

    class Meta:
        model = CostCenter

    organisation = factory.LazyAttribute(lambda o: o.parent.organisation if o.parent else MspFactory())
    code = factory.Sequence(lambda n: f"CC{n}")
    name = factory.LazyAttribute(lambda o: f"Center {o.code}")
    parent = None


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An MSP's subscription to a product of its own distributor's catalog."""

    class Meta:
        model = Subscription

    organisation = factory.SubFactory(MspFactory)
    product = factory.SubFactory(
        ProductFactory, organisation=factory.SelfAttribute("..organisation.distributor")
    )
    term_start = dt.date(2026, 1, 1)


class LicenseFactory(factory.django.DjangoModelFactory):
    """An owned, unassigned license of a subscription, in the subscription's tenant."""

    class Meta:
        model = License

    subscription = factory.SubFactory(SubscriptionFactory)
    organisation = factory.SelfAttribute("subscription.organisation")


# --- reports: a report's lines and their comments carry the report's tenant ---------------------


class UsageReportFactory(factory.django.DjangoModelFactory):
    """A report of an MSP in msp_preparation (its state changes only through the services)."""

    class Meta:
        model = UsageReport

    organisation = factory.SubFactory(MspFactory)
    cycle = dt.date(2026, 10, 1)
    currency = "USD"
    opened_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    deadline = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)


class UsageReportLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageReportLine

    report = factory.SubFactory(UsageReportFactory)
    organisation = factory.SelfAttribute("report.organisation")
    position = factory.Sequence(lambda n: n)
    product_code = factory.Sequence(lambda n: f"PRD-{n}")
    product_name = factory.Sequence(lambda n: f"Product {n}")
    unit_type = "seat"
    unit_price = Decimal("22.00")
    provided_units = 40
    used_units = 36
    billable_units = factory.LazyAttribute(
        lambda o: o.provided_units if o.used_units is None else o.used_units
    )


class LineCommentFactory(factory.django.DjangoModelFactory):
    """A comment on a line, written by a member of the line's MSP unless told otherwise."""

    class Meta:
        model = LineComment

    line = factory.SubFactory(UsageReportLineFactory)
    organisation = factory.SelfAttribute("line.organisation")
    author = factory.SubFactory(UserFactory)
    author_organisation = factory.SelfAttribute("line.organisation")
    body = factory.Sequence(lambda n: f"Comment {n}")
