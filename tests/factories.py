"""Factories: related rows always get the parent's tenant."""

import factory

from msp_portal.tenancy.models import Membership, Organisation, User

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
