"""Bad questions get a clear reply and leave the index intact."""

from pathlib import Path

import pytest

from assistant.errors import QuestionError
from assistant.service import Assistant
from assistant.settings import Settings


@pytest.fixture
def assistant(fake_settings: Settings, seed_copy: Path) -> Assistant:
    a = Assistant(fake_settings)
    a.ingest([seed_copy], progress=False)
    return a


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "type a question"),
        ("  \n\t ", "type a question"),
        ("why " * 30_000, "too long"),
        ("\x00\x01\x02", "type a question"),
    ],
)
def test_refused_with_a_clear_message(assistant: Assistant, question: str, message: str) -> None:
    with pytest.raises(QuestionError) as err:
        assistant.ask(question, generator="extractive")
    assert message in err.value.user_message().lower()


@pytest.mark.parametrize(
    "question",
    [
        "🙂🙂🙂 ❓",
        "من يقود الوفد الروسي؟",
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        "'; DROP TABLE passages; -- OR 1=1",
        'passages MATCH "*" OR NEAR(a b)',
        "Who\x07 leads the\x1b[31m Russian delegation?",
    ],
)
def test_odd_questions_are_answered_or_abstained(assistant: Assistant, question: str) -> None:
    before = (assistant.store.ids(), assistant.lexical.ids())
    answer = assistant.ask(question, generator="extractive")
    assert answer.abstained or answer.citations
    assert "\x1b" not in answer.question and "\x07" not in answer.question
    assert (assistant.store.ids(), assistant.lexical.ids()) == before
