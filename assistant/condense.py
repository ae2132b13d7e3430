"""Turn a follow-up ("And the American one?") into a standalone question using the conversation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.protocols import Embedder
from assistant.retriever import cosine
from assistant.text import STOPWORDS, content_terms, fold, names, words

_ELLIPSIS = re.compile(
    r"^(?:and|but|what about|how about|and what about|what of)\s+(?:the\s+|for\s+the\s+)?"
    r"(.+?)(?:\s+one|\s+ones)?\s*[?.!]*$",
    re.I,
)
_PRONOUN = re.compile(r"\b(he|she|they|them|his|her|their|it|its|this|that|those|these|there)\b", re.I)


def last_user_question(history: Sequence[dict[str, str]]) -> str:
    """The most recent user turn in the history."""
    for message in reversed(history):
        if message.get("role") == "user" and message.get("content", "").strip():
            return message["content"].strip()
    return ""


def _spans(text: str, longest: int = 4) -> list[str]:
    """Contiguous runs of up to `longest` words that start and end on a content word."""
    toks = words(text)
    spans = []
    for i in range(len(toks)):
        for j in range(i, min(len(toks), i + longest)):
            if fold(toks[i]) in STOPWORDS or fold(toks[j]) in STOPWORDS:
                continue
            spans.append(" ".join(toks[i : j + 1]))
    return spans


def _substitute(previous: str, replacement: str, embedder: Embedder) -> str:
    """Put `replacement` in place of the phrase of `previous` it stands for."""
    replacement = re.sub(r"^(his|her|their|its|the)\s+", "", replacement.strip(), flags=re.I)
    replacement = re.sub(r"\s+(counterparts?|ones?|side|equivalents?)$", "", replacement, flags=re.I)
    prev_folded = {fold(w) for w in words(previous)}
    new = " ".join(w for w in words(replacement) if fold(w) not in prev_folded) or replacement
    spans = [sp for sp in _spans(previous) if fold(sp) not in STOPWORDS]
    if not spans:
        return f"{previous} {replacement}"
    vectors = embedder.embed([new] + spans)
    size = len(new.split())
    scores = [
        cosine(vectors[0], v) - 0.05 * abs(len(sp.split()) - size) for sp, v in zip(spans, vectors[1:], strict=True)
    ]
    target = spans[max(range(len(spans)), key=scores.__getitem__)]
    pattern = r"\s+".join(re.escape(t) for t in target.split())
    return re.sub(pattern, new, previous, count=1)


def last_turn_names(history: Sequence[dict[str, str]]) -> list[str]:
    """Proper names in the last user question and the answer to it."""
    found: list[str] = []
    for message in list(history)[-2:]:
        for w in words(message.get("content", "")):
            if w[:1].isupper() and fold(w) not in STOPWORDS and w not in found:
                found.append(w)
    return found


def condense(question: str, history: Sequence[dict[str, str]] | None, embedder: Embedder) -> str:
    """A standalone question: the question itself unless it leans on earlier turns."""
    question = question.strip()
    previous = last_user_question(history or [])
    if not previous:
        return question
    match = _ELLIPSIS.match(question)
    if match and len(content_terms(match.group(1))) <= 3:
        return _substitute(previous, match.group(1), embedder)
    if _PRONOUN.search(question) and not names(question):
        context = " ".join(last_turn_names(history or [])[:8]) or previous
        return f"{question} (about: {context})"
    return question
