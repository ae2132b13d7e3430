"""A corpus of hostile files, built on demand (nothing binary is committed)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from tests.ingest.test_loaders import _tiny_pdf

GOOD = {"good.md": "# Harbour log\n\nThe harbour master of Port Vell is Ilsa Marchetti.\n"}


def _encrypted_pdf() -> bytes:
    """A one-page PDF encrypted with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_tiny_pdf("secret text"))))
    writer.encrypt("pw")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip_bytes() -> bytes:
    """A small zip archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "inside a zip")
    return out.getvalue()


def build(folder: Path, big_mb: float = 50.0) -> dict[str, str]:
    """Write the corpus; returns {file name: expected outcome word} for the bad files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in GOOD.items():
        (folder / name).write_text(text)
    (folder / "utf16.txt").write_bytes("The lighthouse keeper is Tomas Ferrer.".encode("utf-16"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "invalid-utf8.txt").write_bytes(b"caf\xe9 cr\xe8me \x80\x81\x82 " * 500)
    pdf = _tiny_pdf("The reactor was commissioned in 1987.")
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "encrypted.pdf").write_bytes(_encrypted_pdf())
    (folder / "zip-renamed.pdf").write_bytes(_zip_bytes())
    (folder / "nested.html").write_text("<div>" * 200_000 + "deep" + "</div>" * 200_000)
    with open(folder / "huge-single-line.txt", "wb") as handle:
        handle.truncate(int(big_mb * 2**20) + 1)  # sparse: 50 MB + 1 byte of NULs
    os.symlink("loop.txt", folder / "loop.txt")
    return {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "invalid-utf8.txt": "UTF-8",
        "truncated.pdf": "PDF",
        "encrypted.pdf": "encrypted",
        "zip-renamed.pdf": "PDF",
        "huge-single-line.txt": "limit",
        "loop.txt": "cannot read",
    }
