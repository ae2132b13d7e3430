"""A file the ingesting process may not read is reported by name; the rest is indexed.

Root reads any file, so under root the ingest runs in a child that has dropped the capabilities that bypass file
permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): a mode-000 file is then unreadable even to its owner.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24
CODE = """
import json, sys
from assistant.service import Assistant
from assistant.settings import Settings
assistant = Assistant(Settings(index_dir=sys.argv[2], embedder="fake"))
report = assistant.ingest([sys.argv[1]], progress=False)
print(json.dumps({"partial": report.partial, "errors": report.errors, "documents": assistant.documents()}))
"""
REGISTER_FAKE = (
    "import tests.conftest as c; from assistant.registry import EMBEDDERS\n"
    "EMBEDDERS.register('fake')(lambda s: c.FakeEmbedder())\n"
)


def _drop_dac_capabilities() -> None:
    """In the child before exec: drop the two permission-bypassing capabilities from the bounding set.

    A root process gets its bounding set as its capabilities at exec, so the new interpreter lacks them.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and os.geteuid() == 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run(folder: Path, index: Path) -> dict:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", REGISTER_FAKE + CODE, str(folder), str(index)], capture_output=True,
                          text=True, timeout=300, cwd=root, preexec_fn=_drop_dac_capabilities)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_unreadable_file_is_named_and_the_rest_indexed(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    (folder / "good.md").write_text("The harbour master of Port Vell is Ilsa Marchetti.\n")
    secret = folder / "secret.txt"
    secret.write_text("Nobody may read this.\n")
    secret.chmod(0)
    got = _run(folder, index)
    assert got["partial"]
    lines = [e for e in got["errors"] if "secret.txt" in e]
    assert lines and "permission" in lines[0].lower(), got["errors"]
    assert [Path(d).name for d in got["documents"]] == ["good.md"]
