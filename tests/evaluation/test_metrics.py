"""Metric code on hand-made cases with known scores."""

from collections.abc import Sequence
from typing import Any

import pytest

from assistant.evaluation.metrics import (
    citation_score,
    cited_sentences,
    contains_answer,
    evidence_rank,
    evidence_recall,
    token_f1,
)
from assistant.evaluation.runner import Outcome, Report, compare
from assistant.models import Answer


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


def _outcome(
    unanswerable: bool, answer: str, abstained: bool, seconds: float, rank: int | None = None, **extra: Any
) -> Outcome:
    """A hand-made outcome: the answer text, whether it abstained, its latency and the evidence rank."""
    item = {"question": "q", "answers": ["Istanbul"], "unanswerable": unanswerable}
    reply = Answer(question="q", answer=answer, abstained=abstained, **extra)
    return Outcome(item, reply, seconds, rank=rank, recall=1.0 if rank else 0.0)


def test_headline_known_values() -> None:
    outcomes = [
        _outcome(False, "In Istanbul [1].", False, 1.0, 1, tokens=20, timings_ms={"generate": 1000.0}),
        _outcome(False, "Istanbul [1].", False, 2.0, 2, tokens=15, timings_ms={"generate": 500.0}),
        _outcome(False, "In Paris [1].", False, 3.0, None),  # wrong; the generator reported no tokens
        _outcome(False, "The documents don't say.", True, 4.0, 4),  # wrongly abstained
        _outcome(True, "The documents don't say.", True, 5.0),  # rightly abstained
        _outcome(True, "In Ankara [1].", False, 10.0),  # should have abstained
    ]
    head = Report(outcomes, "fake").headline()
    assert head["accuracy"] == 0.5  # 2 of 4 answerable
    assert head["abstain_precision"] == 0.5  # 2 abstentions, 1 on an unanswerable question
    assert head["abstain_recall"] == 0.5  # 1 of 2 unanswerable
    assert head["wrong_abstain_rate"] == 0.25  # 1 of 4 answerable
    assert head["recall_at_k"] == 0.75
    assert head["mrr"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 4) / 4, abs=1e-3)
    assert (head["latency_p50_s"], head["latency_p95_s"]) == (3.0, 10.0)  # nearest rank of [1, 2, 3, 4, 5, 10]
    assert head["tokens_per_s"] == 25.0  # median of 20/s and 30/s; answers without tokens left out
    assert compare({**head, "tokens_per_s": 1.0}, head, 0.05) == []  # throughput is reported, not gated


def test_headline_without_token_counts_has_no_rate() -> None:
    head = Report([_outcome(False, "Istanbul [1].", False, 1.0, 1)], "extractive").headline()
    assert "tokens_per_s" not in head and head["accuracy"] == 1.0
