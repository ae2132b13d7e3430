"""End to end with the real embedder, real Chroma and the real local LLM on the seed article."""

from __future__ import annotations

import pytest

from assistant.service import Assistant

pytestmark = pytest.mark.integration


def test_who_leads_the_russian_delegation(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("Who leads the Russian delegation?")
    assert not answer.abstained and answer.backend == "local"
    assert "Darchiyev" in answer.answer and "[1]" in answer.answer
    cited = answer.citations[0]
    assert "Darchiyev" in cited.chunk.text
    document = real_assistant.document(cited.chunk.source)
    assert document is not None
    for c in answer.citations:
        assert document["text"][c.chunk.start : c.chunk.end] == c.chunk.text


def test_follow_up_uses_the_conversation(real_assistant: Assistant) -> None:
    history = [
        {"role": "user", "content": "Who leads the Russian delegation?"},
        {"role": "assistant", "content": "Alexander Darchiyev leads the Russian delegation [1]."},
    ]
    answer = real_assistant.ask("And the American one?", history=history)
    assert "American" in answer.standalone_question
    assert not answer.abstained and "Coulter" in answer.answer


@pytest.mark.parametrize(
    "question",
    ["What is the recommended dose of ibuprofen for an adult?", "What is the capital of Australia?"],
)
def test_off_topic_questions_abstain(real_assistant: Assistant, question: str) -> None:
    answer = real_assistant.ask(question)
    assert answer.abstained and not answer.citations and "don't say" in answer.answer


def test_streaming_yields_pieces_then_the_verified_answer(real_assistant: Assistant) -> None:
    events = list(real_assistant.ask_stream("Where will the second round of talks take place?"))
    pieces = [e for e in events if isinstance(e, str)]
    assert len(pieces) > 1 and "".join(pieces).strip()
    final = events[-1]
    assert not isinstance(final, str) and "Istanbul" in final.answer



def test_closing_a_stream_stops_the_local_model(real_assistant: Assistant) -> None:
    """A Stop or a client that leaves closes the draft stream; llama.cpp then stops at its next token."""
    server = real_assistant.generator("local").warm_up()
    request = {"messages": [{"role": "user", "content": "Write a very long story about a dragon."}], "max_tokens": 200}
    seen: list[object] = []
    server._server.handle_chat_completions({**request, "stream": True}, lambda chunk: seen.append(chunk) or True)
    assert len(seen) == 1  # the contract chat_stream relies on: a callback returning True ends generation
    pieces = server.chat_stream(request)
    assert [next(pieces) for _ in range(3)]
    pieces.close()
    assert len(list(server.chat_stream(request))) > 20  # unstopped, the model does write a long draft
