"""Sentence splitting and term helpers."""

from assistant.text import content_terms, names, numbers, polarity, sentence_spans, split_sentences


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
