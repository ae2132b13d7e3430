"""Short quotes: a long evidence sentence cut to the clause that answers, never to one without the answer."""

from assistant.answering.extractive import extractive_answer
from assistant.answering.trim import short_quote
from assistant.models import GenerationInput

LONG = (
    "Programs whose authors encourage the user to make donations are fine for the main distribution, provided "
    "that the authors do not claim that not donating is immoral, unethical, illegal or something similar; in "
    "such a case they must go in non-free."
)


def test_a_short_sentence_is_quoted_whole() -> None:
    assert short_quote("The widget is blue.", "What colour is the widget?", "other") == "The widget is blue."


def test_a_long_sentence_is_cut_to_the_clause_that_answers() -> None:
    quote = short_quote(LONG, "Can a program that asks for donations go into main?", "yesno")  # budget_for: 28
    assert quote == "Programs whose authors encourage the user to make donations are fine for the main distribution…"
    said = short_quote(
        "The synopsis should be kept under 80 characters, so that it displays well in the listings that package "
        "tools show to the people who browse for software to install on their own machines.",
        "How long may the synopsis be?", "duration",
    )
    assert said == "The synopsis should be kept under 80 characters…"


def test_why_how_and_untyped_questions_keep_the_whole_sentence() -> None:
    whole = " ".join(LONG.split())
    assert short_quote(LONG, "Why are such programs fine for main?", "yesno") == whole
    assert short_quote(LONG, "How can such a program go into main?", "yesno") == whole
    assert short_quote(LONG, "What made such programs notable?", "other") == whole  # the answer may be any clause


def test_no_cut_when_the_answering_clause_is_itself_too_long_or_two_clauses_answer() -> None:
    text = (
        'This is normally an optional field, but if the "Maintainer" control field names a group of people and a '
        'shared email address, the "Uploaders" field must be present and must contain at least one human with '
        "their personal email address."
    )
    assert short_quote(text, "Which control field has to name at least one real person?", "entity") == text
    two = (
        "The new ambassador to the United States, Alexander Petrov, and Deputy Secretary of State for the region "
        "Mary Jones will lead their respective delegations in the coming talks, the ministry said on Monday."
    )
    assert short_quote(two, "Who will lead the delegation at the talks?", "person") == two


def test_a_cut_yes_no_quote_still_says_what_its_yes_or_no_says() -> None:
    text = (
        "Note however that T and F are just variables which are set to TRUE and FALSE by default, but are not "
        "reserved words and hence can be overwritten by the user."
    )
    answer = extractive_answer(GenerationInput("Are T and F reserved words?", [(1, text)], kind="yesno"))
    assert answer.startswith("No —") and "not reserved words" in answer
