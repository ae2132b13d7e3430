"""The extractive generator: quotes the best evidence sentence, no language model."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answering.trim import short_quote
from assistant.answering.yesno import decisive, polarity
from assistant.models import GenerationInput


def extractive_answer(data: GenerationInput) -> str:
    """Quote the best evidence sentence with its citation (Yes/No first), cut to its answering clause if long."""
    if not data.evidence:
        return ""
    number, sentence = data.evidence[0]
    if data.kind == "yesno":
        said = polarity(data.question, " ".join(sentence.split()))
        return f"{said} — {short_quote(sentence, data.question, data.kind)} [{number}]{_also_settles(data, said)}"
    return f"{short_quote(sentence, data.question, data.kind)} [{number}]"


def _also_settles(data: GenerationInput, said: str) -> str:
    """A "No" often rests on two passages ("the second round" twice): quote the runner-up too when it agrees."""
    if said != "No" or len(data.evidence) < 2 or not decisive(data.question, data.evidence[0][1]):
        return ""
    number, sentence = data.evidence[1]
    if number == data.evidence[0][0] or not decisive(data.question, sentence):
        return ""
    if polarity(data.question, sentence) != said:
        return ""
    return f" Also: {' '.join(sentence.split())} [{number}]"


class ExtractiveGenerator:
    """Selects and quotes evidence; never invents."""

    name = "extractive"

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the quoted answer in one piece."""
        yield extractive_answer(data)
