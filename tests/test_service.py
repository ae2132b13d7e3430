"""The ask pipeline with fakes: JSON shape, offsets, abstention, question validation, LLM failure."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import GeneratorError, IndexEmptyError, QuestionError
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ScriptedGenerator

KEYS = {"question", "answer", "abstained", "citations", "backend", "timings_ms"}
CITATION_KEYS = {"id", "source", "title", "section", "text", "start", "end", "score"}


@pytest.fixture
def assistant(fake_settings: Settings, seed_copy: Path) -> Assistant:
    a = Assistant(fake_settings)
    a.ingest([seed_copy], progress=False)
    return a


def test_answer_shape_and_offsets(assistant: Assistant) -> None:
    answer = assistant.ask("Who will lead their respective delegations?", generator="extractive")
    data = answer.to_dict()
    assert set(data) == KEYS and not data["abstained"] and data["backend"] == "extractive"
    assert data["citations"] and all(set(c) == CITATION_KEYS for c in data["citations"])
    assert "[1]" in data["answer"]
    for c in data["citations"]:
        text = assistant.document(c["source"])["text"]
        assert text[c["start"] : c["end"]] == c["text"]


def test_off_topic_question_abstains(assistant: Assistant) -> None:
    answer = assistant.ask("What is the recommended dose of ibuprofen for adults?", generator="extractive")
    assert answer.abstained and answer.citations == [] and "don't say" in answer.answer


def test_invented_answer_is_replaced(assistant: Assistant) -> None:
    assistant._generators["scripted"] = ScriptedGenerator("Vladimir Zhirinovsky will lead the delegations in 1999.")
    answer = assistant.ask("Who will lead their respective delegations?", generator="scripted")
    assert "Zhirinovsky" not in answer.answer and "1999" not in answer.answer
    assert "Darchiyev" in answer.answer and answer.notes


class _Broken:
    name = "broken"

    def stream(self, data: object) -> Iterator[str]:
        raise GeneratorError("connection refused")
        yield ""


def test_failing_generator_falls_back_to_quotes(assistant: Assistant) -> None:
    assistant._generators["broken"] = _Broken()
    answer = assistant.ask("Who will lead their respective delegations?", generator="broken")
    assert not answer.abstained and "Darchiyev" in answer.answer
    assert "showing quoted evidence" in answer.notes[0]


class _BreaksMidway:
    name = "breaks"

    def stream(self, data: object) -> Iterator[str]:
        yield from ["Alexander Darchiyev", " will lead", " the Russian delegation [1]."]
        raise GeneratorError("The language model at http://127.0.0.1:1/v1 stopped mid-answer")


def test_generator_failing_mid_stream_shows_quotes_not_the_partial_draft(assistant: Assistant) -> None:
    question = "Who will lead their respective delegations?"
    assistant._generators["breaks"] = _BreaksMidway()
    pieces = list(assistant.ask_stream(question, generator="breaks"))
    answer = pieces[-1]
    assert "".join(pieces[:-1]) == "Alexander Darchiyev will lead the Russian delegation [1]."
    assert answer.notes[0].endswith("stopped mid-answer; showing quoted evidence instead.")
    assert answer.fallback
    assert answer.draft == "" and answer.answer.endswith(" [1]") and "the Russian delegation" not in answer.answer
    quote = answer.answer.removesuffix(" [1]")  # the best evidence sentence, verbatim
    assert quote in " ".join(answer.citations[0].chunk.text.split())


@pytest.mark.parametrize("question", ["", "   ", "\x00\x07"])
def test_empty_questions_are_refused(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError):
        assistant.ask(question, generator="extractive")


def test_too_long_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(QuestionError, match="too long"):
        assistant.ask("why " * 1000, generator="extractive")


def test_empty_index_says_what_to_do(fake_settings: Settings) -> None:
    with pytest.raises(IndexEmptyError) as err:
        Assistant(fake_settings).ask("Who leads?", generator="extractive")
    assert "assistant ingest" in err.value.user_message()
