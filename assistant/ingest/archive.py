"""Zip-based formats (DOCX, PPTX, XLSX, EPUB): the zip directory checked before any parser reads a member."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import IngestError

MAX_UNZIPPED_BYTES = 256 * 2**20  # all members together, as the zip directory declares them
MAX_MEMBERS = 10_000
MAX_RATIO = 500  # uncompressed / compressed size of one large member (deflate tops out near 1000)
_RATIO_FLOOR = 2**20  # members smaller than this are never refused for their ratio
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: password-protected OOXML, or .doc/.xls/.ppt
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _mb(size: int) -> str:
    """A byte count as a short MB figure."""
    return f"{size / 2**20:.3g} MB"


def check_zip(data: bytes, source: str, kind: str) -> None:
    """Refuse what is not a sound zip of sane size: not a zip, encrypted, too many members, a zip bomb."""
    if data.startswith(_CFB_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise IngestError(f"{source}: password-protected {kind}; save it without a password and add it again")
        raise IngestError(f"{source}: an old binary Office file, not {kind}; save it as {kind} and add it again")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError(f"{source}: not a valid {kind} file (damaged or not a zip archive: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise IngestError(f"{source}: {len(members)} parts inside, more than the {MAX_MEMBERS}-part limit for {kind}")
    if any(member.flag_bits & 0x1 for member in members):
        raise IngestError(f"{source}: encrypted {kind}; save it without a password and add it again")
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED_BYTES:
        raise IngestError(f"{source}: unpacks to {_mb(total)}, more than the {_mb(MAX_UNZIPPED_BYTES)} limit "
                          f"for {kind} (a zip bomb?)")
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            raise IngestError(f"{source}: part {member.filename!r} unpacks {ratio} times larger than it is stored, "
                              f"more than the {MAX_RATIO}x limit (a zip bomb?)")


@contextmanager
def reading(source: str, kind: str) -> Iterator[None]:
    """Turn whatever a third-party parser raises on a malformed file into an IngestError naming the file.

    The parsers' warnings (unsupported extensions, missing styles) say nothing a reader can act on: silenced.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except IngestError:
        raise
    except Exception as exc:  # parsers of untrusted files raise anything; the file is then refused
        raise IngestError(f"{source}: unreadable {kind} ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
