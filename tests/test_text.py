"""Sentence splitting and term helpers."""

from assistant.answering.yesno import polarity
from assistant.text import content_terms, names, numbers, sentence_spans, split_sentences


def test_abbreviations_do_not_end_sentences() -> None:
    text = "U.S. Deputy Assistant Secretary Sonata Coulter met him on Feb. 27 in Istanbul. Then they left."
    assert split_sentences(text) == [
        "U.S. Deputy Assistant Secretary Sonata Coulter met him on Feb. 27 in Istanbul.",
        "Then they left.",
    ]


def test_spans_index_the_original_text() -> None:
    text = "First one.  Second one!\n\nThird, a paragraph"
    spans = sentence_spans(text, offset=10)
    assert [text[s - 10 : e - 10] for s, e in spans] == ["First one.", "Second one!", "Third, a paragraph"]


def test_names_numbers_terms() -> None:
    sentence = "Alexander Darchiyev met Coulter on Feb. 27, 2025 in Istanbul."
    assert {"alexander", "darchiyev", "coulter", "istanbul"} <= names(sentence)
    assert numbers(sentence) == {"27", "2025"}
    assert "the" not in content_terms("the talks in Istanbul")


def test_polarity() -> None:
    assert polarity("Is Ukraine on the agenda?", "Ukraine is not on the agenda.") == "No"
    assert polarity("Is this the first round?", "The second round of talks will take place.") == "No"
    assert polarity("Was it held in Istanbul?", "They met in Saudi Arabia on Feb. 18.") == "No"
    assert polarity("Did they meet in Istanbul?", "Darchiyev and Coulter last met in Istanbul.") == "Yes"


def test_country_forms_abbreviations_and_compounds() -> None:
    from assistant.text import stem, words

    assert words("US-Russia talks in mid-February") == ["U.S", "Russia", "talks", "in", "mid", "February"]
    assert words("tit-for-tat") == ["tit-for-tat"] and "us" not in [w.lower() for w in words("tell us")][:1]
    assert stem("Feb.") == stem("February") == "february" and stem("Dept") == "department"


def test_recase_names_from_the_passages() -> None:
    from assistant.text import recase

    text = "Then Lavrov met Rubio in Istanbul. The Kremlin said the ministry agreed. Talks Set For Thursday In Rome"
    assert recase("did lavrov meet in istanbul", [text]) == "did Lavrov meet in Istanbul"
    assert recase("who leads the ukrainian side", [text]) == "who leads the Ukrainian side"  # a country, always
    assert recase("what did the ministry say", [text]) == "what did the ministry say"  # also written lower-case
    assert recase("when are talks set", [text]) == "when are talks set"  # a title-case heading proves nothing


def test_a_line_break_inside_a_sentence_does_not_split_it() -> None:
    from assistant.text import split_sentences

    text = "They last met on Feb. 27 to discuss the operations of\n\ntheir missions after years of expulsions.\n\nNext."
    assert split_sentences(text) == [text[: text.index("\n\nNext")], "Next."]


def test_polarity_needs_a_contradicting_thing_of_the_same_kind() -> None:
    from assistant.answering.yesno import polarity
    from assistant.text import strip_idioms

    met = "Lavrov and Rubio met in Saudi Arabia on Feb. 18."
    assert polarity("Did Lavrov and Rubio meet in Istanbul?", met) == "No"  # another place stated
    assert polarity("Did Lavrov meet Coulter?", met) == "No"  # another person stated
    peskov = '"Our side will be represented by the Foreign Ministry," Kremlin spokesman Dmitry Peskov said.'
    assert polarity("According to Peskov, will Russia be represented by its Foreign Ministry?", peskov) == "Yes"
    assert strip_idioms("Why, in the first place, if any, did they meet?") == "Why, did they meet?"


def test_ambassador_to_a_country_is_not_where_an_event_is() -> None:
    from assistant.answering.yesno import polarity

    both = "Russia's ambassador to the United States, Alexander Darchiyev, will lead the delegation."
    assert polarity("Is Darchiyev leading the Russian delegation at the Istanbul talks?", both) == "Yes"
    assert polarity("Was the meeting held in Moscow?", "They met in Istanbul on Feb. 27.") == "No"


def test_months_in_lower_case_contradict_other_months() -> None:
    from assistant.answering.yesno import polarity

    assert polarity("did trump take office in june", "Trump took office in January.") == "No"
    assert polarity("did trump take office in january", "Trump took office in January.") == "Yes"


def test_a_possessive_is_stripped_however_short_the_name() -> None:
    from assistant.text import stem

    assert stem("Q's") == "q" and stem("X’s") == "x" and stem("Widget's") == "widget"
    assert names("How do I call base Q's transpose?") == {"q"}
    assert content_terms("Q's editor") == ["q", "editor"]
