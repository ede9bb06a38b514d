"""The kinds of export the apps offer (registered from their apps.py): what each builds, and
the permission needed to request and download it. The kernel names no app's export."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from msp_portal.errors import NotFound


@dataclass
class ExportContent:
    file_name: str
    header: Sequence
    rows: Iterable[Sequence]
    total: int | None = None  # rows expected, for the progress bar (None: unknown)


@dataclass(frozen=True)
class ExportKind:
    kind: str
    perm: str
    build: Callable  # (ExportRequest) -> ExportContent


_KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: str, *, perm: str, build: Callable) -> None:
    _KINDS[kind] = ExportKind(kind, perm, build)


def export_kind(kind: str) -> ExportKind:
    found = _KINDS.get(kind)
    if found is None:
        raise NotFound()
    return found
