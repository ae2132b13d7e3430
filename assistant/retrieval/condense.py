"""Turn a follow-up ("And the American one?") into a standalone question using the conversation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.protocols import Embedder
from assistant.retrieval.hybrid import cosine
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


def _noun_phrase_ending_at(tokens: list[str], index: int) -> list[str]:
    """The run of content words that ends at tokens[index] ("ministry spokesman")."""
    start = index
    while start > 0 and fold(tokens[start - 1]) not in STOPWORDS:
        start -= 1
    return tokens[start : index + 1]


def _substitute(previous: str, replacement: str, embedder: Embedder) -> str:
    """Put `replacement` in place of the phrase of `previous` it stands for."""
    replacement = re.sub(r"^(his|her|their|its|the)\s+", "", replacement.strip(), flags=re.I)
    replacement = re.sub(r"\s+(counterparts?|ones?|side|equivalents?)$", "", replacement, flags=re.I)
    tokens = words(previous)
    content = [i for i, t in enumerate(tokens) if fold(t) not in STOPWORDS]
    new = words(replacement)
    if not content or not new:
        return f"{previous} {replacement}"
    vectors = embedder.embed([new[-1], *[tokens[i] for i in content]])
    scores = [cosine(vectors[0], v) for v in vectors[1:]]
    best = max(range(len(content)), key=scores.__getitem__)
    if len(new) > 1 and scores[best] >= 0.6:
        target = _noun_phrase_ending_at(tokens, content[best])  # the head noun matches: swap its phrase
    else:
        vectors = embedder.embed([new[0], *[tokens[i] for i in content]])
        scores = [cosine(vectors[0], v) for v in vectors[1:]]
        target = [tokens[content[max(range(len(content)), key=scores.__getitem__)]]]
        replacement = new[0] if len(new) == 1 else replacement
    pattern = r"\W+".join(re.escape(t) for t in target)
    return re.sub(pattern, replacement, previous, count=1)


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
