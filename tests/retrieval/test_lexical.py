"""BM25 over chunk texts and their headings."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.models import Chunk
from assistant.retrieval import lexical
from assistant.retrieval.lexical import LexicalIndex, heads_of


def _section(n: int, heading: str, text: str) -> Chunk:
    """A chunk of a manual page whose text lies under the given heading."""
    return Chunk(id=f"s{n}", source=f"tool{n}.txt", text=text, start=100, end=100 + len(text),
                 title=f"tool{n}(1) General Commands Manual", outline=[(0, 1, "NAME"), (90, 1, heading)])


def _manual(index: LexicalIndex) -> None:
    """Forty chunks that all say 'tool'; one sits under RETURN VALUE, one under ERRORS."""
    chunks = [_section(n, "DESCRIPTION", f"The tool number {n} copies the input to the output.") for n in range(40)]
    chunks[7] = _section(7, "RETURN VALUE", "On success, zero is given back; otherwise minus one.")
    chunks[9] = _section(9, "ERRORS", "EBADF The descriptor is not open.")
    index.add(chunks)
    index.commit()


def test_a_heading_finds_the_passage_under_it(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    _manual(index)
    assert index.search("What does the tool return?", 1)[0].id == "s7"  # "return" is only in the heading
    assert index.search("Which errors can the tool report?", 1)[0].id == "s9"
    assert index.search("copies input", 3)[0].id not in {"s7", "s9"}  # the text still counts as before


def test_heads_are_the_title_and_the_headings_in_force() -> None:
    chunk = _section(1, "RETURN VALUE", "zero")
    assert heads_of(chunk).split("\n") == ["tool1(1) General Commands Manual", "NAME", "RETURN VALUE"]
    assert heads_of(Chunk(id="x", source="a.txt", text="t", start=0, end=1)) == ""


def _old_index(path: Path) -> None:
    """An index whose passages table is as a version before headings wrote it: one chunk, rowid 41."""
    LexicalIndex(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE passages")
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(id UNINDEXED, source UNINDEXED, meta UNINDEXED, text,"
               " tokenize = 'porter unicode61')")
    meta = json.dumps(_section(3, "RETURN VALUE", "").metadata())
    db.execute("INSERT INTO passages (rowid, id, source, meta, text) VALUES (41, 's3', 'tool3.txt', ?, ?)",
               (meta, "On success, zero is given back."))
    db.execute("INSERT INTO passage_rows (id, row) VALUES ('s3', 41)")
    db.commit()
    db.close()


def test_an_index_written_without_heads_gets_them_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite"
    _old_index(path)
    index = LexicalIndex(path)
    columns = [r[1] for r in index._db.execute("PRAGMA table_info(passages)")]
    assert columns == ["id", "source", "meta", "text", "heads"]
    assert index._db.execute("SELECT rowid, heads FROM passages").fetchall() == [
        (41, "tool3(1) General Commands Manual\nNAME\nRETURN VALUE")
    ]
    assert [c.id for c in index.search("what does it return", 3)] == ["s3"]  # found by its heading
    index.delete(["s3"])  # through the row map, which still points at the same row
    index.commit()
    assert not index.search("zero", 3) and index.count() == 0
    index.close()
    assert LexicalIndex(path).count() == 0  # opened again: nothing to migrate


def test_an_old_index_another_process_is_writing_is_still_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lexical.sqlite"
    _old_index(path)
    monkeypatch.setattr(lexical, "_BUSY_MS", 200)  # do not wait the usual half minute for the lock
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")  # a running ingest holds the write lock
    try:
        index = LexicalIndex(path)
        assert [c.id for c in index.search("zero given back", 3)] == ["s3"]  # by its text, as before
        assert not index.search("what does it return", 3)  # its headings are not indexed yet
        index.close()
    finally:
        other.rollback()
        other.close()
    writer = LexicalIndex(path)  # the next process that may write brings it up to date
    assert [c.id for c in writer.search("what does it return", 3)] == ["s3"]
    writer.add([_section(4, "ERRORS", "EBADF The descriptor is not open.")])  # and writes headings from now on
    assert writer.search("which errors", 3)[0].id == "s4"
