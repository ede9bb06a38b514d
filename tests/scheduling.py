"""How the suite is spread over pytest-xdist's workers (`make test` runs ``-n auto --dist loadfile``).

- A module's tests run one after the other in one worker, so that what a module builds once
  (a module-scoped fixture) is built once; a package of ``SHARED_PACKAGES`` counts as one
  module: tests/demo loads the demo data once for all of its modules.
- The longest modules start first. Each run records how long each module took, in
  ``var/test-durations.json``, and the next run starts them longest first (a module not yet
  timed counts as 0.1 s a test): a short module then fills the last gap, rather than a long
  one starting last and running alone while the other workers wait.
"""

import json
from collections import defaultdict
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

BASE_DIR = Path(__file__).resolve().parent.parent
DURATIONS_FILE = BASE_DIR / "var" / "test-durations.json"
SHARED_PACKAGES = ("tests/demo/",)
UNTIMED_SECONDS_PER_TEST = 0.1


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or its package if that is shared."""
    module = nodeid.split("::", 1)[0]
    for package in SHARED_PACKAGES:
        if module.startswith(package):
            return package
    return module


class ModuleScheduling(LoadScopeScheduling):
    """pytest-xdist's loadfile, with shared packages as one unit and the units in the order of
    the collection (longest first, see ``order_longest_first``)."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        config.option.loadscopereorder = False  # keep the collection's order

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)


def recorded_durations() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(DURATIONS_FILE.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def order_longest_first(items: list) -> None:
    """Reorder ``items`` in place: whole units, longest recorded first; a unit's own order kept."""
    recorded = recorded_durations()
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[scope_of(item.nodeid)] += 1

    def weight(scope: str) -> float:
        return recorded.get(scope, counts[scope] * UNTIMED_SECONDS_PER_TEST)

    position = {scope: index for index, scope in enumerate(dict.fromkeys(scope_of(i.nodeid) for i in items))}
    items.sort(key=lambda item: (-weight(scope_of(item.nodeid)), position[scope_of(item.nodeid)]))


class DurationRecorder:
    """Adds up each unit's time (setup, call, teardown) from the reports the run receives, and
    writes it for the next run; units this run did not touch keep their earlier figure."""

    def __init__(self):
        self.enabled = False  # only in the process that reports the run (not in a worker)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, report) -> None:
        if self.enabled:
            self.seconds[scope_of(report.nodeid)] += report.duration

    def write(self) -> None:
        if not self.enabled or not self.seconds:
            return
        merged = {**recorded_durations(), **{scope: round(s, 2) for scope, s in self.seconds.items()}}
        try:
            DURATIONS_FILE.parent.mkdir(parents=True, exist_ok=True)
            DURATIONS_FILE.write_text(json.dumps(merged, indent=1, sort_keys=True))
        except OSError:
            pass  # an ordering hint only
