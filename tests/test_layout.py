"""The package layout: every module imports on its own, and imports point one way (interfaces → service → stages →
core and adapters)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "assistant"
CORE = {"models", "protocols", "registry", "settings", "errors", "prompts", "text", "lexicon", "wordlists"}
# what each layer may import, besides itself and the core
ALLOWED = {
    "core": set(),
    "adapters": set(),
    "retrieval": set(),
    "ingest": {"retrieval"},
    "answering": {"retrieval"},
    "evaluation": {"answering", "ingest", "retrieval"},
    "service": {"ingest", "retrieval", "answering", "adapters", "service"},
    "interfaces": {"service", "ingest", "retrieval", "answering", "evaluation", "adapters"},
}


def _modules() -> list[str]:
    """Every module of the package, dotted."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def _layer(module: str) -> str:
    """The layer a dotted module belongs to."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "facade"
    if parts[1] in CORE:
        return "core"
    if parts[1] in ("service", "components"):
        return "service"
    return parts[1]


def _imports(path: Path) -> set[str]:
    """The assistant modules a file imports, lazily imported ones included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("assistant")}
    return found


def test_imports_point_one_way() -> None:
    known = set(_modules())
    wrong = []
    for path, module in zip(sorted(PACKAGE.rglob("*.py")), _modules(), strict=True):
        layer = _layer(module)
        if layer == "facade":
            continue
        for target in _imports(path):
            if target not in known or target == "assistant":
                continue
            other = _layer(target)
            if other not in ("core", layer, "facade") and other not in ALLOWED[layer]:
                wrong.append(f"{module} ({layer}) imports {target} ({other})")
    assert not wrong, "\n".join(wrong)


def test_every_layer_has_a_docstring_saying_what_it_owns() -> None:
    for sub in ("ingest", "retrieval", "answering", "evaluation", "interfaces", "adapters", "interfaces/chat"):
        doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text()))
        assert doc and len(doc) > 80, sub


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_interpreter() -> None:
    script = (
        "import importlib, subprocess, sys\n"
        "bad = []\n"
        "for name in sys.argv[1:]:\n"
        "    r = subprocess.run([sys.executable, '-c', f'import {name}'], capture_output=True, text=True)\n"
        "    bad += [f'{name}: {r.stderr.strip().splitlines()[-1]}'] if r.returncode else []\n"
        "print('\\n'.join(bad))\n"
    )
    modules = [m for m in _modules() if not m.endswith("__main__")]
    done = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, cwd=ROOT,
                          timeout=7200)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", done.stdout
