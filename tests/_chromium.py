"""Headless Chromium for the browser tests (tests/test_browser.py, tests/test_lab.py).

Chromium is the Debian package (``/usr/bin/chromium``), never a browser that
Playwright downloads. If it is missing :func:`ensure_chromium` installs it with apt-get
(CI runs as root on Debian); if that is impossible the test fails and says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "SCREENSHOTS", "ensure_chromium"]

CHROMIUM = Path("/usr/bin/chromium")
#: Screenshots are copied here for people to look at (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
#: No GPU, no sandbox (CI runs as root in a container) and nothing that phones home.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--no-first-run",
    "--no-pings",
]


def ensure_chromium() -> Path:
    """``/usr/bin/chromium``, installed from the Debian packages if it is missing."""
    if CHROMIUM.is_file():
        return CHROMIUM
    howto = "install it with: apt-get install -y chromium chromium-driver"
    if shutil.which("apt-get") is None:
        pytest.fail(f"{CHROMIUM} is missing and there is no apt-get to install it; {howto}")
    if os.geteuid() != 0:
        pytest.fail(f"{CHROMIUM} is missing and the tests do not run as root; {howto}")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
    result = subprocess.run(install, capture_output=True, text=True, env=environment, timeout=1200)
    if result.returncode != 0:  # a fresh image has no package lists yet
        update = subprocess.run(
            ["apt-get", "update"], capture_output=True, text=True, env=environment, timeout=600
        )
        result = subprocess.run(
            install, capture_output=True, text=True, env=environment, timeout=1200
        )
        result.stderr = update.stderr + result.stderr
    if result.returncode != 0 or not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing and `{' '.join(install)}` failed "
            f"(exit {result.returncode}):\n{result.stderr[-2000:]}\n{howto}"
        )
    return CHROMIUM
