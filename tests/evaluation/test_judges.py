"""The LLM citation judge, with a fake generator: verdicts, caching, fallback to the verifier, the record."""

from collections.abc import Iterator, Sequence

import pytest

from assistant.errors import GeneratorError
from assistant.evaluation.judges import LLMJudge, describe, parse_verdict
from assistant.evaluation.metrics import citation_score
from assistant.evaluation.report import markdown
from assistant.evaluation.runner import evaluate
from assistant.models import Answer, GenerationInput
from assistant.prompts import load_prompt
from assistant.settings import Settings
from tests.evaluation.test_metrics import PASSAGES, word_judge

PROMPT = load_prompt(Settings().prompts_dir, "judge")


class FakeLLM:
    """Answers the judge's question by word overlap, or with a scripted reply; records what it was asked."""

    def __init__(self, reply: str | None = None, fail: bool = False, name: str = "fake") -> None:
        self.reply, self.fail, self.name = reply, fail, name
        self.asked: list[GenerationInput] = []

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield 'Yes' or 'No' (with a reason), or raise like an unreachable endpoint."""
        self.asked.append(data)
        if self.fail:
            raise GeneratorError("The language model at http://127.0.0.1:9 is unreachable")
        statement = data.question.split('"')[1]
        verdict = word_judge(statement, [text for _, text in data.evidence])
        yield from (self.reply or ("Yes, source 1 says so [1]." if verdict else "No, it does not [1].")).split(" ")


class CountingVerifier:
    """Stands in for the verifier; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, claim: str, passages: Sequence[str]) -> bool:
        self.calls += 1
        return word_judge(claim, passages)


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("Yes [1].", True),
        ("No.", False),
        ("The statement is not supported [1].", False),
        ("Yes, there is no doubt [1].", True),
        ("Supported by [1].", True),
        ("Istanbul [1].", None),
    ],
)
def test_parse_verdict(reply: str, verdict: bool | None) -> None:
    assert parse_verdict(reply) is verdict


def test_llm_judge_scores_citations_like_alce() -> None:
    llm, verifier = FakeLLM(), CountingVerifier()
    judge = LLMJudge(llm, PROMPT, verifier)
    score = citation_score("Darchiyev leads the russian delegation [1][3].", PASSAGES, judge)
    assert (score.supported, score.citations, score.relevant) == (1, 2, 1)  # the wrong [3] lowers precision
    assert verifier.calls == 0 and judge.fallbacks == 0
    first = llm.asked[0]
    assert "Darchiyev leads the russian delegation" in first.question and "Yes or No" in first.question
    assert first.evidence == [(1, PASSAGES[1]), (2, PASSAGES[3])]
    assert describe(judge)["name"] == "llm"


def test_llm_judge_asks_each_question_once() -> None:
    llm = FakeLLM()
    judge = LLMJudge(llm, PROMPT, CountingVerifier())
    assert judge("coulter leads", [PASSAGES[2]]) and judge("coulter leads", [PASSAGES[2]])
    assert len(llm.asked) == 1


def test_failing_llm_falls_back_to_the_verifier_and_says_so() -> None:
    llm, verifier = FakeLLM(fail=True), CountingVerifier()
    judge = LLMJudge(llm, PROMPT, verifier)
    score = citation_score("Darchiyev leads the russian delegation [1]. Coulter leads the sky [2].", PASSAGES, judge)
    assert (score.sentences, score.supported) == (2, 1)  # the verifier's verdicts
    assert len(llm.asked) == 1 and verifier.calls >= 2  # after the first error the LLM is not asked again
    record = describe(judge)
    assert record["name"] == "verifier" and record["requested"] == "llm" and "unreachable" in record["error"]
    assert f"verifier judged {record['fallbacks']} of {record['judgements']}" in record["description"]


def test_reply_without_yes_or_no_falls_back_for_that_judgement() -> None:
    judge = LLMJudge(FakeLLM(reply="Istanbul [1]."), PROMPT, CountingVerifier())
    assert judge("coulter leads the american delegation", [PASSAGES[2]])
    assert judge.unparsed == 1 and not judge.error and describe(judge)["name"] == "verifier"


def test_extractive_generator_is_not_used_as_a_judge() -> None:
    llm = FakeLLM(name="extractive")
    judge = LLMJudge(llm, PROMPT, CountingVerifier())
    assert judge("coulter leads", [PASSAGES[2]]) and not llm.asked
    assert "not a language model" in describe(judge)["description"]


def test_report_records_the_judge() -> None:
    item = {"id": "f1", "question": "Who leads?", "answers": ["Darchiyev"], "unanswerable": False}
    reply = Answer(question="Who leads?", answer="Darchiyev leads the russian delegation [1].", abstained=False)
    judge = LLMJudge(FakeLLM(), PROMPT, CountingVerifier())
    data = evaluate(lambda q, h: reply, [item], judge, "fake", progress=False).to_json()
    assert data["judge"]["name"] == "llm" and data["judge"]["requested"] == "llm"
    assert "judged by **llm**" in markdown(data)
    plain = evaluate(lambda q, h: reply, [item], word_judge, "fake", progress=False).to_json()
    assert plain["judge"]["name"] == "verifier"
