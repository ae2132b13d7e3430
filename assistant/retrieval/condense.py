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
_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?:the\s+)?|^what\s+of\s+(?:the\s+)?", re.I)
# "And what does it return?": a whole question after "and", not a phrase standing for part of the last one.
# Auxiliaries only in lower case ("And May?" names a month, "And Will?" a person).
_ASKS = re.compile(
    r"^(?:[Ww]hat|[Ww]hich|[Ww]ho|[Ww]hom|[Ww]hose|[Ww]hen|[Ww]here|[Ww]hy|[Hh]ow|is|are|was|were|do|does|did|can|"
    r"could|should|would|will|may|must|has|have|had)\s+\w"
)
_PROFORM = re.compile(r"\s+ones?\s*[?.!]*$", re.I)  # "And who leads the Russian one?": "one" stands for a noun
_BARE = re.compile(r"^(?:what|which|who|when|where|why|how)$", re.I)  # "And why?": the last question's "why"
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


_LITERAL = re.compile(r"\b[\w.-]*\d[\w.-]*\b|\b\w+\(\)|\b[A-Za-z]\w*_\w+\b")  # 65534, paste(), O_DIRECT


def last_turn_names(history: Sequence[dict[str, str]]) -> list[str]:
    """Proper names in the last user question and the answer to it, and the question's numbers and identifiers."""
    found: list[str] = []
    named = False
    for message in list(history)[-2:]:
        content = message.get("content", "")
        literals = _LITERAL.findall(content) if message.get("role") == "user" else []
        for w in [*words(content), *literals]:
            name = w[:1].isupper() and fold(w) not in STOPWORDS
            named |= name
            if (name or w in literals) and w not in found:
                found.append(w)
    return found if named else []  # without a name the whole last question says more ("paste() ... by default")


def condense(question: str, history: Sequence[dict[str, str]] | None, embedder: Embedder) -> str:
    """A standalone question: the question itself unless it leans on earlier turns."""
    question = question.strip()
    previous = last_user_question(history or [])
    if not previous:
        return question
    match = _ELLIPSIS.match(question)
    phrase = _ABOUT.sub("", match.group(1)) if match else ""
    if match and _BARE.match(phrase.strip()):
        return f"{question} (about: {previous})"
    whole = _ASKS.match(phrase) and not _PROFORM.search(question)
    if match and not whole and len(content_terms(phrase)) <= 3:
        return _substitute(previous, phrase, embedder)
    if _PRONOUN.search(question) and not names(question):
        context = " ".join(last_turn_names(history or [])[:8]) or previous
        return f"{question} (about: {context})"
    return question
