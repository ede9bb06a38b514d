"""The test's clock, handed to the child processes a test starts (``manage.py`` commands, Celery
beat): time-machine moves the clock of this process only, and a child that ran on the real
clock would see another day than the objects the test made for it."""

import os
import time
from pathlib import Path

from time_machine import escape_hatch

SHIM = Path(__file__).resolve().parent / "clock_shim"
OFFSET_VARIABLE = "TEST_CLOCK_OFFSET_SECONDS"


def clock_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child process whose clock is where this process's clock is now (and ticks)."""
    offset = time.time() - escape_hatch.time.time() if escape_hatch.is_travelling() else 0.0
    path = os.pathsep.join(p for p in (str(SHIM), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, OFFSET_VARIABLE: repr(offset)}
