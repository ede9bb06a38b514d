"""Gapless document numbers per distributor and kind (docs/invoicing.md, "Numbering").

One statement takes ``count`` numbers: it creates the distributor's counter row or adds to it and
returns the new last number. The row stays locked by the issuing transaction until it commits, so
two approvals at once (in any processes) queue on it and never share a number; a rollback gives
the numbers back with everything else, so there is never a gap.
"""

from django.db import connection

from .choices import document_number
from .models import DocumentCounter

_TAKE = f"""
INSERT INTO {DocumentCounter._meta.db_table} (organisation_id, kind, last)
VALUES (%s, %s, %s)
ON CONFLICT (organisation_id, kind) DO UPDATE
    SET last = {DocumentCounter._meta.db_table}.last + EXCLUDED.last
RETURNING last
"""


def numbers_take(*, distributor_id: int, kind: str, count: int) -> list[tuple[int, str]]:
    """The next ``count`` numbers of the distributor's ``kind`` documents, as (sequence,
    printed number) pairs in order. Call inside the transaction that inserts the documents; when
    several distributors are numbered in one transaction, take them in distributor id order
    (every caller does), so two transactions cannot wait on each other's counters."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [distributor_id, kind, count])
        last = cursor.fetchone()[0]
    return [(sequence, document_number(kind, sequence)) for sequence in range(last - count + 1, last + 1)]
