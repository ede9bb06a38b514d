"""Test-only: started by Python in a child process of a test (tests/clock.py puts this folder on
its PYTHONPATH), moves the clock by the parent's offset so that both see the same moment."""

import datetime as _dt
import os as _os

_offset = _os.environ.get("TEST_CLOCK_OFFSET_SECONDS")
if _offset and abs(float(_offset)) > 1:
    import time_machine as _time_machine

    _moment = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=float(_offset))
    _time_machine.travel(_moment, tick=True).start()
