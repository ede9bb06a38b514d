"""Start-up time of `make run` on a fresh copy of the project.

    python3 benchmarks/startup.py [--source DIR] [--clone] [--no-pip-cache] [--warm-runs N] [--keep]

Copies the project into a temporary directory, then measures, with embedded PostgreSQL and
Redis (DATABASE_URL / REDIS_URL are removed from the environment):

* cold start: from launching `make run` until /accounts/login/ answers 200, including the
  creation of .venv, the pip install, the first migrations, collectstatic and the demo data;
* warm start: the same again in the same copy, everything already there (three times by
  default, --warm-runs N; the median is reported);

and, for each, how long Ctrl-C (SIGINT to the process group of `make`) takes to stop it all.

The copy holds what `git ls-files --cached --others --exclude-standard` lists in --source (the
tracked files plus the untracked ones that are not ignored: uncommitted work included, .venv and
var/ left out). With --clone it is a `git clone` instead: the last commit only.

pip's download cache is used as it is unless --no-pip-cache is given (every package is then
downloaded again, as on a machine that never installed them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent


def copy_tree(source: Path, target: Path, clone: bool) -> None:
    if clone:
        subprocess.run(["git", "clone", "--quiet", str(source), str(target)], check=True)
        return
    listing = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    target.mkdir(parents=True)
    for name in filter(None, listing.split("\0")):
        src = source / name
        if not src.is_file():  # deleted in the working tree but still tracked
            continue
        dst = target / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def clean_env(port: int, no_pip_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"):
        env.pop(name, None)
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:  # an activated virtualenv must not provide the `python3` that make uses
        parts = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in parts if not p.startswith(venv))
    env["PORT"] = str(port)
    if no_pip_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    return env


def start_once(
    workdir: Path, label: str, port: int, env: dict[str, str], timeout: float
) -> tuple[float, float, Path]:
    """Run `make run` until the sign-in page answers, then Ctrl-C it.

    Returns (seconds until 200, seconds to stop, log file).
    """
    log_path = workdir.parent / f"make-run-{label}.log"
    url = f"http://127.0.0.1:{port}/accounts/login/"
    with open(log_path, "wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            ["make", "run"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal
        )
        try:
            while not answers_200(url):
                if process.poll() is not None:
                    raise SystemExit(f"{label}: make run exited ({process.returncode}); see {log_path}")
                if time.monotonic() - started > timeout:
                    raise SystemExit(f"{label}: no answer within {timeout:.0f} s; see {log_path}")
                time.sleep(0.1)
            ready = time.monotonic() - started
        except BaseException:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(60)
            raise
        stop_started = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise SystemExit(f"{label}: make run did not stop within 60 s; see {log_path}") from None
        stopped = time.monotonic() - stop_started
    return ready, stopped, log_path


def launcher_ready_time(log_path: Path) -> str:
    """The launcher's own figure (services, preparation, gunicorn), from its banner."""
    for line in log_path.read_text(errors="replace").splitlines():
        if "(ready in " in line:
            return line.split("(ready in ", 1)[1].split(" s)", 1)[0]
    return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="checkout to copy")
    parser.add_argument("--clone", action="store_true", help="git clone (last commit) instead")
    parser.add_argument("--no-pip-cache", action="store_true", help="download every package")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm starts to measure")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per start")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="msp-portal-startup-"))
    workdir = base / "msp-portal"
    try:
        copy_tree(args.source.resolve(), workdir, args.clone)
        port = free_port()
        env = clean_env(port, args.no_pip_cache)
        how = "git clone" if args.clone else "copy of the working tree"
        print(f"Measuring `make run` in {workdir} ({how}), port {port}", flush=True)
        print(f"  Python: {shutil.which('python3', path=env.get('PATH'))}", flush=True)
        results = []
        labels = ["cold"] + [f"warm {n}" for n in range(1, args.warm_runs + 1)]
        for label in labels:
            ready, stopped, log_path = start_once(workdir, label, port, env, args.timeout)
            results.append((label, ready, stopped, launcher_ready_time(log_path)))
            print(f"  {label}: {ready:.1f} s to 200, stopped in {stopped:.1f} s", flush=True)
        print()
        print("start     until /accounts/login/ = 200   launcher only   Ctrl-C to exit")
        for label, ready, stopped, launcher in results:
            print(f"{label:<9} {ready:>26.1f} s   {launcher:>11} s   {stopped:>11.1f} s")
        warm = sorted(ready for label, ready, _, _ in results if label != "cold")
        if warm:
            print(
                f"\ncold start: {results[0][1]:.1f} s; warm start (median of {len(warm)}): "
                f"{statistics.median(warm):.1f} s"
            )
        print(
            "\n(cold: .venv creation + pip install"
            + (" without pip cache" if args.no_pip_cache else " with pip's cache as it is")
            + " + first migrations, collectstatic, demo data. Launcher only: as the launcher"
            " reports it, from its own start, so without make and pip.)"
        )
        return 0
    finally:
        if args.keep:
            print(f"Kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
