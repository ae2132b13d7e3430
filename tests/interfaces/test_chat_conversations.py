"""Chat UI: the saved-conversation store (create, list, rename, delete, export, per user) and the sidebar list."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from assistant.interfaces.chat.conversations import (
    FILE_NAME,
    Conversation,
    ConversationStore,
    Turn,
    citation_record,
    file_name,
    source_line,
    to_markdown,
)
from assistant.interfaces.chat.sidebar import render_conversations
from assistant.models import Answer, Chunk, Citation

DOC = "# Tides\n\n## Gauges\n\nThe north gauge read four metres at noon. The south gauge was broken.\n"


def _answer(question: str = "What did the north gauge read?") -> Answer:
    """A verified answer citing one sentence of DOC, with a section heading in force."""
    start = DOC.index("The north")
    chunk = Chunk(
        id="c1", source="/data/uploads/tides.md", text=DOC[start:], start=start, end=len(DOC), title="Tides",
        outline=[(0, 1, "Tides"), (DOC.index("## Gauges"), 2, "Gauges")],
    )
    end = DOC.index(" The south")
    citation = Citation(id=1, chunk=chunk, score=0.9, quote_start=start, quote_end=end)
    return Answer(question=question, answer="The north gauge read four metres at noon [1].", abstained=False,
                  citations=[citation])


def _turn(question: str = "What did the north gauge read?") -> Turn:
    """A turn as the UI saves it."""
    return Turn.from_answer(question, _answer(question), "<div class='ans'>html</div>", "<section>src</section>")


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    """A store in the index folder."""
    return ConversationStore.in_index(tmp_path / "index")


def test_store_lives_in_the_index_folder(store: ConversationStore, tmp_path: Path) -> None:
    assert store.path == tmp_path / "index" / FILE_NAME and store.path.is_file()


def test_create_add_turns_and_get_them_back(store: ConversationStore) -> None:
    made = store.create("", "  What did the\nnorth gauge read?  ")
    assert made.title == "What did the north gauge read?"
    assert store.add_turn(made.id, "", _turn()) and store.add_turn(made.id, "", _turn("And the south one?"))
    got = store.get(made.id, "")
    assert got is not None
    assert [t.question for t in got.turns] == ["What did the north gauge read?", "And the south one?"]
    first = got.turns[0]
    assert first.answer_html == "<div class='ans'>html</div>" and first.sources_html == "<section>src</section>"
    assert first.citations[0]["quote"] == "The north gauge read four metres at noon."
    assert first.citations[0]["section"] == "Tides › Gauges" and first.citations[0]["id"] == 1
    assert first.history() == [
        {"role": "user", "content": "What did the north gauge read?"},
        {"role": "assistant", "content": "The north gauge read four metres at noon [1]."},
    ]


def test_replace_last_turn_keeps_the_others(store: ConversationStore) -> None:
    made = store.create("", "q")
    store.add_turn(made.id, "", _turn("first"))
    store.add_turn(made.id, "", _turn("second"))
    store.add_turn(made.id, "", _turn("second, edited"), replace_last=True)
    got = store.get(made.id, "")
    assert got is not None and [t.question for t in got.turns] == ["first", "second, edited"]


def test_list_is_newest_first_and_a_new_turn_moves_a_conversation_up(store: ConversationStore) -> None:
    old = store.create("", "old")
    time.sleep(0.01)
    new = store.create("", "new")
    assert [c.title for c in store.conversations("")] == ["new", "old"]
    time.sleep(0.01)
    store.add_turn(old.id, "", _turn())
    assert [c.id for c in store.conversations("")] == [old.id, new.id]


def test_rename_and_delete(store: ConversationStore) -> None:
    made = store.create("", "first question")
    store.add_turn(made.id, "", _turn())
    assert store.rename(made.id, "", "  Gauge readings ")
    assert store.conversations("")[0].title == "Gauge readings"
    assert not store.rename(made.id, "", "   ")  # a blank title keeps the old one
    assert store.conversations("")[0].title == "Gauge readings"
    assert store.delete(made.id, "") and store.conversations("") == [] and store.get(made.id, "") is None
    with sqlite3.connect(store.path) as db:  # its turns went with it
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    assert not store.delete(made.id, "")


def test_conversations_belong_to_their_user(store: ConversationStore) -> None:
    alice = store.create("alice", "alice's question")
    store.create("bob", "bob's question")
    assert [c.title for c in store.conversations("alice")] == ["alice's question"]
    assert [c.title for c in store.conversations("")] == []  # no login: not the users' conversations either
    assert store.get(alice.id, "bob") is None
    assert not store.add_turn(alice.id, "bob", _turn())
    assert not store.rename(alice.id, "bob", "mine now") and not store.delete(alice.id, "bob")
    assert store.export_markdown(alice.id, "bob") is None
    assert store.get(alice.id, "alice") is not None and store.conversations("alice")[0].title == "alice's question"


def test_export_markdown_has_answers_and_numbered_sources(store: ConversationStore) -> None:
    made = store.create("", "What did the north gauge read?")
    store.add_turn(made.id, "", _turn())
    text = store.export_markdown(made.id, "")
    assert text is not None and text.startswith("# What did the north gauge read?\n")
    assert "## 1. What did the north gauge read?" in text
    assert "The north gauge read four metres at noon [1]." in text
    assert "- [1] Tides (tides.md › Tides › Gauges): “The north gauge read four metres at noon.”" in text
    assert "south gauge" not in text  # the quoted sentence only, not the whole passage


def test_export_of_an_abstention_has_no_sources_list() -> None:
    answer = Answer(question="Who?", answer="The documents don't say.", abstained=True)
    turn = Turn.from_answer("Who?", answer, "", "")
    text = to_markdown(Conversation("x", "", "Who?", 0.0, 0.0, [turn]))
    assert "The documents don't say." in text and "Sources" not in text


def test_citation_record_names_the_page_of_a_pdf() -> None:
    record = citation_record(_answer().citations[0])
    record["page"] = 3
    assert source_line(record).startswith("- [1] Tides (tides.md, page 3 › Tides › Gauges)")


def test_download_name_is_safe() -> None:
    assert file_name(Conversation("x", "", "../../etc/passwd <b>", 0.0, 0.0)) == "etcpasswd-b.md"
    assert file_name(Conversation("x", "", "???", 0.0, 0.0)) == "conversation.md"


def test_browser_secret_is_made_once(store: ConversationStore, tmp_path: Path) -> None:
    assert store.secret() == ConversationStore.in_index(tmp_path / "index").secret() and len(store.secret()) > 20


def test_sidebar_list_escapes_titles_and_marks_the_current_one(store: ConversationStore) -> None:
    hostile = store.create("", '<img src=x onerror="alert(1)"> ${x} {{y}}')
    other = store.create("", "plain")
    html = render_conversations(store.conversations(""), hostile.id)
    assert "<img" not in html and "${" not in html and "{{" not in html
    assert html.count('aria-current="true"') == 1 and f'data-id="{hostile.id}"' in html
    assert f'data-id="{other.id}"' in html
    assert html.index("plain") < html.index("&lt;img")  # newest first
    assert "No saved conversations" in render_conversations([], None)
