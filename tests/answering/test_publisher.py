"""The outlet that published a document, read from its web address."""

from assistant.answering.publisher import answer_publisher, asks_publisher, outlet_name
from assistant.models import Chunk, Hit, Sentence
from assistant.text import words

URL = "https://www.themoscowtimes.com/2025/04/08/us-russia-embassy-talks-a88658"


def _sentence(text: str) -> Sentence:
    chunk = Chunk(id="c1", source="a.txt", text=text, start=0, end=len(text), title="Talks Set, Moscow Says")
    return Sentence(text=text, start=0, end=len(text), hit=Hit(chunk=chunk, score=1.0))


def test_which_outlet_questions() -> None:
    assert asks_publisher("Which English-language outlet published this piece, judging by its web address?")
    assert asks_publisher("what newspaper is this article from")
    assert not asks_publisher("Which news agency reported the ministry's confirmation?")  # TASS, in the text
    assert not asks_publisher("Who leads the Russian delegation?")


def test_domain_split_into_words() -> None:
    vocabulary = {w.lower() for w in words("The Moscow talks")} | {"times", "the"}
    assert outlet_name("themoscowtimes", vocabulary) == "The Moscow Times"
    assert outlet_name("xqzv", vocabulary) is None


def test_answer_cites_the_web_address() -> None:
    answer = answer_publisher("Which outlet ran this piece?", [_sentence(URL)], lambda text: [])
    assert answer is not None and answer.text.startswith("The Moscow Times: ")
    assert "themoscowtimes.com" in answer.text and answer.sentences[0].text == URL
    assert answer_publisher("Which outlet ran this piece?", [_sentence("No address here.")], lambda text: []) is None
