"""Reading dates: what a date question asks, and the dates a sentence states, resolved against its document.

Explicit dates, weekdays and today/yesterday/tomorrow are resolved against the document's date; each mention is
scored against the event the question names. The arithmetic and the cited answer are in `date_answers`."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.answering.evidence import contrast, terms_match
from assistant.models import Sentence
from assistant.text import MONTHS, REPORTING_VERB, WEEKDAYS, content_terms, fold, names, stem, words

_MONTH = (
    r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_EXPLICIT = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(?P<year>\d{{4}})\b)?"
    rf"|\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('mon', 'mon2')}(?:,?\s+(?P<year2>\d{{4}})\b)?"
    r"|\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"
)
_WEEKDAY = re.compile(
    r"\b(?:(?P<mod>last|next|this)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!s)"
)
_RELATIVE = re.compile(r"\b(?P<rel>today|yesterday|tomorrow)\b", re.I)
_FUTURE = re.compile(
    r"\b(will|shall|upcoming|next|set (for|to)|scheduled|due (to|on)|to be held|plans? to|going to|expected to)\b", re.I
)
_PAST = re.compile(r"\b(said|says|was|were|had|did|last|ago|earlier|told|met|held|took|began|went|\w{3,}ed)\b", re.I)
_CLAUSE = re.compile(r"[,;:()\u2014\u2013]|\s-\s")
_REPORTING = {"announce", "announcement", "say", "state", "statement", "confirm", "report", "tell", "declare"}
_PUBLICATION = {"article", "publication", "publish", "story", "report", "piece", "date", "post"}
_DATE_WORDS = set(MONTHS) | set(WEEKDAYS) | {"day", "date", "week", "exact", "exactly", "number", "many", "much"}
# words about timing, not about the event itself
_DATE_WORDS |= {"later", "earlier", "early", "late", "morning", "evening", "afternoon", "night", "today", "yesterday"}
_DATE_WORDS |= {"tomorrow", "schedul", "plann", "plan", "due", "set", "happen", "occur", "upcoming", "pass", "elapse"}
_PUBLISHED = re.compile(
    r"^(?:when|on what date|what date|what day)\b.*\b(?:article|story|piece|report|document|it)\b.*"
    r"\b(?:published|written|posted|dated|released|come out|came out)\b"
    r"|\bpublication date\b|\bdate of (?:the )?publication\b|\bdate(?:d| of)? (?:the |this )?(?:article|story)\b"
)
MIN_SCORE = 0.5
MARGIN = 0.1


@dataclass(eq=False)
class Mention:
    """A date stated in a sentence, resolved to a calendar day."""

    day: date
    sentence: Sentence
    start: int  # offsets of the date phrase inside sentence.text
    end: int
    anchored: bool  # resolved with the publication date (weekday, today, or a year taken from it)
    tense: str | None = None  # past or future, from the verbs around the date


@dataclass
class DateQuestion:
    """What a date question asks: a date, a weekday, or a number of days between two events."""

    kind: str  # "date", "weekday" or "days"
    sides: list[str]
    sign: int = 0  # days: +1 second minus first, -1 first minus second, 0 absolute


@dataclass
class DateAnswer:
    """The computed answer: text with \\x00i\\x00 placeholders for the cited sentences, in order."""

    text: str
    sentences: list[Sentence]


def parse_question(question: str) -> DateQuestion | None:
    """Recognise a date question and cut out the event(s) it asks about."""
    q = " ".join(question.strip().rstrip("?").split())
    low = fold(q)
    if _PUBLISHED.search(low):
        return DateQuestion("date", ["the article's publication"])
    if m := re.search(r"\b(what|which) (day of the week|weekday)\b", low):
        return DateQuestion("weekday", [q[: m.start()] + q[m.end() :]])
    if m := re.search(r"\b(on )?(what|which) (exact |calendar )?(date|day)\b|\bwhen exactly\b|\bexactly when\b", low):
        return DateQuestion("date", [q[: m.start()] + q[m.end() :]])
    if not re.search(r"\bhow many (calendar )?days\b", low):
        return None
    return _days_question(q)


def _days_question(q: str) -> DateQuestion | None:
    """Split a "how many days" question into its two events."""
    aux = r"(?:are|is|was|were|will|did|does|do|has|have|had|would)"
    if m := re.search(rf"\bdays (after|before|since) (.+?) ({aux} .+)$", q, re.I):
        sign = 1 if fold(m.group(1)) in ("after", "since") else -1
        return DateQuestion("days", [m.group(2), m.group(3)], sign)
    if m := re.search(rf"\bdays {aux} (.+?) (?:come |take place |happen |occur )?(after|before|since) (.+)$", q, re.I):
        sign = 1 if fold(m.group(2)) in ("after", "since") else -1
        return DateQuestion("days", [m.group(3), m.group(1)], sign)
    if m := re.search(r"\b(?:between|separate|separated|from) (.+)$", q, re.I):
        return DateQuestion("days", [m.group(1)], 0)  # split later at the right "and"/"from"/"to"
    if m := re.search(r"\b(until|till|before|since|after) (.+)$", q, re.I):
        sign = -1 if fold(m.group(1)) in ("until", "till", "before") else 1
        return DateQuestion("days", ["the article's publication", m.group(2)], sign)
    return None


def pair_splits(text: str) -> list[tuple[str, str]]:
    """Every way to read "A and B" / "A from B" / "A to B" as two events."""
    out = []
    for m in re.finditer(r"\s(and|from|to|until)\s", text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if content_terms(left) and content_terms(right):
            out.append((left, right))
    return out


def publication_date(value: str) -> date | None:
    """The document's date metadata as a date ("April 08, 2025" or "2025-04-08")."""
    found = explicit_dates(value, None)
    return found[0][2] if found else None


def _month(name: str) -> int:
    """Month number from a name or abbreviation."""
    key = fold(name).rstrip(".")[:3]
    return [m[:3] for m in MONTHS[:12]].index(key) + 1


def explicit_dates(text: str, anchor: date | None) -> list[tuple[int, int, date, bool]]:
    """(start, end, date, year_inferred) for every explicit calendar date in the text."""
    out = []
    for m in _EXPLICIT.finditer(text):
        try:
            if m.group("iso"):
                out.append((m.start(), m.end(), date.fromisoformat(m.group("iso")), False))
                continue
            month = _month(m.group("mon") or m.group("mon2"))
            day, year = int(m.group("day") or m.group("day2")), m.group("year") or m.group("year2")
            if year:
                out.append((m.start(), m.end(), date(int(year), month, day), False))
            elif anchor and (guess := infer_year(month, day, anchor, _tense(text, m.start(), m.end()))):
                out.append((m.start(), m.end(), guess, True))
        except ValueError:
            continue
    return out


def infer_year(month: int, day: int, anchor: date, tense: str | None) -> date | None:
    """The year closest to the anchor, on the side the tense points to (past: on/before, future: on/after)."""
    years = range(anchor.year - 1, anchor.year + 2)
    options = [date(y, month, day) for y in years if 1 <= day <= calendar.monthrange(y, month)[1]]
    if tense == "past":
        options = [d for d in options if d <= anchor] or options
    elif tense == "future":
        options = [d for d in options if d >= anchor] or options
    return min(options, key=lambda d: abs((d - anchor).days)) if options else None


def resolve_weekday(weekday: int, anchor: date, tense: str | None) -> date | None:
    """Past: the latest such weekday on/before the anchor; future: the first on/after; unknown: only the anchor's."""
    if tense == "past":
        return anchor - timedelta(days=(anchor.weekday() - weekday) % 7)
    if tense == "future":
        return anchor + timedelta(days=(weekday - anchor.weekday()) % 7)
    return anchor if anchor.weekday() == weekday else None


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause (between commas, dashes, semicolons) around a span."""
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))
    return left, right


def _tense(text: str, start: int, end: int) -> str | None:
    """Past or future from the tense cue nearest to the span inside its clause, else in the sentence."""
    for lo, hi in (_clause_bounds(text, start, end), (0, len(text))):
        cues = [(m, "future") for m in _FUTURE.finditer(text, lo, hi)]
        cues += [(m, "past") for m in _PAST.finditer(text, lo, hi) if not _FUTURE.fullmatch(m.group(0))]
        if cues:
            nearest = min(cues, key=lambda c: min(abs(c[0].start() - end), abs(c[0].end() - start)))
            return nearest[1]
    return None


def mentions(sentence: Sentence) -> list[Mention]:
    """Dates stated in a sentence, resolved against its document's publication date."""
    text, anchor = sentence.text, publication_date(sentence.hit.chunk.date)
    found = [Mention(d, sentence, s, e, inf, _tense(text, s, e)) for s, e, d, inf in explicit_dates(text, anchor)]
    taken = [(m.start, m.end) for m in found]
    if anchor is None:
        return found
    for m in _WEEKDAY.finditer(text):
        if any(s - 3 <= m.end() and m.start() <= e + 3 for s, e in taken):
            continue  # "Thursday, April 10": the explicit date already says it
        modifier = fold(m.group("mod") or "")
        tense = {"last": "past", "next": "future"}.get(modifier) or _tense(text, m.start(), m.end())
        day = resolve_weekday(WEEKDAYS.index(fold(m.group("wd"))), anchor, tense)
        if day:
            found.append(Mention(day, sentence, m.start("wd"), m.end(), True, tense))
    for m in _RELATIVE.finditer(text):
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[fold(m.group("rel"))]
        found.append(Mention(anchor + timedelta(days=shift), sentence, m.start(), m.end(), True))
    return found


def _terms(text: str) -> list[tuple[str, float]]:
    """Weighted event terms: names weigh 2, other content words 1; dates and question words dropped."""
    proper = names(text)
    out: dict[str, float] = {}
    for term in content_terms(text):
        if term in _DATE_WORDS or term.isdigit():
            continue
        out[term] = 2.0 if term in proper else 1.0
    return list(out.items())


def _covered(terms: list[tuple[str, float]], text: str, reporting: bool = False) -> float:
    """Weighted share of the terms found in the text (with reporting, announce/say match said/told/confirmed)."""
    have = [stem(w) for w in words(text)]  # words() splits Norway-Sweden
    reported = reporting and bool(REPORTING_VERB.search(text))
    total = found = 0.0
    for term, weight in terms:
        total += weight
        if any(terms_match(term, h) for h in have) or (term in _REPORTING and reported):
            found += weight
    return found / total if total else 0.0


def clause_context(text: str, start: int, end: int) -> str:
    """The mention's clause; a bare date clause ("Later on Tuesday,") borrows the next (or previous) one."""
    lo, hi = _clause_bounds(text, start, end)
    if not _terms(text[lo:hi]):
        if hi < len(text):
            hi = _clause_bounds(text, hi + 1, hi + 1)[1]
        elif lo > 0:
            lo = _clause_bounds(text, lo - 1, lo - 1)[0]
    return text[lo:hi]


def match_score(side: str, mention: Mention, crowded: bool) -> float:
    """How well the mention's clause and sentence state the event (the clause counts more in busy sentences)."""
    terms = _terms(side)
    if not terms:
        return 0.0
    text = mention.sentence.text
    context = clause_context(text, mention.start, mention.end)
    proper = names(side)
    action = [(t, w) for t, w in terms if t not in proper]
    if action and not max(_covered(action, text), _covered(action, context, reporting=True)):
        return 0.0  # the sentence names who, but not what happened ("appointed" asked, "met" stated)
    near = _covered(terms, context, reporting=True)
    weight = 0.6 if crowded else 0.3
    score = weight * near + (1 - weight) * _covered(terms, text)
    stated = explicit_dates(side, mention.day)
    if stated and any(d == mention.day for _, _, d, _ in stated):
        score += 0.5  # the question names this very date ("the Feb. 27 meeting")
    if contrast(side, text):
        score *= 0.6
    if REPORTING_VERB.search(context) and not any(t in _REPORTING for t, _ in terms):
        score *= 0.6  # "Later on Tuesday, the ministry confirmed the talks": the day of the saying, not of the talks
    anchor, tense = publication_date(mention.sentence.hit.chunk.date), _side_tense(side)
    said = mention.tense
    if anchor and not said and mention.day != anchor:
        said = "past" if mention.day < anchor else "future"
    if tense and said and tense != said:
        score *= 0.5  # "will ... take place" asked, a day before the document stated (or the reverse)
    return score


def _side_tense(side: str) -> str | None:
    """Future or past as the question words the event ("will ... take place", "did ... meet")."""
    return "future" if _FUTURE.search(side) else "past" if _PAST.search(side) else None


def is_publication(side: str) -> bool:
    """Does the event mean the document's own date ("the article's publication")?"""
    terms = {t for t, _ in _terms(side)}
    return bool(terms) and all(any(terms_match(t, p) for p in _PUBLICATION) for t in terms)


def best_mention(side: str, found: Sequence[Mention]) -> tuple[Mention, float] | None:
    """The mention that best states the event, if it clearly beats every mention of another date."""
    days: dict[int, set[date]] = {}
    for m in found:
        days.setdefault(id(m.sentence), set()).add(m.day)
    scored = sorted(((match_score(side, m, len(days[id(m.sentence)]) > 1), m) for m in found), key=lambda x: -x[0])
    if not scored or scored[0][0] < MIN_SCORE:
        return None
    top, best = scored[0]
    if any(score > top - MARGIN and m.day != best.day for score, m in scored[1:]):
        return None  # two different dates fit about as well: do not guess
    return best, top
