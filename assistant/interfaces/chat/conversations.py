"""Saved conversations: one SQLite file in the index folder; each belongs to one user ("" without a login)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.models import Answer, Citation

FILE_NAME = "conversations.sqlite"
MAX_TITLE = 200  # characters kept of a title (the first question, or what the user renamed it to)

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE, position INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, answer_html TEXT NOT NULL, sources_html TEXT NOT NULL,
    citations TEXT NOT NULL, abstained INTEGER NOT NULL, created REAL NOT NULL, PRIMARY KEY (conversation, position));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def citation_record(citation: Citation) -> dict[str, Any]:
    """What a stored turn keeps of a citation: enough to list it again (document, section, quoted sentence)."""
    chunk = citation.chunk
    return {
        **citation.to_dict(),
        "date": chunk.date,
        "page": chunk.page,
        "quote": " ".join(citation.quote().split()),
        "quote_start": citation.quote_start,
        "quote_end": citation.quote_end,
    }


@dataclass
class Turn:
    """One answered question: the texts, the HTML shown, and the citations as JSON-ready records."""

    question: str
    answer: str
    answer_html: str
    sources_html: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False

    @classmethod
    def from_answer(cls, question: str, answer: Answer, answer_html: str, sources_html: str) -> Turn:
        """A turn for an Answer and the HTML it was shown with."""
        records = [citation_record(c) for c in answer.citations]
        return cls(question, answer.answer, answer_html, sources_html, records, answer.abstained)

    def history(self) -> list[dict[str, str]]:
        """This turn as OpenAI-style messages (what a follow-up question is condensed with)."""
        return [{"role": "user", "content": self.question}, {"role": "assistant", "content": self.answer}]


@dataclass
class Conversation:
    """A conversation's header, and its turns when it was loaded whole."""

    id: str
    owner: str
    title: str
    created: float
    updated: float
    turns: list[Turn] = field(default_factory=list)


def short_title(question: str) -> str:
    """A title from a question: one line, at most MAX_TITLE characters."""
    title = " ".join((question or "").split())
    return title[:MAX_TITLE] or "Untitled conversation"


class ConversationStore:
    """Conversations and their turns in `<index_dir>/conversations.sqlite`; every call names the owner."""

    def __init__(self, path: Path) -> None:
        """Open (and create) the store at path."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @classmethod
    def in_index(cls, index_dir: Path) -> ConversationStore:
        """The store kept beside an index."""
        return cls(index_dir / FILE_NAME)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation (safe across Gradio's worker threads), committed when it succeeds."""
        db = sqlite3.connect(str(self.path), timeout=10)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        finally:
            db.close()

    def secret(self) -> str:
        """A random key made once per store (the browser's saved conversation id is encrypted with it)."""
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('browser_secret', ?)", (secrets.token_urlsafe(24),))
            return str(db.execute("SELECT value FROM meta WHERE key = 'browser_secret'").fetchone()[0])

    def create(self, owner: str, title: str) -> Conversation:
        """A new, empty conversation."""
        now = time.time()
        conversation = Conversation(secrets.token_hex(8), owner, short_title(title), now, now)
        with self._db() as db:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                (conversation.id, owner, conversation.title, now, now),
            )
        return conversation

    def conversations(self, owner: str) -> list[Conversation]:
        """The owner's conversations, the most recently changed first (without their turns)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id, owner, title, created, updated FROM conversations WHERE owner = ? "
                "ORDER BY updated DESC, created DESC",
                (owner,),
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def get(self, conversation_id: str | None, owner: str) -> Conversation | None:
        """One of the owner's conversations with its turns; None when it is not theirs or does not exist."""
        with self._db() as db:
            row = db.execute(
                "SELECT id, owner, title, created, updated FROM conversations WHERE id = ? AND owner = ?",
                (str(conversation_id or ""), owner),
            ).fetchone()
            if row is None:
                return None
            turns = db.execute(
                "SELECT question, answer, answer_html, sources_html, citations, abstained FROM turns "
                "WHERE conversation = ? ORDER BY position",
                (row[0],),
            ).fetchall()
        found = Conversation(*row)
        found.turns = [Turn(q, a, ah, sh, json.loads(c), bool(ab)) for q, a, ah, sh, c, ab in turns]
        return found

    def add_turn(self, conversation_id: str, owner: str, turn: Turn, replace_last: bool = False) -> bool:
        """Append a turn (or replace the last one: a regenerated or edited question); False if not theirs."""
        now = time.time()
        with self._db() as db:
            if not self._owned(db, conversation_id, owner):
                return False
            last = db.execute(
                "SELECT MAX(position) FROM turns WHERE conversation = ?", (conversation_id,)
            ).fetchone()[0]
            position = last if replace_last and last is not None else (0 if last is None else last + 1)
            db.execute(
                "INSERT OR REPLACE INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, position, turn.question, turn.answer, turn.answer_html, turn.sources_html,
                 json.dumps(turn.citations, ensure_ascii=False), int(turn.abstained), now),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        return True

    def rename(self, conversation_id: str, owner: str, title: str) -> bool:
        """Give a conversation a new title (blank keeps the old one); False if it is not the owner's."""
        title = " ".join((title or "").split())[:MAX_TITLE]
        if not title:
            return False
        with self._db() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conversation_id, owner)
            ).rowcount
        return bool(changed)

    def delete(self, conversation_id: str, owner: str) -> bool:
        """Delete a conversation and its turns; False if it is not the owner's."""
        with self._db() as db:
            return bool(
                db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)).rowcount
            )

    def export_markdown(self, conversation_id: str, owner: str) -> str | None:
        """The conversation as Markdown (None if it is not the owner's)."""
        conversation = self.get(conversation_id, owner)
        return None if conversation is None else to_markdown(conversation)

    @staticmethod
    def _owned(db: sqlite3.Connection, conversation_id: str, owner: str) -> bool:
        """Whether the conversation exists and belongs to owner."""
        row = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner))
        return row.fetchone() is not None


def _one_line(text: Any) -> str:
    """Text on one line (for headings and list items)."""
    return " ".join(str(text or "").split())


def source_line(record: dict[str, Any]) -> str:
    """One numbered source of an exported answer: [n] document (file, page) › section: “quoted sentence”."""
    name = Path(str(record.get("source", ""))).name
    where = f"{name}, page {record['page']}" if record.get("page") else name
    document = _one_line(record.get("title")) or name
    place = " › ".join(x for x in (where, _one_line(record.get("section"))) if x)
    return f"- [{record.get('id')}] {document} ({place}): “{_one_line(record.get('quote'))}”"


def to_markdown(conversation: Conversation, sources_heading: str = "Sources") -> str:
    """A conversation as Markdown: each question, its answer with [n] markers and its numbered sources."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.updated))
    lines = [f"# {_one_line(conversation.title)}", "", f"_Exported from Ask your documents; last changed {stamp}._"]
    for number, turn in enumerate(conversation.turns, start=1):
        lines += ["", f"## {number}. {_one_line(turn.question)}", "", turn.answer.strip()]
        if turn.citations:
            lines += ["", f"**{sources_heading}**", ""] + [source_line(c) for c in turn.citations]
    return "\n".join(lines) + "\n"


def file_name(conversation: Conversation | None, fallback: str = "conversation") -> str:
    """A safe download name for an exported conversation."""
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "" for ch in (conversation.title if conversation else ""))
    return ("-".join(stem.split())[:60] or fallback) + ".md"


def turns_history(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """All turns as OpenAI-style messages."""
    return [message for turn in turns for message in turn.history()]
