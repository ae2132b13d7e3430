"""A verdict made into the Answer the user sees (citations renumbered, quotes attached), and the abstention text."""

from __future__ import annotations

import re

from assistant.answering.verify import Verdict
from assistant.models import Answer, Citation, Hit

_MARKER = re.compile(r"(?<!\w)\[(\d+)\]")  # a citation marker, not an index such as argv[0]


def abstention(question: str) -> str:
    """The message shown when the documents do not answer."""
    return (
        f"The documents don't say. I found no passage in the indexed documents that answers "
        f"“{question.strip()}”."
    )


def finish(base: Answer, verdict: Verdict, hits: list[Hit], draft: str, timings: dict[str, float]) -> Answer:
    """Renumber citations in order of appearance and attach the cited passages."""
    by_number = {n: hit for n, hit in enumerate(hits, start=1)}
    quotes = {s.hit.chunk.id: s for s in verdict.cited}
    order: dict[int, int] = {}
    for match in _MARKER.finditer(verdict.text):
        if int(match.group(1)) in by_number:  # "argv[0]" in a quote, or a number no passage has, is not a marker
            order.setdefault(int(match.group(1)), len(order) + 1)
    text = _MARKER.sub(lambda m: f"[{order.get(int(m.group(1)), m.group(1))}]", verdict.text)
    citations = []
    for old, new in sorted(order.items(), key=lambda kv: kv[1]):
        hit = by_number[old]
        quote = quotes.get(hit.chunk.id)
        citations.append(
            Citation(
                id=new,
                chunk=hit.chunk,
                score=hit.dense,
                quote_start=quote.start if quote else None,
                quote_end=quote.end if quote else None,
            )
        )
    base.answer, base.abstained, base.citations = text, False, citations
    base.notes, base.draft, base.timings_ms = verdict.notes, draft, timings
    return base
