"""Penalties are a record, like the history: the database refuses UPDATE and DELETE of their
rows. Accounts that already charged a surcharge keep it under the explicit "percentage" policy."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reports_reportpenalty_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'penalties are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER reports_reportpenalty_append_only
    BEFORE UPDATE OR DELETE ON reports_reportpenalty
    FOR EACH ROW EXECUTE FUNCTION reports_reportpenalty_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reports_reportpenalty_append_only ON reports_reportpenalty;
DROP FUNCTION IF EXISTS reports_reportpenalty_refuse_change();
"""


def surcharging_accounts_to_percent(apps, schema_editor):
    settings = apps.get_model("reports", "MspAccountSettings")
    settings._base_manager.filter(penalty_percent__gt=0).update(penalty_kind="percent")
    settings._base_manager.filter(penalty_minimum__gt=0).update(penalty_kind="percent")


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_scheduled_jobs")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(surcharging_accounts_to_percent, migrations.RunPython.noop),
    ]
