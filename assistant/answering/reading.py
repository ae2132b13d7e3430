"""What a generator that reads whole passages is given, and how its "not in the documents" reply is recognised."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.conflicts import addresses_assistant
from assistant.models import Chunk, Hit
from assistant.text import answer_spans, fold


def passages_for(
    hits: Sequence[Hit], number_of: dict[str, int], budget_chars: int, token: str = ""
) -> list[tuple[int, str, str]]:
    """The retrieved chunks as (number, "Title › Section", text), best first; the first one cut to the budget."""
    out: list[tuple[int, str, str]] = []
    used = 0
    for hit in hits:
        chunk = hit.chunk
        text = without_instructions(chunk.text, token)
        text = " ".join(text.split()) if "\n\n" not in text else text.strip()
        if not text or (out and used + len(text) > budget_chars):
            continue
        if not out:
            text = text[: max(budget_chars, 1)]
        out.append((number_of[chunk.id], where_of(chunk, chunk.start), text))
        used += len(text)
    return out


def where_of(chunk: Chunk, at: int) -> str:
    """ "Title › Section" of a place in a chunk (empty when it addresses the assistant)."""
    section = chunk.section_at(at)
    where = section if chunk.title and section.startswith(chunk.title) else " › ".join(
        part for part in (chunk.title, section) if part)
    return "" if addresses_assistant(where) else where


def without_instructions(text: str, token: str = "") -> str:
    """The text without sentences that address the assistant or hold the abstention token (planted instructions)."""
    kept, last = [], 0
    wanted = _plain(token)
    for start, end in answer_spans(text):
        if addresses_assistant(text[start:end]) or (wanted and wanted in _plain(text[start:end])):
            kept.append(text[last:start])
            last = end
    return "".join(kept) + text[last:]


def _plain(text: str) -> str:
    """Folded words only, markers left out ("Not in the documents [2]." -> "not in the documents")."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", text))))


def says_not_found(draft: str, token: str) -> bool:
    """The reply is the abstention token alone (case, punctuation and markers aside; a lead-in such as "Answer:")."""
    wanted = _plain(token)
    said = _plain(re.sub(r"^\s*[\w ]{1,20}:\s*", "", draft.strip()))
    return bool(wanted) and said in (wanted, f"the answer is {wanted}")


def without_token(draft: str, token: str) -> str:
    """The draft without a stray abstention token standing as a sentence of its own (an answer, then a hedge)."""
    if not token.strip():
        return draft
    words = r"\W+".join(re.escape(w) for w in token.split())
    pattern = r"(?:^|(?<=[.!?\]])|(?<=\n))\s*" + words + r"\s*(?:\[\d+\])?\s*[.!]?\s*(?=$|\n|[A-Z\[])"
    return re.sub(pattern, " ", draft, flags=re.I).strip()
