"""One command to run the portal, one to test it (``make run`` and ``make test`` call these).

    python -m config.launch run                  # the portal on http://127.0.0.1:$PORT/
    python -m config.launch test [pytest args]   # the test suite
    python -m config.launch manage <command>     # any manage.py command

PostgreSQL and Redis come from ``DATABASE_URL`` / ``REDIS_URL`` when they are set; otherwise
embedded servers are started from ``var/`` for the duration of the command (see
:mod:`config.embedded`).

``run`` applies the migrations, collects the static files and loads the demo data (all three
are idempotent), then starts gunicorn, a Celery worker and Celery beat as child processes and
prints the address and the demo accounts once the sign-in page answers. Ctrl-C (or SIGTERM)
stops everything and exits 0; if a child dies on its own, the others are stopped and the exit
status is 1.

The child processes live in :mod:`config.processes`, the system tools of the suite in
:mod:`config.system_tools`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.embedded import BASE_DIR, VAR_DIR, EmbeddedServiceError, services_running
from config.processes import (
    STOP_TIMEOUT,
    Child,
    Signals,
    StopRequested,
    http_status,
    port_is_free,
    run_foreground,
    stop_children,
)
from config.system_tools import system_tools_ensure

DEFAULT_PORT = 8000
DEFAULT_SETTINGS = "config.settings.dev"
READY_PATH = "/accounts/login/"
READY_TIMEOUT = 180  # seconds for gunicorn to answer once the preparation is done
ANSWER_GRACE = 10  # seconds to wait for 200 once the sign-in page answers something else

log = logging.getLogger("config.launch")


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("portal | %(message)s"))
    root = logging.getLogger("config")  # the launcher, its processes and the embedded servers
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def _say(message: str = "") -> None:
    print(message, flush=True)


def _banner(url: str, elapsed: float) -> str:
    lines = [
        "",
        "=" * 78,
        f"  MSP License Usage Portal is running at {url}   (ready in {elapsed:.0f} s)",
        "",
    ]
    try:
        from config.demo import DEMO_PASSWORD, demo_logins

        logins = demo_logins()
        width = max(len(email) for email, _ in logins)
        lines.append(f"  Demo accounts (password for all of them: {DEMO_PASSWORD})")
        lines += [f"    {email:<{width}}  {role}" for email, role in logins]
    except Exception as error:  # the banner must not take the portal down
        lines.append(f"  (demo accounts unavailable: {error})")
    lines += [
        "",
        f"  Sign in:    {url}accounts/login/",
        f"  API schema: {url}api/v1/schema/      Health: {url}healthz",
        "",
        "  Press Ctrl-C to stop.",
        "=" * 78,
        "",
    ]
    return "\n".join(lines)


def _set_in_dotenv(name: str) -> bool:
    """Does the checkout's .env (read by the settings) set ``name``?"""
    path = BASE_DIR / ".env"
    if not path.exists():
        return False
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, _ = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip() == name:
            return True
    return False


def _child_env(url: str | None = None) -> dict[str, str]:
    """The environment of the children. ``url`` is where `run` serves the portal: the worker
    has no request to read it from, so its e-mail links take it from PORTAL_BASE_URL, unless the
    user set one (in the environment or .env: say, the address of a proxy in front)."""
    env = os.environ.copy()
    env.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    if url and not env.get("PORTAL_BASE_URL") and not _set_in_dotenv("PORTAL_BASE_URL"):
        env["PORTAL_BASE_URL"] = url.rstrip("/")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run() -> int:
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    if not port_is_free(port):
        log.error(
            "Port %s is already in use; choose another one, e.g. `PORT=%s make run`.",
            port,
            port + 1,
        )
        return 1
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    log.info("Settings: %s", os.environ["DJANGO_SETTINGS_MODULE"])
    VAR_DIR.mkdir(exist_ok=True)
    started = time.monotonic()
    signals = Signals()
    signals.install()
    children: list[Child] = []
    try:
        with services_running():
            try:
                return _serve(port, started, signals, children)
            finally:
                # Children first, while PostgreSQL and Redis are still up; the servers are
                # stopped when services_running() exits.
                signals.ignore()
                stop_children(children)
    except StopRequested:
        log.info("%s received: stopped.", signal.Signals(signals.received).name)
        return 0
    except EmbeddedServiceError as error:
        log.error("%s", error)
        return 1


def _serve(port: int, started: float, signals: Signals, children: list[Child]) -> int:
    """Prepare, start the children, supervise them; returns the exit status of `run`. The
    children are added to ``children`` as they start, so the caller stops them on any exit."""
    url = f"http://127.0.0.1:{port}/"
    signals.check()
    env = _child_env(url)
    if not _prepare_in_child(env, signals):
        return 1
    children += _portal_children(port, env)
    for child in children:
        child.start()
        log.info("Started %s (pid %s).", child.name, child.pid)
    width = max(len(child.name) for child in children)
    for child in children:
        child.copy_output(width)
    return _supervise(url, started, signals, children)


def _prepare_in_child(env: dict[str, str], signals: Signals) -> bool:
    """migrate, collectstatic and the demo data in a child process (Django is never loaded in
    the launcher), stopped if we are asked to stop."""
    log.info("Preparing the database, static files and demo data...")
    prepare = subprocess.Popen(
        [sys.executable, "-m", "config.launch", "_prepare"],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    while prepare.poll() is None:
        if signals.received is not None:
            prepare.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                prepare.wait(STOP_TIMEOUT)
            prepare.kill()
            prepare.wait()
        time.sleep(0.1)
    signals.check()
    if prepare.returncode != 0:
        log.error("Preparation failed (exit status %s): see the output above.", prepare.returncode)
        return False
    return True


def _portal_children(port: int, env: dict[str, str]) -> list[Child]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    return [
        Child("web", [
            python, "-m", "gunicorn", "config.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "2",
            "--access-logfile", "-", "--error-logfile", "-",
            "--graceful-timeout", "5",
        ], env),
        Child("worker", [
            *celery, "worker", "--concurrency", "2", "-l", "info",
            "--without-gossip", "--without-mingle",
        ], env),
        Child("beat", [
            *celery, "beat", "-l", "info", "--schedule", str(VAR_DIR / "celerybeat-schedule"),
        ], env),
    ]  # fmt: skip


def _supervise(url: str, started: float, signals: Signals, children: list[Child]) -> int:
    """Until a stop signal (StopRequested) or a child's death (1): say the address once the
    sign-in page answers 200, or give up with the reason when it never does."""
    ready_url = url + READY_PATH.lstrip("/")
    deadline = time.monotonic() + READY_TIMEOUT
    ready = False
    first_answer: float | None = None
    while True:
        signals.check()
        for child in children:
            if child.poll() is not None:
                log.error(
                    "%s exited unexpectedly (exit status %s): stopping the others.", child.name, child.poll()
                )
                return 1
        if not ready:
            status = http_status(ready_url)
            if status == 200:
                ready = True
                _say(_banner(url, time.monotonic() - started))
            elif status is not None:
                # gunicorn answers, but not with the page: give it a few more tries (a worker
                # may still be booting), then report instead of waiting for the full timeout.
                first_answer = first_answer or time.monotonic()
                if time.monotonic() - first_answer > ANSWER_GRACE:
                    log.error("%s answers HTTP %s instead of 200: see the web log above.", ready_url, status)
                    return 1
            elif time.monotonic() > deadline:
                log.error("%s did not answer within %s s.", ready_url, READY_TIMEOUT)
                return 1
        time.sleep(0.25 if first_answer is None and not ready else 1)


def _static_fingerprint() -> tuple[Path, str]:
    """A digest of every file collectstatic would copy (path, size, mtime) and of the storage.

    Post-processing (hashed names, compression) takes seconds on every run even when nothing
    changed; the digest lets `run` skip collectstatic when the sources are the ones collected
    last time. Returns the file the digest is kept in and the current digest.
    """
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    digest.update(repr(settings.STORAGES.get("staticfiles")).encode())
    digest.update(str(settings.STATIC_ROOT).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    digest.update("\n".join(sorted(entries)).encode())
    root = Path(settings.STATIC_ROOT)
    return root.parent / f".{root.name}.fingerprint", digest.hexdigest()


def _collectstatic(call_command) -> str:
    from django.conf import settings

    root = Path(settings.STATIC_ROOT)
    fingerprint_file, fingerprint = _static_fingerprint()
    collected = root.is_dir() and any(root.iterdir())
    if collected and fingerprint_file.is_file() and fingerprint_file.read_text() == fingerprint:
        return "unchanged since the last run, skipped"
    fingerprint_file.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    fingerprint_file.write_text(fingerprint)
    return "done"


def _prepare() -> int:
    """migrate, collectstatic, demo_data: in one process so that Django is loaded once."""
    import django
    from django.core.management import call_command

    django.setup()

    def migrate() -> str:
        call_command("migrate", interactive=False)
        return "done"

    def demo_data() -> str:
        call_command("demo_data")
        return "done"

    steps = [
        ("Applying migrations", migrate),
        ("Collecting static files", lambda: _collectstatic(call_command)),
        ("Loading the demo data", demo_data),
    ]
    for title, step in steps:
        started = time.monotonic()
        log.info("%s...", title)
        outcome = step()
        log.info("%s: %s (%.1f s).", title, outcome, time.monotonic() - started)
    return 0


def _parallel(pytest_args: list[str]) -> list[str]:
    """One pytest-xdist worker per core, each on its own test database (pytest-django suffixes
    its name), a module's tests on one worker so a module's shared data is built once; unless
    the caller chose (`-n 0` runs in one process)."""
    if any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in pytest_args):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def _cache_bytecode(env: dict[str, str]) -> None:
    """Compiled modules are kept under var/pycache even where the shell says not to write
    them (PYTHONDONTWRITEBYTECODE): every test process and every process a test starts would
    otherwise compile the project and rewrite the assertions of the tests again, about 4 s of
    CPU each. Outside the source tree, so the checkout stays clean."""
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env.setdefault("PYTHONPYCACHEPREFIX", str(VAR_DIR / "pycache"))


def test(pytest_args: list[str]) -> int:
    if not system_tools_ensure():
        return 1
    try:
        with services_running():
            env = os.environ.copy()
            # pyproject.toml names the test settings; a DJANGO_SETTINGS_MODULE left in the shell
            # (say, the dev settings) would take precedence over it. Use --ds to choose another.
            env.pop("DJANGO_SETTINGS_MODULE", None)
            env["PYTHONUNBUFFERED"] = "1"
            _cache_bytecode(env)
            code = run_foreground(
                [sys.executable, "-m", "pytest", *_parallel(pytest_args), *pytest_args], env
            )
    except EmbeddedServiceError as error:
        log.error("%s", error)
        return 1
    if code == 5:
        log.error("pytest ran no tests (exit status 5): that is a failure.")
        return 1
    if code < 0:  # killed by a signal
        return 128 - code
    return code


def manage(args: list[str]) -> int:
    try:
        with services_running():
            env = _child_env()
            return run_foreground([sys.executable, str(BASE_DIR / "manage.py"), *args], env)
    except EmbeddedServiceError as error:
        log.error("%s", error)
        return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _setup_logging()
    parser = argparse.ArgumentParser(
        prog="python -m config.launch",
        description="Run or test the MSP License Usage Portal, with embedded PostgreSQL and "
        "Redis unless DATABASE_URL / REDIS_URL are set.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="serve the portal (PORT, default 8000) with Celery")
    commands.add_parser("test", help="run pytest; extra arguments go to pytest")
    commands.add_parser("manage", help="run a manage.py command")
    commands.add_parser("_prepare")  # internal: the preparation step of `run`
    if argv and argv[0] in ("test", "manage"):
        # Everything after the command belongs to pytest / manage.py, options included.
        command, rest = argv[0], argv[1:]
    else:
        command, rest = parser.parse_args(argv).command, []
    os.chdir(BASE_DIR)
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "manage":
        return manage(rest)
    if command == "_prepare":
        return _prepare()
    parser.error(f"unknown command {command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
