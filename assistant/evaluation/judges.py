"""Citation-support judges for the evaluation: the project's verifier, or the configured LLM asked yes/no."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from assistant.evaluation.metrics import Judge
from assistant.models import GenerationInput
from assistant.prompts import Prompt
from assistant.protocols import Generator

log = logging.getLogger(__name__)
VERIFIER = (
    "the project's verifier (names, numbers and content words in the cited passages, "
    "and semantic closeness to a cited sentence)"
)
_NO = re.compile(r"\b(no|not supported|unsupported|does not support|doesn't support)\b", re.I)
_YES = re.compile(r"\b(yes|supported|supports)\b", re.I)


def parse_verdict(reply: str) -> bool | None:
    """Yes -> True, No -> False, whichever the reply says first; None when it says neither."""
    no, yes = _NO.search(reply), _YES.search(reply)
    if no and (not yes or no.start() <= yes.start()):
        return False
    return True if yes else None


class LLMJudge:
    """Asks a generator whether cited passages support a sentence; falls back to the verifier when it cannot."""

    def __init__(self, generator: Generator, prompt: Prompt, fallback: Judge) -> None:
        self.generator = generator
        self.prompt = prompt
        self.fallback = fallback
        self.judgements = 0
        self.fallbacks = 0
        self.unparsed = 0
        self.error = "" if generator.name != "extractive" else "the extractive generator is not a language model"
        self._cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    def __call__(self, claim: str, passages: Sequence[str]) -> bool:
        """Do the passages together support the claim? (each distinct question is asked once)"""
        key = (claim, tuple(passages))
        if key not in self._cache:
            self._cache[key] = self._judge(claim, passages)
        return self._cache[key]

    def _judge(self, claim: str, passages: Sequence[str]) -> bool:
        """The LLM's verdict, or the verifier's when the LLM errs or gives no yes/no."""
        self.judgements += 1
        verdict = None if self.error or not passages else self._ask(claim, passages)
        if verdict is None:
            self.fallbacks += 1
            return self.fallback(claim, passages)
        return verdict

    def _ask(self, claim: str, passages: Sequence[str]) -> bool | None:
        """One yes/no question through the Generator protocol; an error switches the LLM judge off."""
        data = GenerationInput(
            question=self.prompt.render(sentence=claim),
            evidence=[(n, " ".join(p.split())) for n, p in enumerate(passages, start=1)],
            kind="yesno",
        )
        try:
            reply = "".join(self.generator.stream(data))
        except Exception as exc:  # noqa: BLE001 - any failure: the verifier judges the rest of the run
            self.error = f"{exc.__class__.__name__}: {exc}"
            log.warning("LLM judge failed (%s); the verifier judges from now on", self.error)
            return None
        verdict = parse_verdict(reply)
        self.unparsed += verdict is None
        return verdict

    def describe(self) -> dict[str, Any]:
        """Which judge was used, for report.json."""
        asked = self.judgements - self.fallbacks
        name = "llm" if not self.fallbacks else ("verifier" if not asked else "llm+verifier")
        text = f"the {self.generator.name} generator asked yes/no per sentence and cited passages (prompts/judge.txt)"
        if self.fallbacks:
            why = self.error or "replies without a yes or no"
            text += f"; the verifier judged {self.fallbacks} of {self.judgements} ({why})"
        return {
            "name": name,
            "requested": "llm",
            "description": text,
            "judgements": self.judgements,
            "fallbacks": self.fallbacks,
            "error": self.error,
        }


def describe(judge: Judge | None) -> dict[str, Any]:
    """report.json's record of the judge: the LLM judge describes itself, anything else is the verifier."""
    if isinstance(judge, LLMJudge):
        return judge.describe()
    return {"name": "verifier", "requested": "verifier", "description": VERIFIER}
