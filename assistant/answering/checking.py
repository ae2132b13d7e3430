"""A generator's reply checked the way its profile says: a draft, sentence by sentence, or a chosen sentence."""

from __future__ import annotations

from dataclasses import replace

from assistant.answering.choices import chosen, put_first
from assistant.answering.evidence import Evidence
from assistant.answering.extractive import extractive_answer
from assistant.answering.reading import says_not_found, without_token
from assistant.answering.verify import Verdict, verify, verify_claims
from assistant.models import GenerationInput
from assistant.protocols import Embedder
from assistant.settings import GeneratorProfile, VerifySettings


def check_reply(
    reply: str, data: GenerationInput, evidence: Evidence, embedder: Embedder, options: VerifySettings,
    number_of: dict[str, int], profile: GeneratorProfile,
) -> tuple[Verdict | None, str]:
    """The verdict and what became of the reply (kept, corrected, replaced); None when an abstention is believed."""
    if profile.reads == "choices":
        return _checked_choice(reply, data, evidence, embedder, options, number_of, profile)
    if profile.believe_abstention and says_not_found(reply, profile.abstain_token):
        return None, "abstained"
    if profile.check == "claims":
        claims = without_token(reply, profile.abstain_token)
        verdict = verify_claims(claims, data, evidence, embedder, options, number_of, profile.on_topic_top)
    else:
        verdict = verify(reply, data, evidence, embedder, options, number_of)
    return verdict, verdict.outcome


def _checked_choice(
    reply: str, data: GenerationInput, evidence: Evidence, embedder: Embedder, options: VerifySettings,
    number_of: dict[str, int], profile: GeneratorProfile,
) -> tuple[Verdict | None, str]:
    """The chosen sentence quoted and checked like an extractive answer; 0 is "none answers"."""
    choice = chosen(reply, len(data.passages))
    if choice == 0 and profile.believe_abstention:
        return None, "abstained"
    if choice:
        evidence = put_first(evidence, choice)
        best = evidence.sentences[: len(data.evidence)]
        data = replace(data, evidence=[(number_of[s.hit.chunk.id], s.text) for s in best], passages=[])
    verdict = verify(extractive_answer(data), data, evidence, embedder, options, number_of)
    if not choice:
        verdict.notes.append("The model named no sentence; the best evidence is quoted.")
    return verdict, "kept" if choice else "replaced"  # a fallback quotes the chosen sentence too
