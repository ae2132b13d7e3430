"""What a question names, and which retrieved documents it is about: names and symbols found, subjects matched."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from assistant.answering.question import without_descriptor
from assistant.lexicon import paraphrased, phrase_groups
from assistant.models import Chunk, Hit
from assistant.text import content_terms, fold, names, stem, terms_match, words


def _reworded_names(question: str, passages: Sequence[str]) -> str:
    """The question without lexicon phrases the passages say in other words ("White House" ~ "taking office")."""
    text = fold(" ".join(passages))
    for phrase, group in phrase_groups(fold(question)):
        if phrase not in text and paraphrased(phrase, group, text):
            question = re.sub(re.escape(phrase), " ", question, flags=re.I)
    return question


_EDGE_BEFORE, _EDGE_AFTER = r"(?<![^\s`'\"(])", r"(?=[\s?.,)`'\"]|$)"
# a symbol of two to four characters ("|>", "<-", "%in%"); not a dash ("--") nor a smiley (":-)")
_OPERATOR = re.compile(rf"{_EDGE_BEFORE}(?!-+{_EDGE_AFTER})(?![:;]-)(?:[|%<>=!&*+:^~-]{{2,4}}|%\w+%){_EDGE_AFTER}")


def name_coverage(question: str, passages: Sequence[str]) -> float:
    """Share of the question's proper names that the retrieved passages mention at all."""
    question = _reworded_names(without_descriptor(question), passages)
    asked = [n for i, w in enumerate(words(question)) if i > 0 and w[:1].isupper() for n in names(w)]
    operators = _OPERATOR.findall(question)  # "|>", "%in%": a symbol the documents never show is not theirs
    if not asked and not operators:
        return 1.0
    have = {stem(part) for p in passages for w in words(p) for part in {w, *w.split(".")} if part}  # in an address
    found = sum(1 for n in asked if any(terms_match(n, h) for h in have))
    found += sum(1 for op in operators if any(op in p for p in passages))
    return found / (len(asked) + len(operators))


def subject_terms(chunk: Chunk) -> set[str]:
    """What a document is about by its own name: its title's first part and its file name ("APT", "zstd")."""
    head = re.split(r"\s[-–—:|]\s|\(", chunk.title or "", maxsplit=1)[0]  # "mmap(2) System Calls Manual": mmap
    stem_of_file = PurePosixPath(chunk.source).name.split(".")[0]
    return set(content_terms(f"{head} {stem_of_file}"))


def subject_fit(question: str, hits: Sequence[Hit]) -> dict[str, float]:
    """Per source: 1.0, or 0.75 when the question names another retrieved document's subject but not this one's."""
    asked = set(content_terms(question))
    named = {h.chunk.source: bool(asked & subject_terms(h.chunk)) for h in hits}
    if not any(named.values()) or all(named.values()):
        return {}
    return {source: 1.0 if hit else 0.75 for source, hit in named.items()}
