"""Sentences read in context: lead-ins with their block, idf weights, document subjects, code questions."""

from pathlib import Path

from assistant.answering.evidence import coverage, subject_fit
from assistant.answering.question import asks_code
from assistant.answering.sentence_checks import shows_code
from assistant.models import Chunk, Hit
from assistant.retrieval.lexical import LexicalIndex
from assistant.text import answer_spans, content_terms


def test_a_lead_in_ending_in_a_colon_takes_its_block() -> None:
    text = "To create one, run the module with the path:\n\npython3 -m venv demo-env\n\nThat is all."
    spans = [text[s:e] for s, e in answer_spans(text)]
    assert spans[0].endswith("python3 -m venv demo-env") and spans[-1] == "That is all."


def test_code_questions_and_code_text() -> None:
    assert asks_code("What command creates a virtual environment?")
    assert asks_code("Which option turns on verbose output?")
    assert not asks_code("Who chairs the committee?")
    assert shows_code("ln -sf widget /usr/bin/widget-config") and shows_code("$ make install")
    assert not shows_code("The committee meets twice a year.")


def _chunk(i: int, text: str, source: str = "a.md", title: str = "") -> Chunk:
    return Chunk(id=f"c{i}", source=source, text=text, start=0, end=len(text), title=title)


def test_rare_words_weigh_more(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    texts = [f"The widget stores settings in file number {i}." for i in range(9)] + [
        "The widget is named after a bird."
    ]
    index.add([_chunk(i, t) for i, t in enumerate(texts)])
    assert index.term_weights("widget bird", least_chunks=50) == {}  # ten passages: rarity means nothing yet
    weights = index.term_weights("widget bird unknownword", least_chunks=5)
    assert weights["unknownword"] == 1.0 > weights["bird"] > weights["widget"] >= 0.0
    question = content_terms("What is the widget named after bird")
    plain, weighted = coverage(question, texts[0]), coverage(question, texts[0], idf=weights)
    assert weighted < plain  # the common word alone earns less once rarity counts


def test_the_document_named_in_the_question_wins() -> None:
    hits = [
        Hit(chunk=_chunk(0, "x", "docs/widget.md", "Widget - a tool"), score=1.0),
        Hit(chunk=_chunk(1, "y", "docs/gadget.md", "Gadget"), score=0.9),
    ]
    fit = subject_fit("What license is Widget distributed under?", hits)
    assert fit == {"docs/widget.md": 1.0, "docs/gadget.md": 0.75}
    assert subject_fit("What license is it distributed under?", hits) == {}


def test_technical_answers_satisfy_where_and_which() -> None:
    from assistant.answering.question import answer_type
    from assistant.answering.sentence_checks import new_literals, type_satisfied

    assert type_satisfied("place", "Where is the history kept?", "It is saved into a file named .widget_history.")
    assert new_literals("Which file?", "customized via a ~/.widgetrc file.", paths_only=True) == {"~/.widgetrc"}
    assert new_literals("What error does write give?", "EPIPE fd is connected to a closed pipe.") == {"EPIPE"}
    assert new_literals("Does deque work?", "use collections.deque instead") == {"collections.deque"}
    assert not new_literals("Where will the fair be held?", "The fair opens Thursday in the town hall.", True)
    assert answer_type("When does the fair open?") == "date"
    assert answer_type("Where and when does the fair open?") == "date"
    assert answer_type("What do I type instead of M-b when editing a line?") == "other"
