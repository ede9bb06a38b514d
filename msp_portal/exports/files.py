"""Building an export's file: the registered kind gives its rows, the one CSV writer
(msp_portal/csv_export.py) writes them, the request's progress moves as rows are written.
Called by the worker's task and by the beat's sweep, never from a request."""

import logging

from .models import ExportRequest
from .registry import export_kind
from .services import export_claim, export_fail, export_file_path, export_finish, export_progress

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 5_000  # rows between two progress updates


def export_build(export_id: int) -> bool:
    """Build the file if nobody else is building it; True when this call built it."""
    from msp_portal.csv_export import csv_write

    if not export_claim(export_id):
        return False
    export = ExportRequest.objects.across_tenants().get(pk=export_id)
    path = export_file_path(export)
    try:
        content = export_kind(export.kind).build(export)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")

        def on_row(count: int) -> None:
            if count % PROGRESS_EVERY == 0:
                export_progress(export_id, rows=count, total=content.total)

        with partial.open("w", encoding="utf-8", newline="") as file:
            rows = csv_write(file, content.header, content.rows, on_row=on_row)
        partial.replace(path)  # a reader never sees half a file
    except Exception as exc:
        logger.exception("Export %s failed", export_id)
        export_fail(export_id, str(exc))
        return False
    export_finish(export_id, rows=rows, size=path.stat().st_size, file_name=content.file_name)
    return True
