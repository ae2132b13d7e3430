"""Follow-ups made standalone: a phrase standing for part of the last question, a pronoun, a whole new question."""

from __future__ import annotations

from assistant.retrieval.condense import condense
from tests.conftest import FakeEmbedder

HISTORY = [{"role": "user", "content": "Which port does the mail daemon listen on?"},
           {"role": "assistant", "content": "The mail daemon listens on port 25 [1]."}]


def test_a_whole_question_after_and_is_not_spliced_into_the_last_one() -> None:
    asked = "And what user does the daemon run as?"
    assert condense(asked, HISTORY, FakeEmbedder()).startswith(asked)  # kept whole (a pronoun-free question)
    asked = "And what does it log?"
    assert condense(asked, HISTORY, FakeEmbedder()).startswith(asked + " (about: ")  # "it": the last turn's names


def test_a_short_phrase_after_and_stands_for_part_of_the_last_question() -> None:
    standalone = condense("And the web daemon?", HISTORY, FakeEmbedder())
    assert standalone != "And the web daemon?" and "port" in standalone and "web" in standalone
    assert "port" in condense("What about the web daemon?", HISTORY, FakeEmbedder())
    assert "daemon" in condense("And May?", HISTORY, FakeEmbedder())  # a name, not "may": still spliced in


def test_a_question_whose_one_stands_for_the_last_noun_is_still_spliced() -> None:
    assert "daemon" in condense("And who runs the web one?", HISTORY, FakeEmbedder())


def test_a_bare_question_word_asks_it_of_the_last_question() -> None:
    standalone = condense("And why?", HISTORY, FakeEmbedder())
    assert standalone == "And why? (about: Which port does the mail daemon listen on?)"


def test_without_history_the_question_is_its_own() -> None:
    assert condense("And what does it log?", [], FakeEmbedder()) == "And what does it log?"


def test_a_follow_up_carries_the_last_questions_numbers_and_identifiers_with_its_names() -> None:
    history = [
        {"role": "user", "content": "Which user account does UID 65534 belong to?"},
        {"role": "assistant", "content": "UID 65534 is the user nobody, set on Feb. 18 [1]."},
    ]
    said = condense("And what group does its gid refer to?", history, FakeEmbedder())
    assert said.endswith("(about: UID 65534 Feb)")  # the question's number, not the answer's "18"
    bare = [{"role": "user", "content": "What does paste() put between its arguments by default?"}]
    said = condense("And how do I change that?", bare, FakeEmbedder())
    assert said.endswith("(about: What does paste() put between its arguments by default?)")  # no name: all of it
