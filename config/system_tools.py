"""What the test suite needs from the system besides Python packages, installed when we may."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger("config.launch")


# What the suite needs from the system besides Python packages: Debian's chromium for the
# browser journeys (never a browser downloaded by Playwright) and GNU gettext for the check that
# every translatable string is in the French catalogue; pango (through WeasyPrint) for the
# invoice PDFs, which the portal itself needs as well.
SYSTEM_TOOLS = {"chromium": "/usr/bin/chromium", "gettext": "/usr/bin/xgettext"}
SYSTEM_LIBRARIES = {"libpangoft2-1.0-0": "libpangoft2-1.0.so.0"}


def _library_present(file_name: str) -> bool:
    return any(Path(folder).glob(f"*/{file_name}") for folder in ("/usr/lib", "/lib")) or any(
        (Path(folder) / file_name).exists() for folder in ("/usr/lib", "/lib", "/usr/lib64")
    )


def system_tools_missing() -> list[str]:
    paths = {**SYSTEM_TOOLS, "chromium": os.environ.get("CHROMIUM_PATH", SYSTEM_TOOLS["chromium"])}
    missing = [package for package, path in paths.items() if not Path(path).exists()]
    return missing + [package for package, name in SYSTEM_LIBRARIES.items() if not _library_present(name)]


def system_tools_ensure() -> bool:
    """Install what is missing when we may (root, with apt-get); else say the one command to
    run and stop, rather than let the suite end in a wall of fixture errors."""
    missing = system_tools_missing()
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
    still_missing = system_tools_missing()
    if not installed or still_missing:
        log.error(
            "Could not install %s: run `%s` and try again.",
            " and ".join(still_missing or missing),
            " ".join(command),
        )
        return False
    return True
