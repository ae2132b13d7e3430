"""A generator that chooses among the best evidence sentences: its choice quoted, its 0 believed, its nonsense
ignored; and the parsing of its reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.answering.attach import finish
from assistant.answering.choices import chosen
from assistant.answering.verify import Verdict
from assistant.models import Answer, Chunk, Hit
from assistant.service import Assistant
from assistant.settings import GeneratorProfile, Settings
from tests.answering.test_reading import Reader

CHOOSER = GeneratorProfile(reads="choices", prompt="choose", believe_abstention=True, abstain_threshold=0.0)


def _ask(index: Path, reply: str, question: str) -> tuple[Any, Reader]:
    """Ask with a scripted chooser; the answer and the chooser."""
    assistant = Assistant(Settings(index_dir=index, profiles={"reader": CHOOSER}))
    reader = Reader(reply)
    assistant._generators["reader"] = reader
    return assistant.ask(question, generator="reader"), reader


def _choice_of(reader: Reader, words: str) -> int:
    """The number the chooser was shown for the sentence holding these words."""
    return next(n for n, _, text in reader.seen[0].passages if words in text)


def test_the_chooser_sees_numbered_sentences_with_their_sections(index: Path) -> None:
    _, reader = _ask(index, "1", "How long are archives kept?")
    passages = reader.seen[0].passages
    assert [n for n, _, _ in passages] == list(range(1, len(passages) + 1)) and len(passages) <= CHOOSER.choices
    assert all(where.startswith("Backup tool manual") for _, where, _ in passages)
    assert all("\n" not in text for _, _, text in passages)  # one sentence each, not a chunk


def test_the_chosen_sentence_is_quoted_even_when_it_was_not_the_best(index: Path) -> None:
    question = "How long are archives kept?"
    _, probe = _ask(index, "1", question)
    wanted = _choice_of(probe, "older than 30 days")
    other = next(n for n, _, text in probe.seen[0].passages if "30 days" not in text)
    for choice in (wanted, other):  # whichever it names is what is quoted
        answer, reader = _ask(index, f"{choice}", question)
        text = next(t for n, _, t in reader.seen[0].passages if n == choice)
        assert text.rstrip(".")[:40] in answer.answer and answer.draft_outcome == "kept"
        assert answer.citations and answer.citations[0].quote_start is not None


def test_zero_is_believed_as_an_abstention(index: Path) -> None:
    answer, _ = _ask(index, "0", "Which cipher encrypts the backup archives?")
    assert answer.abstained and answer.draft_outcome == "abstained" and not answer.citations


def test_a_reply_naming_no_choice_quotes_the_best_evidence(index: Path) -> None:
    answer, reader = _ask(index, "I think the archive is kept for a while.", "How long are archives kept?")
    assert not answer.abstained and answer.draft_outcome == "replaced" and "a while" not in answer.answer
    assert "".join(reader.seen[0].passages[0][2].split())[:30] in "".join(answer.answer.split())
    assert any("named no sentence" in note for note in answer.notes)


@pytest.mark.parametrize(("reply", "count", "expected"), [
    ("3", 8, 3), ("Sentence 2.", 8, 2), ("0", 8, 0), ("9", 8, None), ("none", 8, None), ("[4]", 5, 4),
    ("2\nbecause sentence 7 says so", 8, 2),
])
def test_the_choice_in_a_reply(reply: str, count: int, expected: int | None) -> None:
    assert chosen(reply, count) == expected


def test_an_index_in_a_quote_is_no_citation_marker() -> None:
    chunk = Chunk(id="c1", source="a.txt", text="sys.argv[0] is the script name.", start=0, end=31)
    base = Answer(question="q", answer="", abstained=True, backend="x")
    answer = finish(base, Verdict(text="sys.argv[0] is the script name [1]."), [Hit(chunk=chunk, score=1.0)], "", {})
    assert answer.answer == "sys.argv[0] is the script name [1]." and len(answer.citations) == 1
