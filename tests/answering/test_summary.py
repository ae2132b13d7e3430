"""Document-level questions: which ones, which document, and which of its sentences make the summary."""

from pathlib import Path

import pytest

from assistant.answering.summary import overview_request, title_match
from assistant.service import Assistant
from assistant.settings import Settings

KETTLE = """Kettle Manual

The electric kettle heats a litre of water to boiling point in about four minutes on a standard socket.
It switches itself off.
Always place the kettle on its base before switching it on, because the base supplies the power.

Cleaning

Descale the kettle every month with a mixture of vinegar and water to remove the white mineral deposits.
    $ descale --now --force
The warranty covers the heating element and the base for two full years from the date of purchase.
"""
TOASTER = """Toaster Guide

The toaster browns two slices of bread at a time using six different heat settings on the front dial.
Crumbs collect in a removable tray at the bottom that should be emptied after every few uses.
"""


@pytest.mark.parametrize(
    ("question", "count", "points", "subject"),
    [
        ("Summarize the article in two sentences", 2, False, []),
        ("What are the main points?", 5, True, []),
        ("What is this document about?", 3, False, []),
        ("Give me a summary of the kettle manual", 3, False, ["kettle"]),
        ("List the 3 key points of the section on cleaning", 3, True, ["cleaning"]),
        ("Can you sum up the toaster guide?", 3, False, ["toaster"]),
    ],
)
def test_overview_questions_are_read(question: str, count: int, points: bool, subject: list[str]) -> None:
    request = overview_request(question)
    assert request is not None
    assert (request.count, request.points, [w.lower() for w in request.subject]) == (count, points, subject)


@pytest.mark.parametrize(
    "question",
    ["How long does the kettle take to boil?", "What does the warranty cover?", "Who wrote the summary?",
     "What does the summary table list for the base?", "What is the point of descaling?",
     "What does the log command summarize?", "How do I embed a gist in a page?", "How do I sum up a column?",
     "Which page gives an overview of the options?"],
)
def test_other_questions_are_not_overviews(question: str) -> None:
    assert overview_request(question) is None


def test_title_match_needs_a_clear_winner() -> None:
    titles = {"/a": "Kettle Manual", "/b": "Toaster Guide", "/c": "Kettle Notes"}
    assert title_match(["toaster"], titles) == "/b"
    assert title_match(["kettle"], titles) is None  # two kettle titles: a tie
    assert title_match(["kettle", "manual"], titles) == "/a"


@pytest.fixture
def assistant(fake_settings: Settings, tmp_path: Path) -> Assistant:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.txt").write_text(KETTLE)
    (folder / "toaster.txt").write_text(TOASTER)
    a = Assistant(fake_settings)
    a.ingest([folder], progress=False)
    return a


def test_summary_of_a_named_document_cites_its_own_sentences(assistant: Assistant) -> None:
    kettle = [s for s in assistant.documents() if s.endswith("kettle.txt")]
    answer = assistant.ask("Summarize it in two sentences", generator="extractive", sources=kettle)
    assert not answer.abstained and answer.citations
    assert {c.chunk.source for c in answer.citations} == set(kettle)
    text = assistant.document(kettle[0])["text"]
    for c in answer.citations:  # each citation quotes a sentence of the document, exactly
        assert text[c.quote_start : c.quote_end] in answer.answer
    assert "descale --now" not in answer.answer and "It switches" not in answer.answer
    assert answer.answer.count("[") == 2


def test_summary_without_a_document_asks_which(assistant: Assistant) -> None:
    answer = assistant.ask("What are the main points?", generator="extractive")
    assert answer.abstained and "Which document" in answer.answer and "Toaster Guide" in answer.answer
    data = answer.to_dict()  # every interface serialises it
    assert data["citations"] == [] and data["backend"] == "extractive"


def test_summary_of_an_empty_index_says_so(fake_settings: Settings) -> None:
    from assistant.errors import IndexEmptyError

    with pytest.raises(IndexEmptyError, match="Nothing is indexed"):
        Assistant(fake_settings).ask("Summarize the document", generator="extractive")


def test_an_empty_scope_is_refused(assistant: Assistant) -> None:
    from assistant.errors import QuestionError

    with pytest.raises(QuestionError, match="at least one document"):
        assistant.ask("Summarize the guide", generator="extractive", sources=[])


def test_summary_names_its_document_by_title(assistant: Assistant) -> None:
    answer = assistant.ask("What are the main points of the toaster guide?", generator="extractive")
    assert not answer.abstained and answer.answer.startswith("- ")
    assert all(c.chunk.source.endswith("toaster.txt") for c in answer.citations)
    assert answer.to_dict()["citations"] and answer.backend == "extractive"
