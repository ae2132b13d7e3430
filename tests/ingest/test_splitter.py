"""Chunks carry exact offsets and stable ids."""

from assistant.ingest.loaders import load
from assistant.ingest.splitter import split
from tests.conftest import SEED_FILE


def test_every_chunk_text_equals_document_slice() -> None:
    doc = load(SEED_FILE, "seed.txt", 2**20)
    chunks = split(doc, size=300, overlap=1)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
    assert chunks[0].start == 0 and chunks[-1].end == len(doc.text.rstrip())


def test_ids_are_stable_and_unique() -> None:
    doc = load(SEED_FILE, "seed.txt", 2**20)
    first, second = split(doc), split(doc)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    other = load(SEED_FILE, "elsewhere.txt", 2**20)
    assert not {c.id for c in split(other)} & {c.id for c in first}


def test_chunks_respect_size_and_sentences() -> None:
    doc = load(SEED_FILE, "seed.txt", 2**20)
    for chunk in split(doc, size=400, overlap=0):
        assert len(chunk.text) <= 400 or "\n" not in chunk.text
        assert not chunk.text[0].islower()


def test_a_single_endless_line_is_cut_into_bounded_chunks() -> None:
    from assistant.models import Document

    text = ("word " * 40_000).strip() + "x" * 3000
    chunks = split(Document(source="long.txt", text=text), size=500, overlap=1)
    assert len(chunks) > 400
    assert max(len(c.text) for c in chunks) <= 1000
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
