"""The assignment history is append-only: the database refuses UPDATE and DELETE of its rows,
so a peak once reached can never be rewritten (removing an assignment only appends a −1)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION licensing_assignmentevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'assignment history is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER licensing_assignmentevent_append_only
    BEFORE UPDATE OR DELETE ON licensing_assignmentevent
    FOR EACH ROW EXECUTE FUNCTION licensing_assignmentevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS licensing_assignmentevent_append_only ON licensing_assignmentevent;
DROP FUNCTION IF EXISTS licensing_assignmentevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
