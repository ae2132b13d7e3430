"""Date reasoning: parsing, weekday and year resolution, day differences, refusals, and the ask path."""

from datetime import date
from pathlib import Path

import pytest

from assistant.answering.date_answers import answer_dates, citations
from assistant.answering.dates import (
    DateQuestion,
    explicit_dates,
    infer_year,
    mentions,
    pair_splits,
    parse_question,
    publication_date,
    resolve_weekday,
)
from assistant.models import Chunk, Hit, Sentence
from assistant.service import Assistant
from assistant.settings import Settings

TUESDAY = date(2025, 4, 8)


def _doc(*texts: str, dated: str = "April 08, 2025", source: str = "news.txt") -> list[Sentence]:
    """Sentences of one synthetic document whose first line is its date."""
    body = "\n\n".join((dated, *texts))
    chunk = Chunk(id=f"{source}-0", source=source, text=body, start=0, end=len(body), date=dated)
    hit = Hit(chunk=chunk, score=1.0, dense=0.5)
    out, at = [], len(dated) + 2
    for text in texts:
        out.append(Sentence(text=text, start=at, end=at + len(text), hit=hit))
        at += len(text) + 2
    return out


def _none(text: str) -> list[Hit]:
    return []


def _ask(question: str, *texts: str, dated: str = "April 08, 2025") -> str | None:
    result = answer_dates(question, _doc(*texts, dated=dated), _none)
    return citations(result)[0] if result else None


def test_recognises_date_questions_only() -> None:
    assert parse_question("On what date will the talks take place?").kind == "date"
    assert parse_question("When exactly did they meet?").kind == "date"
    assert parse_question("What day of the week did they meet?").kind == "weekday"
    days = parse_question("How many days passed between the summit and the vote?")
    assert days == DateQuestion("days", ["the summit and the vote"], 0)
    after = parse_question("How many days after the announcement are the talks scheduled?")
    assert after.sides == ["the announcement", "are the talks scheduled"] and after.sign == 1
    assert parse_question("How many days before the article's publication did they meet?").sign == -1
    for other in ("When did they meet?", "Who leads the talks?", "How many attended?", "How long did it last?"):
        assert parse_question(other) is None
    assert pair_splits("the summit and the vote") == [("the summit", "the vote")]


def test_explicit_dates_and_year_inference() -> None:
    found = [d for _, _, d, _ in explicit_dates("on Feb. 18, on 3 March 2024, on 2025-01-02, on Sept. 9th", TUESDAY)]
    assert found == [date(2025, 2, 18), date(2024, 3, 3), date(2025, 1, 2), date(2025, 9, 9)]
    assert publication_date("April 08, 2025") == TUESDAY and publication_date("") is None
    assert infer_year(12, 30, date(2025, 1, 5), None) == date(2024, 12, 30)  # closest year
    assert infer_year(12, 30, date(2025, 1, 5), "future") == date(2025, 12, 30)
    assert infer_year(2, 29, date(2025, 4, 8), None) == date(2024, 2, 29)  # only a leap year has it
    assert explicit_dates("on Feb. 30", TUESDAY) == [] and explicit_dates("on Feb. 18", None) == []


def test_weekday_resolution_past_and_future() -> None:
    assert resolve_weekday(3, TUESDAY, "future") == date(2025, 4, 10)
    assert resolve_weekday(1, TUESDAY, "past") == TUESDAY  # "said Tuesday" on a Tuesday
    assert resolve_weekday(4, TUESDAY, "past") == date(2025, 4, 4)
    assert resolve_weekday(4, TUESDAY, None) is None  # no tense: do not guess
    [sentence] = _doc("The talks will take place Thursday in Rome, the ministry said Tuesday.")
    days = sorted((m.sentence.text[m.start : m.end], m.day) for m in mentions(sentence))
    assert days == [("Thursday", date(2025, 4, 10)), ("Tuesday", TUESDAY)]


def test_date_and_weekday_answers_cite_their_working() -> None:
    text = "The second round of talks will take place Thursday in Rome, the ministry said Tuesday."
    answer = _ask("On what date will the second round of talks take place?", text)
    assert answer.startswith("April 10, 2025") and "[1]" in answer and "April 08, 2025" in answer
    assert _ask("On what date did the ministry announce the talks?", text).startswith("April 8, 2025")
    met = "Smith and Jones last met in Vienna on Feb. 27 to discuss trade."
    assert _ask("On what day of the week did Smith and Jones meet in Vienna?", met).startswith("Thursday")


def test_day_differences() -> None:
    texts = (
        "The talks will take place Thursday in Rome, the ministry said Tuesday.",
        "Smith and Jones last met in Vienna on Feb. 27 to discuss trade.",
        "The decision came after Brown and Green met in Oslo on Feb. 18.",
    )
    assert _ask("How many days passed between the Brown-Green meeting and the Smith-Jones meeting?", *texts).startswith(
        "9 days"
    )
    assert _ask("How many days after the ministry's announcement are the talks scheduled?", *texts).startswith("2 days")
    assert _ask("How many days before the article's publication did Brown and Green meet?", *texts).startswith(
        "49 days"
    )


@pytest.mark.parametrize(
    "question",
    [
        "On what date is the third round of talks scheduled?",  # a different ordinal
        "On what date was Smith appointed ambassador?",  # who matches, what does not
        "On what date did the summit in Paris take place?",  # nothing about it
    ],
)
def test_refuses_without_a_confident_date(question: str) -> None:
    texts = ("The second round of talks will take place Thursday in Rome.", "Smith and Jones met on Feb. 27.")
    assert _ask(question, *texts) is None


def test_refuses_when_two_dates_fit_equally() -> None:
    texts = ("The summit was held on March 3.", "The summit was held on March 5.")
    assert _ask("On what date was the summit held?", *texts) is None


def test_refuses_relative_dates_without_a_document_date() -> None:
    assert _ask("On what date will the talks take place?", "The talks will take place Thursday.", dated="") is None


def test_ask_answers_a_date_question_with_citations(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest([seed_copy], progress=False)
    answer = assistant.ask("On what date will the second round of talks take place?", generator="extractive")
    assert not answer.abstained and answer.answer.startswith("April 10, 2025") and answer.citations
    assert "[1]" in answer.answer
    for c in answer.citations:
        assert c.quote_start is not None and c.quote_end is not None
        assert c.chunk.start <= c.quote_start < c.quote_end <= c.chunk.end
    other = assistant.ask("Who will lead their respective delegations?", generator="extractive")
    assert "Darchiyev" in other.answer


def test_publication_questions_and_days_of_saying() -> None:
    assert parse_question("When was the article published?") == DateQuestion("date", ["the article's publication"])
    assert parse_question("what date was this story written") is not None
    published = _ask("When was the article published?", "The talks will take place Thursday in Rome.")
    assert published is not None and published.startswith("April 8, 2025") and "[1]" in published
    talks = _ask(
        "What day of the week are the Rome talks?",
        "Later on Tuesday, the ministry confirmed the talks would go ahead in Rome.",
        "The talks will take place Thursday in Rome.",
    )
    assert talks is not None and talks.startswith("Thursday")  # Tuesday is when the ministry spoke
