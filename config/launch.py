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

Long because: run, test and manage share one lifecycle (embedded servers, signals, child
processes, the order of shutdown), which reads best top to bottom in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.embedded import BASE_DIR, VAR_DIR, EmbeddedServiceError, services_running

DEFAULT_PORT = 8000
DEFAULT_SETTINGS = "config.settings.dev"
READY_PATH = "/accounts/login/"
READY_TIMEOUT = 180  # seconds for gunicorn to answer once the preparation is done
ANSWER_GRACE = 10  # seconds to wait for 200 once the sign-in page answers something else
STOP_TIMEOUT = 10  # seconds a child gets to stop after SIGTERM before it is killed

log = logging.getLogger("config.launch")


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("portal | %(message)s"))
    root = logging.getLogger("msp_portal")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def _say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Child processes
# ---------------------------------------------------------------------------------------------


try:
    # Loaded before any fork: only the prctl() call itself runs between fork and exec.
    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the launcher dies (even by SIGKILL)."""
    if _LIBC is not None:
        pr_set_pdeathsig = 1
        _LIBC.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class Child:
    """A long-running child process whose output is copied to ours, each line prefixed."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only the launcher, which stops
        # the children in order and then the embedded servers.
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if _LIBC is not None else None,
        )

    def copy_output(self, width: int) -> None:
        """Copy the child's output to ours in a thread (started once every child is spawned:
        preexec_fn must not run while other threads exist)."""
        prefix = f"{self.name:<{width}} | ".encode()
        self._pump = threading.Thread(target=self._copy_output, args=(prefix,), daemon=True)
        self._pump.start()

    def _copy_output(self, prefix: bytes) -> None:
        assert self.process is not None and self.process.stdout is not None
        out = sys.stdout.buffer
        for line in iter(self.process.stdout.readline, b""):
            with contextlib.suppress(OSError, ValueError):
                out.write(prefix + line)
                out.flush()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def poll(self) -> int | None:
        return self.process.poll() if self.process else None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()

    def kill_group(self) -> None:
        """SIGKILL whatever is left in the child's process group (pool processes, workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self._pump is not None:
            self._pump.join(2)


def _stop_children(children: list[Child]) -> None:
    running = [child for child in children if child.poll() is None]
    if running:
        log.info("Stopping %s...", ", ".join(child.name for child in running))
    for child in reversed(running):
        child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(child.poll() is None for child in running):
        time.sleep(0.1)
    for child in running:
        if child.poll() is None:
            log.warning("%s did not stop within %s s: killing it.", child.name, STOP_TIMEOUT)
    for child in children:
        child.kill_group()


class StopRequested(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived."""


class Signals:
    """Turns the stop signals into a flag that the supervising loops check between steps."""

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.received = signum

    def check(self) -> None:
        if self.received is not None:
            raise StopRequested

    @staticmethod
    def ignore() -> None:
        """While stopping: a second Ctrl-C must not interrupt the stopping of the servers."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


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
    if not _port_is_free(port):
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
                _stop_children(children)
    except StopRequested:
        log.info("%s received: stopped.", signal.Signals(signals.received).name)
        return 0
    except EmbeddedServiceError as error:
        log.error("%s", error)
        return 1


def _serve(port: int, started: float, signals: Signals, children: list[Child]) -> int:
    """Prepare, start the children, supervise them; returns the exit status of `run`.

    Long because: preparing, starting, waiting for the sign-in page and supervising are one
    sequence whose order on failure and shutdown is the point; steps apart would pass the same
    children, signals and environment around."""
    url = f"http://127.0.0.1:{port}/"
    signals.check()
    env = _child_env(url)
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
        return 1

    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    children += [
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
    for child in children:
        child.start()
        log.info("Started %s (pid %s).", child.name, child.pid)
    width = max(len(child.name) for child in children)
    for child in children:
        child.copy_output(width)

    ready_url = url + READY_PATH.lstrip("/")
    deadline = time.monotonic() + READY_TIMEOUT
    ready = False
    first_answer: float | None = None
    while True:
        signals.check()
        for child in children:
            if child.poll() is not None:
                log.error(
                    "%s exited unexpectedly (exit status %s): stopping the others.",
                    child.name,
                    child.poll(),
                )
                return 1
        if not ready:
            status = _http_status(ready_url)
            if status == 200:
                ready = True
                _say(_banner(url, time.monotonic() - started))
            elif status is not None:
                # gunicorn answers, but not with the page: give it a few more tries (a worker
                # may still be booting), then report instead of waiting for the full timeout.
                first_answer = first_answer or time.monotonic()
                if time.monotonic() - first_answer > ANSWER_GRACE:
                    log.error(
                        "%s answers HTTP %s instead of 200: see the web log above.",
                        ready_url,
                        status,
                    )
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


def _run_foreground(command: list[str], env: dict[str, str]) -> int:
    """Run a command in our process group: Ctrl-C reaches it directly (pytest reports it and
    exits); SIGTERM sent to us is passed on to it."""
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# What the suite needs from the system besides Python packages: Debian's chromium for the
# browser journeys (never a browser downloaded by Playwright) and GNU gettext for the check that
# every translatable string is in the French catalogue.
SYSTEM_TOOLS = {"chromium": Path("/usr/bin/chromium"), "gettext": Path("/usr/bin/xgettext")}


def _system_tools_missing() -> list[str]:
    chromium = Path(os.environ.get("CHROMIUM_PATH", SYSTEM_TOOLS["chromium"]))
    paths = {**SYSTEM_TOOLS, "chromium": chromium}
    return [package for package, path in paths.items() if not path.exists()]


def _system_tools_ensure() -> bool:
    """Install what is missing when we may (root, with apt-get); else say the one command to
    run and stop, rather than let the suite end in a wall of fixture errors."""
    missing = _system_tools_missing()
    if not missing:
        return True
    command = ["apt-get", "install", "-y", "-qq", *missing]
    can_install = hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/usr/bin/apt-get").exists()
    if not can_install:
        log.error(
            "The tests need %s. Install it, then run `make test` again:\n    sudo apt-get install %s",
            " and ".join(missing),
            " ".join(missing),
        )
        return False
    log.info("Installing %s (apt-get, once)...", " and ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    update = subprocess.run(["apt-get", "update", "-qq"], env=env, stdin=subprocess.DEVNULL)
    installed = update.returncode == 0 and (
        subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).returncode == 0
    )
    still_missing = _system_tools_missing()
    if not installed or still_missing:
        log.error(
            "Could not install %s: run `%s` and try again.",
            " and ".join(still_missing or missing),
            " ".join(command),
        )
        return False
    return True


def _parallel(pytest_args: list[str]) -> list[str]:
    """One pytest-xdist worker per core, each on its own test database (pytest-django suffixes
    its name), a module's tests on one worker so a module's shared data is built once; unless
    the caller chose (`-n 0` runs in one process)."""
    if any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in pytest_args):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def test(pytest_args: list[str]) -> int:
    if not _system_tools_ensure():
        return 1
    try:
        with services_running():
            env = os.environ.copy()
            # pyproject.toml names the test settings; a DJANGO_SETTINGS_MODULE left in the shell
            # (say, the dev settings) would take precedence over it. Use --ds to choose another.
            env.pop("DJANGO_SETTINGS_MODULE", None)
            env["PYTHONUNBUFFERED"] = "1"
            code = _run_foreground(
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
            return _run_foreground([sys.executable, str(BASE_DIR / "manage.py"), *args], env)
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
