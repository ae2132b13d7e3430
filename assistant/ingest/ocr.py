"""OCR for scanned PDF pages: poppler's pdftoppm renders a page, tesseract reads it (both optional, on PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IngestError

NO_TEXT_HINT = ("Install tesseract-ocr and poppler-utils to read it with OCR, "
                "or add a PDF with a text layer.")


@dataclass(frozen=True)
class OcrLimits:
    """How much OCR one PDF may cost: pages, seconds per page, seconds in all; render resolution and language."""

    max_pages: int = 200
    page_timeout_s: float = 60.0
    total_timeout_s: float = 900.0
    pixels: int = 2400  # the rendered page's longer side (about 200 dpi on A4), whatever the page's size
    language: str = "eng"


def available() -> bool:
    """Whether both tools are on PATH."""
    return bool(shutil.which("tesseract") and shutil.which("pdftoppm"))


def no_text_error(source: str) -> IngestError:
    """The error for a PDF without a text layer when OCR cannot read it here."""
    return IngestError(f"{source}: has no text layer (a scanned PDF?). {NO_TEXT_HINT}")


def ocr_pages(data: bytes, pages: Sequence[int], source: str, limits: OcrLimits | None = None) -> dict[int, str]:
    """The OCR text of the given 1-based pages; a tool that fails or overruns its time gives an IngestError."""
    limits = limits or OcrLimits()
    if len(pages) > limits.max_pages:
        raise IngestError(f"{source}: {len(pages)} pages have no text layer (a scanned PDF?), more than the "
                          f"{limits.max_pages}-page OCR limit; add a PDF with a text layer")
    deadline = time.monotonic() + limits.total_timeout_s
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one page at a time, without tesseract's thread pool
    texts: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="assistant-ocr-") as folder:
        pdf = Path(folder) / "in.pdf"
        pdf.write_bytes(data)
        for number in pages:
            left = deadline - time.monotonic()
            if left <= 0:
                raise IngestError(f"{source}: OCR took longer than {limits.total_timeout_s:.0f} s; "
                                  "add a PDF with a text layer")
            image = _render(pdf, number, limits, min(left, limits.page_timeout_s), source, env)
            texts[number] = _read(image, limits, min(deadline - time.monotonic(), limits.page_timeout_s), source, env)
            image.unlink(missing_ok=True)
    return texts


def _render(pdf: Path, number: int, limits: OcrLimits, timeout: float, source: str, env: dict[str, str]) -> Path:
    """Page number of the PDF as a greyscale image file."""
    prefix = pdf.with_name(f"page-{number}")
    command = ["pdftoppm", "-scale-to", str(limits.pixels), "-gray", "-png", "-singlefile", "-f", str(number),
               "-l", str(number), str(pdf), str(prefix)]  # a page sized 200 inches renders no larger than A4
    _run(command, timeout, source, number, env)
    image = prefix.with_suffix(".png")
    if not image.is_file():
        raise IngestError(f"{source}: page {number} could not be rendered for OCR")
    return image


def _read(image: Path, limits: OcrLimits, timeout: float, source: str, env: dict[str, str]) -> str:
    """The text tesseract reads in an image."""
    number = image.stem.removeprefix("page-")
    return _run(["tesseract", str(image), "stdout", "-l", limits.language], timeout, source, int(number), env)


def _run(command: list[str], timeout: float, source: str, number: int, env: dict[str, str]) -> str:
    """Run one OCR tool; its failure or time-out is an IngestError naming the page."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=max(timeout, 1.0), env=env, check=False)
    except subprocess.TimeoutExpired:
        raise IngestError(f"{source}: OCR of page {number} took longer than {timeout:.0f} s ({command[0]})") from None
    except OSError as exc:
        raise IngestError(f"{source}: OCR could not run {command[0]} ({exc.strerror or exc})") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise IngestError(f"{source}: OCR of page {number} failed ({command[0]}: {detail[0][:160]})")
    return done.stdout.decode("utf-8", "replace")
