"""One description per list: the columns of a list's page table and of its CSV
download come from one ``Table``, so a header renamed or a column added changes both. Views pass
``table.page_headers`` to the template (which keeps its own cell markup) and give
``table.csv_header()`` and ``table.csv_rows(objects)`` to ``csv_export.csv_response`` (which
stays the one writer and neutralises every cell)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    """``header`` is a lazy translation; ``value(row)`` is the CSV cell (the page renders its
    own, richer cell). ``page``/``csv`` say where the column appears: a download may carry more
    than the page shows (the license list's SKU and e-mail). ``page_header`` is a shorter header
    for the page where the cells there already say the unit; ``css`` the page's cell class."""

    key: str
    header: Any
    value: Callable[[Any], Any] | None = None
    page: bool = True
    csv: bool = True
    page_header: Any = None
    css: str = ""

    @property
    def label(self):
        return self.page_header or self.header


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]

    @property
    def page_columns(self) -> list[Column]:
        return [column for column in self.columns if column.page]

    @property
    def page_headers(self) -> list:
        return [column.label for column in self.page_columns]

    def csv_header(self) -> list[str]:
        # Translated now, in the request's language: the rows are written after the view returns.
        return [str(column.header) for column in self.columns if column.csv]

    def csv_rows(self, objects: Iterable) -> Iterable[list]:
        values = [column.value for column in self.columns if column.csv]
        return ([value(row) for value in values] for row in objects)
