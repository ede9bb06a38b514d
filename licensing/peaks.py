"""Peaks of assignments, the reference rule in plain Python (tests compare the SQL of
licensing.selectors with it).

The count of assigned licenses moves by +1/−1 at each assignment event. Over a window
[start, end) the peak is the highest count at any moment of the window: the count already
reached when the window opens (the carry-in), or any count reached by an event inside it. Its
"first reached" moment is the window's start when the carry-in is the peak, else the time of
the first event inside the window that reached it. Removing assignments never lowers a peak:
it only appends −1 events.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Peak:
    units: int
    first_reached: dt.datetime | None  # None when nothing was ever assigned in the window


def peak_of(
    events: Iterable[tuple[dt.datetime, int]], *, start: dt.datetime, end: dt.datetime | None = None
) -> Peak:
    """``events`` are (moment, delta) pairs in the order they happened (ties keep their order)."""
    running = 0
    carry_in = 0
    best = None
    best_at = None
    for at, delta in events:
        if end is not None and at >= end:
            break
        running += delta
        if at < start:
            carry_in = running
            continue
        if best is None or running > best:
            best, best_at = running, at
    if best is None or carry_in >= best:
        return Peak(units=carry_in, first_reached=start if carry_in > 0 else None)
    return Peak(units=best, first_reached=best_at)
