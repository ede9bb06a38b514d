"""Paths and small helpers shared by the embedded PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
POSTGRES_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
DATABASE_NAME = "msp_portal"
POSTGRES_USER = "postgres"

log = logging.getLogger("config.embedded")


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started."""


def _display(path: Path) -> str:
    """A path relative to the checkout when it is inside it (shorter log lines)."""
    try:
        return str(path.relative_to(BASE_DIR))
    except ValueError:
        return str(path)


def _process(pid: int) -> psutil.Process | None:
    """The live (non-zombie) process with this pid, if any."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _is_python(pid: int) -> bool:
    """Whether ``pid`` is a live Python process (the processes that register as server users)."""
    process = _process(pid)
    if process is None:
        return False
    try:
        return "python" in process.name().lower() or any(
            "python" in part.lower() for part in process.cmdline()[:1]
        )
    except psutil.Error:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rotate(path: Path, max_bytes: int = 5 * 1024 * 1024) -> None:
    """Keep a server log that is appended to on every run from growing without bound."""
    with contextlib.suppress(OSError):
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))


# ---------------------------------------------------------------------------------------------
# PostgreSQL
