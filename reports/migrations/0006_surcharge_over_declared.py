"""An account's policy may surcharge over-declared lines too (off by default: their reset lowers
the bill; docs/reports.md, "Penalties")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_one_currency_per_msp"),
    ]

    operations = [
        migrations.AddField(
            model_name="mspaccountsettings",
            name="surcharge_over_declared",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text=(
                    "Off: a line whose billable units are above the provided units is only reset, "
                    "which lowers the bill, without a surcharge."
                ),
                verbose_name="surcharge over-declared lines too",
            ),
        ),
    ]
