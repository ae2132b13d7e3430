"""The verifier keeps supported sentences and catches invented names and numbers."""

from assistant.answering.evidence import Evidence
from assistant.answering.verify import verify
from assistant.models import Chunk, GenerationInput, Hit, Sentence
from assistant.settings import VerifySettings
from tests.conftest import FakeEmbedder

PASSAGE = (
    "Russia's newly appointed ambassador to the United States, Alexander Darchiyev, and U.S. Deputy "
    "Assistant Secretary of State Sonata Coulter will lead their respective delegations, the ministry said."
)
OTHER = "Darchiyev and Coulter last met in Istanbul on Feb. 27 to discuss their diplomatic missions."


def _evidence() -> tuple[Evidence, dict[str, int]]:
    embedder = FakeEmbedder()
    hits = [Hit(Chunk("c1", "a.txt", PASSAGE, 0, len(PASSAGE)), 1.0), Hit(Chunk("c2", "a.txt", OTHER, 500, 590), 0.5)]
    sentences = [Sentence(h.chunk.text, h.chunk.start, h.chunk.end, h, 1.0 - i / 10) for i, h in enumerate(hits)]
    for s, v in zip(sentences, embedder.embed([s.text for s in sentences]), strict=True):
        s.vector = v
    return Evidence(sentences, 0.9, "person"), {"c1": 1, "c2": 2}


OPTIONS = VerifySettings(support_threshold=0.3, min_token_support=0.6)
DATA = GenerationInput("Who leads the Russian delegation?", [(1, PASSAGE), (2, OTHER)], "person")


def test_supported_sentence_is_kept_and_cited() -> None:
    evidence, numbers = _evidence()
    draft = "Alexander Darchiyev, Russia's newly appointed ambassador, will lead the delegation."
    verdict = verify(draft, DATA, evidence, FakeEmbedder(), OPTIONS, numbers)
    assert not verdict.fell_back
    assert verdict.text == draft.rstrip(".") + " [1]."


def test_hallucinated_name_is_caught() -> None:
    evidence, numbers = _evidence()
    draft = "Sergei Ivanov, Russia's newly appointed ambassador, will lead the delegation."
    verdict = verify(draft, DATA, evidence, FakeEmbedder(), OPTIONS, numbers)
    assert verdict.fell_back and "Ivanov" not in verdict.text
    assert verdict.text == f"{PASSAGE} [1]"
    assert any("Ivanov" in note for note in verdict.notes)


def test_hallucinated_number_is_caught() -> None:
    evidence, numbers = _evidence()
    draft = "Darchiyev and Coulter last met in Istanbul on Feb. 29 to discuss their missions. Darchiyev will lead."
    verdict = verify(draft, DATA, evidence, FakeEmbedder(), OPTIONS, numbers)
    assert "Feb. 29" not in verdict.text
    assert any("Feb. 29" in note for note in verdict.notes)


def test_model_markers_are_replaced_by_our_attribution() -> None:
    evidence, numbers = _evidence()
    draft = (
        "Darchiyev and Coulter will lead their respective delegations [2]. "
        "They last met in Istanbul on Feb. 27 [1]."
    )
    verdict = verify(draft, DATA, evidence, FakeEmbedder(), OPTIONS, numbers)
    assert verdict.text.startswith("Darchiyev and Coulter will lead their respective delegations [1].")
    assert "Feb. 27 [2]." in verdict.text


def test_title_answer_must_give_a_title() -> None:
    evidence, numbers = _evidence()
    data = GenerationInput("What is Sonata Coulter's title?", [(1, PASSAGE)], "other")
    wrong = "Sonata Coulter will lead the U.S. delegation in the talks with Russia."
    assert verify(wrong, data, evidence, FakeEmbedder(), OPTIONS, numbers).fell_back
    right = "Sonata Coulter is U.S. Deputy Assistant Secretary of State and will lead the delegation."
    assert not verify(right, data, evidence, FakeEmbedder(), OPTIONS, numbers).fell_back


def test_misquotes_are_caught() -> None:
    from assistant.answering.verify import misquotes

    passage = 'The talks would focus strictly on "stabilizing the operations of our bilateral missions."'
    assert misquotes('They focus on "stabilizing operations" only.', passage)
    assert not misquotes('They focus on "stabilizing the operations of our bilateral missions".', passage)
    assert not misquotes("They focus on embassy work.", passage)


def test_a_no_rests_on_both_passages_that_settle_it() -> None:
    from assistant.answering.extractive import extractive_answer

    first = "The second round of talks will take place Thursday in Istanbul."
    second = "The ministry said it will mark the second round of negotiations."
    data = GenerationInput("Is Thursday's meeting the first round?", [(1, second), (2, first)], "yesno")
    answer = extractive_answer(data)
    assert answer.startswith("No — ") and "[1]" in answer and "[2]" in answer
    yes = GenerationInput("Is Thursday's meeting the second round?", [(1, second), (2, first)], "yesno")
    assert "[2]" not in extractive_answer(yes)  # a Yes quotes its best passage only


def test_a_bracketed_range_is_no_citation_marker() -> None:
    from assistant.answering.verify import strip_markers

    assert strip_markers("It must be in the range [0, 999999999] [1].") == "It must be in the range [0, 999999999]."
    assert strip_markers("Both say so [1, 2]. Then [3]") == "Both say so. Then"


def test_a_claim_takes_its_words_from_its_sentence_and_the_two_around_it() -> None:
    from assistant.answering.verify import _around, _grounded
    from assistant.models import Chunk, Hit, Sentence

    text = ("The widget starts at dawn. It reads the crate list first. Then it sorts every crate by weight. "
            "Much later, a loop in the harbour office retries the failed blocks.")
    chunk = Chunk(id="c", source="w.txt", text=text, start=100, end=100 + len(text))
    at = text.index("It reads")
    hit = Hit(chunk=chunk, score=1.0)
    sent = Sentence(text="It reads the crate list first.", start=100 + at, end=100 + at + 30, hit=hit)
    near = _around(sent)
    assert near.startswith("The widget starts") and near.endswith("by weight.")  # not the last sentence
    assert _grounded("The widget reads the crate list at dawn.", text, 0.75, near)
    claim = "The widget reads the crate list and retries failed blocks in the harbour office."
    assert _grounded(claim, text, 0.6)  # every word is somewhere in the chunk
    assert not _grounded(claim, text, 0.6, near)  # but "retries failed blocks … harbour office" is not near it
    invented = "The widget reads the crate list first, sorts every crate by weight at dawn, loves green ocean tunnels."
    assert _grounded(invented, text, 0.6)  # most of its words are there
    assert not _grounded(invented, text, 0.6, near)  # but "loves green ocean tunnels" is the model's own
