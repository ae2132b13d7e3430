"""A corpus of hostile files, built on demand (nothing binary is committed)."""

from __future__ import annotations

import io
import os
import signal
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GOOD = {"good.md": "# Harbour log\n\nThe harbour master of Port Vell is Ilsa Marchetti.\n"}


def _encrypted_pdf() -> bytes:
    """A one-page PDF encrypted with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf("secret text"))))
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
    pdf = tiny_pdf("The reactor was commissioned in 1987.")
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


# --- PDFs whose cost hides in their content streams ---------------------------------------------
def text_stream(lines: list[str], pad_mb: float = 0.0) -> bytes:
    """A page content stream showing one text line per entry, padded with comment lines to about pad_mb MB."""
    shown = b" 0 -16 Td ".join(b"(%s) Tj" % line.encode("latin-1") for line in lines)
    body = b"BT /F1 12 Tf 72 720 Td " + shown + b" ET\n"
    pad = b"%" + b" padding" * 128 + b"\n"
    return body + pad * int(pad_mb * 2**20 / len(pad))


def build_pdf(streams: list[bytes], pages: list[list[int]]) -> bytes:
    """A hand-built PDF: flate-compressed content streams, and pages naming which streams (by index) they show."""
    first_stream, first_page = 4, 4 + len(streams)
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for data in streams:
        packed = zlib.compress(data, 9)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed))
    for shown in pages:
        refs = b" ".join(b"%d 0 R" % (first_stream + i) for i in shown)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [%s] "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % refs)
    return pdf_from_objects(objects)


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF file of numbered objects (1 is the catalog) with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pages_pdf(texts: list[str]) -> bytes:
    """A PDF with one page per text, each page its own small content stream."""
    return build_pdf([text_stream([text]) for text in texts], [[i] for i in range(len(texts))])


def shared_stream_pdf(pages: int, mb: float, lines: list[str] | None = None) -> bytes:
    """Many pages that all show one highly compressible content stream of about mb MB (small on disk)."""
    shown = lines or ["Shared heading", "The shared page body names the gauge reading.", "Shared footer"]
    return build_pdf([text_stream(shown, mb)], [[0]] * pages)


class Hung(AssertionError):
    """A guarded block ran too long (an AssertionError: no loader mistakes it for a read error)."""


@contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Fail with Hung instead of hanging when the block runs longer than seconds (main thread, Unix)."""

    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with a text line (hand-built, standard font)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


def form_pdf(pages: int, mb: float) -> bytes:
    """Pages whose own content only draws one form object (a stream of about mb MB); each page's resources differ."""
    import zlib as _zlib

    form = _zlib.compress(text_stream(["Drawn from a form object."], mb), 9)
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(form), form),
        b"<< /Length 10 >>\nstream\nq /Fx Do Q\nendstream",
    ]
    for i in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Resources << "
                       b"/XObject << /Fx 4 0 R >> /Font << /F1 3 0 R >> /Page%d %d >> >>" % (i, i))
    return pdf_from_objects(objects)
