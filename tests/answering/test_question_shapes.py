"""Question shapes read in any domain: definitions, values asked for, yes/no through conditions."""

from assistant.answering.evidence import covers_event, gather
from assistant.answering.question import answer_type, defined_term
from assistant.answering.sentence_checks import defines, type_satisfied
from assistant.answering.soft_match import SoftMatch
from assistant.answering.yesno import main_clauses, polarity
from assistant.models import Chunk, Hit
from assistant.text import stem
from tests.conftest import FakeEmbedder


def test_the_term_a_definition_question_asks_about() -> None:
    assert defined_term("What is a widget in Frobnix?") == "widget"
    assert defined_term('What does the term "overlay" refer to?') == "overlay"
    assert defined_term("What does the QUIET flag mean for the loader?") == "quiet"
    assert defined_term("Earlier on, what is a spool file?") == "spool file"
    assert defined_term("What does it mean that scripts must be idempotent?") is None
    assert defined_term("What is the largest value allowed in the size field?") is None
    assert defined_term("What is the maximum number of characters allowed in a name?") is None


def test_sentences_that_define_a_term() -> None:
    assert defines("widget", "A widget is a small reusable part of a form.")
    assert defines("spool", "The directory that holds pending jobs is called the spool.")
    assert defines("quiet", "QUIET\nsuppress every message except errors.")
    assert defines("quiet", "QUIET (since 2.1)\nSuppress every message except errors.")
    assert not defines("quiet", "QUIET\nAs for load().")  # a cross-reference, not a definition
    assert not defines("widget", "Widget is released under the MIT license.")
    assert not defines("widget", "Widgets can contain other widgets.")


def test_a_definition_wins_over_sentences_that_only_mention_the_term() -> None:
    text = (
        "Frobnix ships many widgets and every widget can be themed. "
        "A widget is a small reusable part of a form. "
        "Widgets are listed in the catalogue."
    )
    chunk = Chunk(id="c1", source="guide.txt", text=text, start=0, end=len(text), title="Guide")
    ev = gather("What is a widget?", [Hit(chunk=chunk, score=1.0, dense=0.5)], FakeEmbedder())
    assert ev.sentences[0].text.startswith("A widget is a small")


def test_a_value_noun_asks_for_a_number() -> None:
    assert answer_type("What octal value does the mode bit have?") == "number"
    assert answer_type("Which port does the client connect to by default?") == "number"
    assert answer_type("What is the default compression level used by the tool?") == "number"
    assert answer_type("Which version naming convention should I use?") != "number"
    assert answer_type("What value should I pass?") == "number"


def test_a_manual_section_reference_is_not_a_number() -> None:
    question = "What is the buffer size for pipe writes?"
    assert not type_satisfied("number", question, "Writes larger than the buffer are split (see pipe(7)).")
    assert type_satisfied("number", question, "The buffer holds 4096 bytes (see pipe(7)).")


def test_a_path_counts_as_one_thing_the_sentence_must_state() -> None:
    question = "What is the default value of /proc/sys/net/core/widgetconn?"
    soft = SoftMatch(question, FakeEmbedder())
    assert covers_event(question, "The default value in this file is 4096.", soft)  # 2 of 3 things, not 2 of 7


def test_negations_in_conditions_do_not_deny_the_statement() -> None:
    sentence = "Plugins that ask for donations are fine, provided that they do not claim that not donating is wrong."
    assert "not" not in main_clauses(sentence).split()
    assert polarity("Can a plugin that asks for donations be included?", sentence) == "Yes"
    assert polarity("Is the file created if it does not exist?", "If the file does not exist, it is created.") == "Yes"
    assert polarity("Does the hook run if the build fails?", "The hook runs whether or not it fails.") == "Yes"
    assert polarity("Does copy() overwrite the target?", "If the target exists, it will not be overwritten.") == "No"


def test_prefixed_irregular_verbs_stem_to_their_verb() -> None:
    assert stem("overwritten") == "overwrite"
    assert stem("rebuilt") == "rebuild"


def test_a_when_clause_before_the_question_proper_does_not_ask_for_a_date() -> None:
    assert answer_type("When the search ends, what criterion decides which model it returns?") != "date"
    assert answer_type("When was the committee formed?") == "date"


def test_which_version_with_an_event_asks_for_a_number() -> None:
    assert answer_type("In which version was the walrus operator introduced?") == "number"
    assert answer_type("If a translation contradicts the original, which version should I follow?") != "number"
    question = "In which version was the walrus operator introduced?"
    assert not type_satisfied("number", question, "The operator takes one or more operands.")
    assert type_satisfied("number", question, "The operator was added in version 3.8.")


def test_a_list_of_ordinals_asks_for_one_of_them() -> None:
    assert answer_type("What's the number of this round of talks - first, second, third?") == "other"
    assert answer_type("What is the number of this round of talks?") == "number"
