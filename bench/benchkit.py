"""Shared by the benchmarks: named sections of RESULTS.md, run metadata, the Python docs corpus, percentiles."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADER = "# Benchmark results\n"
PYDOCS = Path("/usr/share/doc/python3.11/html")  # Debian package python3.11-doc


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace the text between <!-- bench:NAME --> and <!-- /bench:NAME --> (append the section if absent)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def load_average() -> str:
    """The 1-minute load average (others share this machine: a noise indicator)."""
    return f"{os.getloadavg()[0]:.2f}"


def run_header(command: str, load_before: str) -> list[str]:
    """Date, machine, command and load lines for a results section."""
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- date: {dt.datetime.now().isoformat(timespec='minutes')}",
        f"- machine: {platform.machine()} {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, no GPU, "
        f"Python {platform.python_version()}",
        f"- command: `{command}`",
        f"- load average (1 min) before / after: {load_before} / {load_average()} on {os.cpu_count()} cores "
        "(other people's jobs share the machine, so absolute times are noisy)",
    ]


def require_docs() -> Path:
    """The Python HTML docs folder, or exit with the command that installs it."""
    if not PYDOCS.is_dir():
        sys.exit(f"{PYDOCS} not found: run `apt-get install -y python3.11-doc` first")
    return PYDOCS


def doc_files(limit: int | None = None) -> list[Path]:
    """HTML pages of the Python docs (not _static/_sources), sorted; `limit` picks evenly spaced pages."""
    root = require_docs()
    files = sorted(p for p in root.rglob("*.html") if not any(part.startswith("_") for part in p.parts))
    if limit is None or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def copy_files(files: Sequence[Path], target: Path) -> Path:
    """Copy files into target keeping their path relative to the docs root."""
    for path in files:
        destination = target / path.relative_to(PYDOCS)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    return target


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def median(values: Sequence[float]) -> float:
    """Median."""
    return float(statistics.median(values))


def offline() -> None:
    """Nothing may download at run time."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[name] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"


def start_chroma(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `chroma run` on a free port of 127.0.0.1 and wait for its heartbeat; returns (process, url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    log = (folder / "chroma-server.log").open("wb")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    cmd = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder / "chroma-server")]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                sys.exit(f"chroma server did not start, see {folder / 'chroma-server.log'}")
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started (kill it if it does not exit)."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
