"""Run every benchmark of this folder, one after the other (`make bench` calls this).

    python benchmarks/run_all.py [NAME ...]

Runs each ``*.py`` script of benchmarks/ (startup.py first, then the others by name; this file
and files starting with "_" excepted) with its default options and the Python running this
file, printing its output as it comes. NAME limits the run to some of them (``startup``,
``reports_bench``, ``licensing_bench``, ``jobs_bench``). The environment is passed on as it is: DATABASE_URL /
REDIS_URL when set, else the scripts start what they need. Exits 1 when any script failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST = "startup"


def scripts() -> list[Path]:
    found = [
        path
        for path in HERE.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    ]
    return sorted(found, key=lambda path: (path.stem != FIRST, path.stem))


def main(argv: list[str]) -> int:
    available = scripts()
    names = {path.stem for path in available}
    unknown = [name for name in argv if name.removesuffix(".py") not in names]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(sorted(names))}",
            file=sys.stderr,
        )
        return 2
    wanted = {name.removesuffix(".py") for name in argv}
    chosen = [path for path in available if not wanted or path.stem in wanted]
    results = []
    for path in chosen:
        print(f"\n{'#' * 78}\n# {path.name}\n{'#' * 78}", flush=True)
        started = time.monotonic()
        status = subprocess.run([sys.executable, str(path)], cwd=HERE.parent).returncode
        results.append((path.name, status, time.monotonic() - started))
    print(f"\n{'#' * 78}\n# summary\n{'#' * 78}")
    for name, status, seconds in results:
        print(f"{name:<24} {'ok' if status == 0 else f'FAILED (exit status {status})':<28} {seconds:7.1f} s")
    return 1 if any(status != 0 for _, status, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
