"""The report history can be appended to, never changed: the database itself refuses UPDATE
and DELETE of its rows, whatever code, admin action or SQL statement tries. (TRUNCATE, an
operator's whole-table reset that the test suite also uses between tests, is not blocked.)"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reports_reportevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'report history is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER reports_reportevent_append_only
    BEFORE UPDATE OR DELETE ON reports_reportevent
    FOR EACH ROW EXECUTE FUNCTION reports_reportevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reports_reportevent_append_only ON reports_reportevent;
DROP FUNCTION IF EXISTS reports_reportevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
