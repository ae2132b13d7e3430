"""Date answers: "what date / which weekday / how many days" computed from the dates `dates` reads, with the
working shown and every date cited; None when the dates needed are not found with confidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from assistant.answering.dates import (
    DateAnswer,
    DateQuestion,
    Mention,
    best_mention,
    clause_context,
    is_publication,
    mentions,
    pair_splits,
    parse_question,
    publication_date,
)
from assistant.answering.evidence import candidate_sentences
from assistant.models import Citation, Hit, Sentence


def _fmt(day: date) -> str:
    """April 10, 2025."""
    return f"{day:%B} {day.day}, {day.year}"


def _snippet(m: Mention) -> str:
    """About nine words around the date phrase inside its clause: 'will take place Thursday in Vienna'."""
    text = m.sentence.text
    context = clause_context(text, m.start, m.end)
    lo = text.find(context)
    spans = [(w.start() + lo, w.end() + lo) for w in re.finditer(r"\S+", context)]
    before = [s for s in spans if s[1] <= m.start][-5:]
    after = [s for s in spans if s[0] >= m.end][: max(3, 9 - len(before))]
    start, end = (before or [(m.start, 0)])[0][0], (after or [(0, m.end)])[-1][1]
    return text[start:end].strip(" .,;:\"“”—")


class _Citer:
    """Collects cited sentences and writes {i} placeholders for them."""

    def __init__(self) -> None:
        self.sentences: list[Sentence] = []

    def mark(self, sentence: Sentence) -> str:
        """The placeholder for a sentence, numbered by first use."""
        for i, s in enumerate(self.sentences):
            if s.hit.chunk.id == sentence.hit.chunk.id and s.start == sentence.start:
                return f"\x00{i}\x00"
        self.sentences.append(sentence)
        return f"\x00{len(self.sentences) - 1}\x00"

    def finish(self, result: str, used: Sequence[Mention], pool: _Pool) -> DateAnswer | None:
        """The result, then each quoted date [n] and the document's date [n] it was counted from; None if uncitable."""
        own = {m.sentence.hit.chunk.source: m for m in used if m.sentence.text == m.sentence.hit.chunk.date}
        sources = sorted({m.sentence.hit.chunk.source for m in used if m.anchored} | set(own))
        pubs = [own.get(source) or pool.publication(source) for source in sources]
        if any(p is None for p in pubs):
            return None
        counted = " and ".join(f"{p.sentence.text} (a {p.day:%A})" for p in pubs if p and any(m.anchored for m in used))
        parts = [result + (f", counting from the document's date, {counted}." if counted else ".")]
        parts += [f"“{_snippet(m)}” {self.mark(m.sentence)}." for m in used if m not in own.values()]
        parts += [f"The document is dated {p.sentence.text} {self.mark(p.sentence)}." for p in pubs if p]
        return DateAnswer(" ".join(dict.fromkeys(parts)), self.sentences)


Retrieve = Callable[[str], list[Hit]]


class _Pool:
    """Candidate sentences (evidence first, then passages retrieved for each event) and their dates."""

    def __init__(self, sentences: Sequence[Sentence], retrieve: Retrieve) -> None:
        self.sentences = list(sentences)
        self.retrieve = retrieve
        self._seen = {(s.hit.chunk.source, s.start) for s in self.sentences}
        self._mentions = [m for s in self.sentences for m in mentions(s)]

    def widen(self, text: str) -> None:
        """Add the sentences of passages retrieved for one event."""
        for sent in candidate_sentences(self.retrieve(text)):
            key = (sent.hit.chunk.source, sent.start)
            if key not in self._seen:
                self._seen.add(key)
                self.sentences.append(sent)
                self._mentions.extend(mentions(sent))

    def resolve(self, side: str, source: str | None = None) -> tuple[Mention, float] | None:
        """The dated mention for an event (the publication date when the event is the document itself)."""
        if is_publication(side):
            pub = self.publication(source) if source else None
            return (pub, 1.0) if pub else None
        self.widen(side)
        return best_mention(side, self._mentions)

    def publication(self, source: str) -> Mention | None:
        """The document's date line as a citable mention, retrieving its passage when none at hand holds it."""
        for attempt in range(2):
            for hit in (s.hit for s in self.sentences if s.hit.chunk.source == source):
                chunk, day = hit.chunk, publication_date(hit.chunk.date)
                if day and (at := chunk.text.find(chunk.date)) >= 0:
                    line = Sentence(chunk.date, chunk.start + at, chunk.start + at + len(chunk.date), hit)
                    return Mention(day, line, 0, len(chunk.date), False)
            dated = next((s.hit.chunk.date for s in self.sentences if s.hit.chunk.source == source), "")
            if attempt or not dated:
                return None
            self.widen(dated)
        return None


def _single(asked: DateQuestion, pool: _Pool) -> DateAnswer | None:
    """A date or weekday question about one event."""
    if is_publication(asked.sides[0]):
        pub = pool.publication(pool.sentences[0].hit.chunk.source) if pool.sentences else None
        return _Citer().finish(f"{_fmt(pub.day)} (a {pub.day:%A})", [pub], pool) if pub else None
    found = pool.resolve(asked.sides[0])
    if found is None:
        return None
    m = found[0]
    result = f"{m.day:%A} ({_fmt(m.day)})" if asked.kind == "weekday" else f"{_fmt(m.day)} (a {m.day:%A})"
    return _Citer().finish(result, [m], pool)


def _pair(asked: DateQuestion, pool: _Pool) -> tuple[Mention, Mention] | None:
    """The two events of a days question, trying each reading of "A and B" and keeping the surest."""
    splits = [(asked.sides[0], asked.sides[1])] if len(asked.sides) == 2 else pair_splits(asked.sides[0])[:4]
    best: tuple[float, Mention, Mention] | None = None
    for left, right in splits:
        first, second = (right, left) if is_publication(left) else (left, right)
        a = pool.resolve(first)
        b = pool.resolve(second, a[0].sentence.hit.chunk.source) if a else None
        if a is None or b is None or (a[0].sentence is b[0].sentence and a[0].start == b[0].start):
            continue
        if first is right:
            a, b = b, a
        if best is None or min(a[1], b[1]) > best[0]:
            best = (min(a[1], b[1]), a[0], b[0])
    return (best[1], best[2]) if best else None


def _days(asked: DateQuestion, pool: _Pool) -> DateAnswer | None:
    """A "how many days" question: the difference between two dated events."""
    pair = _pair(asked, pool)
    if pair is None:
        return None
    a, b = pair
    days = (b.day - a.day).days * (asked.sign or 1)
    if asked.sign == 0:
        days = abs(days)
    elif days < 0:
        return None  # "after" an event that came later: the question and the documents disagree
    earlier, later = sorted((a, b), key=lambda m: m.day)
    result = f"{days} {'day' if days == 1 else 'days'}, from {_fmt(earlier.day)} to {_fmt(later.day)}"
    return _Citer().finish(result, [earlier, later], pool)


def answer_dates(question: str, sentences: Sequence[Sentence], retrieve: Retrieve) -> DateAnswer | None:
    """Answer a date question by date arithmetic over the evidence, or None to leave it to the pipeline."""
    asked = parse_question(question)
    if asked is None:
        return None
    pool = _Pool(sentences, retrieve)
    return _days(asked, pool) if asked.kind == "days" else _single(asked, pool)


def citations(answer: DateAnswer) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and one citation per cited passage (quoting its first sentence)."""
    numbers: dict[str, int] = {}
    cited: list[Citation] = []
    for sent in answer.sentences:
        chunk = sent.hit.chunk
        if chunk.id not in numbers:
            numbers[chunk.id] = len(numbers) + 1
            cited.append(Citation(numbers[chunk.id], chunk, sent.hit.dense, sent.start, sent.end))
    ids = [numbers[s.hit.chunk.id] for s in answer.sentences]
    return re.sub("\x00(\\d+)\x00", lambda m: f"[{ids[int(m.group(1))]}]", answer.text), cited
