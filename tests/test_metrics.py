"""Metric code on hand-made cases with known scores."""

from collections.abc import Sequence

import pytest

from assistant.evaluate import compare
from assistant.metrics import (
    citation_score,
    cited_sentences,
    contains_answer,
    evidence_rank,
    evidence_recall,
    token_f1,
)


def word_judge(claim: str, passages: Sequence[str]) -> bool:
    """Supported when every word of the claim occurs in the passages (a transparent stand-in judge)."""
    have = set(" ".join(passages).lower().replace(".", "").split())
    return all(w in have for w in claim.lower().replace(".", "").split())


PASSAGES = {
    1: "darchiyev leads the russian delegation",
    2: "coulter leads the american delegation",
    3: "the sky is blue",
}


def test_containment_is_whole_word_and_normalised() -> None:
    assert contains_answer("It is Alexander Darchiyev [1].", ["alexander darchiyev"])
    assert contains_answer("No — Ukraine is not on the agenda [1]", ["no"])
    assert not contains_answer("Nothing is known.", ["no"])
    assert contains_answer("The Istanbul talks", ["istanbul"])


def test_token_f1_known_values() -> None:
    assert token_f1("Alexander Darchiyev", ["Alexander Darchiyev"]) == 1.0
    assert token_f1("Darchiyev", ["Alexander Darchiyev"]) == pytest.approx(2 / 3)
    assert token_f1("Sonata Coulter", ["Alexander Darchiyev"]) == 0.0


def test_retrieval_rank_and_recall() -> None:
    passages = ["nothing here", "Darchiyev and Coulter last met in Istanbul on Feb. 27.", "more"]
    assert evidence_rank(passages, ["last met in Istanbul"]) == 2
    assert evidence_rank(passages, ["absent span"]) is None
    assert evidence_recall(passages, ["last met in Istanbul", "absent span"]) == 0.5


def test_markers_attach_to_their_sentence() -> None:
    assert cited_sentences("A b [1]. C d [2][3].") == [("A b .", [1]), ("C d .", [2, 3])]


def test_correct_citations_score_full_marks() -> None:
    score = citation_score("Darchiyev leads the russian delegation [1].", PASSAGES, word_judge)
    assert (score.sentences, score.supported, score.citations, score.relevant) == (1, 1, 1, 1)


def test_wrong_extra_citation_lowers_precision() -> None:
    score = citation_score("Darchiyev leads the russian delegation [1][3].", PASSAGES, word_judge)
    assert score.supported == 1 and score.citations == 2 and score.relevant == 1  # precision 0.5


def test_only_wrong_citation_lowers_recall_and_precision() -> None:
    score = citation_score("Darchiyev leads the russian delegation [2].", PASSAGES, word_judge)
    assert (score.supported, score.relevant) == (0, 0)


def test_uncited_sentence_lowers_recall() -> None:
    answer = "Darchiyev leads the russian delegation [1]. Coulter leads the american delegation."
    score = citation_score(answer, PASSAGES, word_judge)
    assert (score.sentences, score.supported) == (2, 1)  # recall 0.5


def test_citation_needed_only_jointly_counts_as_relevant() -> None:
    answer = "darchiyev and coulter lead the russian and american delegation [1][2]."
    passages = {1: "darchiyev and the russian delegation lead", 2: "coulter and the american delegation"}
    score = citation_score(answer, passages, word_judge)
    assert score.supported == 1 and score.relevant == 2


def test_compare_flags_drops_beyond_tolerance() -> None:
    base = {"accuracy": 0.6, "wrong_abstain_rate": 0.3, "citation_precision": 1.0, "latency_p50_s": 1.0}
    assert compare({**base, "accuracy": 0.57}, base, 0.05) == []
    drops = compare({**base, "accuracy": 0.5, "wrong_abstain_rate": 0.4}, base, 0.05)
    assert len(drops) == 2 and drops[0].startswith("accuracy") and drops[1].startswith("wrong_abstain_rate")
    assert compare({**base, "latency_p50_s": 9.0}, base, 0.05) == []  # latency is reported, not gated
