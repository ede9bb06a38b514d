"""Charge cycles: a subscription is billed monthly or yearly from a billing start day, which
for the subscriptions already there is their term start's day."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0004_true_up_charges"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="billing_frequency",
            field=models.CharField(
                choices=[("monthly", "Monthly"), ("yearly", "Yearly")],
                default="monthly",
                max_length=8,
                verbose_name="billing frequency",
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="billing_day",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.RunSQL(
            "UPDATE licensing_subscription SET billing_day = EXTRACT(DAY FROM term_start)::smallint",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="subscription",
            name="billing_day",
            field=models.PositiveSmallIntegerField(
                help_text="The day of the month each charge cycle starts (the month's last day when it is shorter).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(31),
                ],
                verbose_name="billing start day",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(("billing_day__gte", 1), ("billing_day__lte", 31)),
                name="licensing_subscription_billing_day_in_month",
            ),
        ),
    ]
