"""What a question asks: its answer type, reason or focus, the role it names, and its answer's traits."""

from __future__ import annotations

import re

from assistant.text import STOPWORDS, content_terms, fold, stem, words

YES_NO_START = re.compile(
    r"^(and |so |but )?(is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|shall)\b", re.I
)
YES_NO_AFTER_CLAUSE = re.compile(
    r"^(?:according to|per|in|for|as for|regarding|on)\b[^?,]*, (is|are|was|were|do|does|did|will|would|can|could|has|"
    r"have|had)\b \w+"
    r"|^[^?]*, (is|are|was|were|do|does|did|will|would|can|could|has|have|had)\b"
    r" (the|this|that|these|those|it|they|he|she)\b",
    re.I,
)


_PLACE_NOUNS = "city|country|nation|kingdom|region|province|island|capital|place|venue|building|location"


def answer_type(question: str) -> str:
    """Expected answer type: yesno, person, entity, number, duration, time, date, place or other."""
    q = fold(question).strip()
    if YES_NO_START.match(q) or YES_NO_AFTER_CLAUSE.search(q) or _TAG_QUESTION.search(q):
        return "yesno"
    if re.match(r"^(?:[^,?]*, )?(?:and |so |but )?(?:why\b|how\b(?! (?:many|much|long|old|far|often)\b))", q):
        return "other"  # "how did Peskov respond ... who would represent Russia": a manner, not a person
    if re.match(r"^(and |so |but )?who(m|se)?\b", q):
        return "person"
    if re.search(r"\bhow long\b", q):
        return "duration"
    if re.search(r"\bwhat time\b|\bat what hour\b", q):
        return "time"
    if re.search(r"\bhow (many|much|old)\b|\bwhat (number|percentage|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\b(what|which|exact) (date|day|year|month)\b", q):
        return "date"
    if re.search(r"\bwhat is the name\b", q) or (re.search(r"\bwho(m|se)?\b", q) and not _LEADS_OTHER.match(q)):
        return "person"
    if re.search(
        rf"\bwhere\b|\b(which|what) ([\w-]+ )?({_PLACE_NOUNS})\b",
        q,
    ):
        return "place"
    if re.search(rf"\b(which|what) ([\w-]+ )?([\w-]+ )?({_ENTITY_NOUNS})\b", q):
        return "entity"
    return "other"


_TAG_QUESTION = re.compile(
    r",\s*(yes|no|right|correct|true|is that (right|so|true|correct)|(is|are|was|were|did|do|does|will|has|have)n't"
    r" (it|they|he|she|there|that))\s*\?*$"
)
SPEAKER = re.compile(
    r"\bwhat (?:did|does|has|had|do) (.+?) (?:(?:personally|actually|publicly) )?(?:say|said|tell|told|state|announce"
    r"|claim|comment|think)\b",
    re.I,
)
BESIDES = re.compile(r"\b(?:besides|apart from|aside from|other than|except(?: for)?|in addition to)\b", re.I)
PEOPLE_NOUNS = re.compile(
    r"\b(?:which|what) (?:other )?(?:[\w-]+ )?(official|diplomat|envoy|person|people|leader)s?\b"
)
_LEADS_OTHER = re.compile(r"^(?:[^,?]*, )?(?:and |so |but )?(how|why|what|which|where|when)\b")
WHO = re.compile(r"\bwho(m|se)?\b", re.I)
_ENTITY_NOUNS = (
    "agency|organi[sz]ation|company|official|envoy|diplomat|newspaper|ministry|department|service|outlet|network"
    "|channel|broadcaster|party|group|institution|body|firm|bank|team|delegation"
)
_REASON_QUESTION = re.compile(
    r"^(and |so |but )?why\b|\bwhat (is|was|were|are) the (purpose|reason|goal|aim|cause|motive)s?\b"
    r"|\bwhat (led|caused|prompted)\b|^(and |so |but )?what\b.*\bfor\W*$"
    r"|\bwhat (is|was|are|were) the (point|objective|aim)\b"
    r"|\bfor what (purpose|reason)\b"
)


def asks_reason(question: str) -> bool:
    """A why / what-is-the-purpose / what-led-to question."""
    return bool(_REASON_QUESTION.search(fold(question).strip()))


_FOCUS = re.compile(
    r"^(?:[^,?]*, )?(?:and |so |but )?(?:what|which) ((?:[a-z.-]+ ){0,3}?[a-z-]+) "
    r"(?:came|come|were|are|is|was|have|has|had|did|do|does|will|would|could|can|resulted|emerged)\b"
)
_TYPE_WORDS = set(
    "time date day month year week hour city country nation place kind type sort name number amount".split()
)


def focus_terms(question: str) -> list[str]:
    """What a "what X came out of ..." question asks for (X), when X is not a plain answer type."""
    m = _FOCUS.match(fold(question).strip())
    if not m:
        return []
    proper = {stem(w) for w in words(question) if w[:1].isupper()}  # names are context, not the thing asked for
    terms = [t for t in content_terms(m.group(1)) if t not in _TYPE_WORDS and t not in proper]
    last = m.group(1).split()[-1]
    base = last[:-3] + "y" if last.endswith("ies") else last.removesuffix("s")
    if re.fullmatch(f"{_ENTITY_NOUNS}|{_PLACE_NOUNS}|government|people|person", base):
        return []  # "which government body": an answer type, met by any named body
    return [] if any(t in ("role", "title", "job", "position") for t in terms) else terms


_WHO_IS = re.compile(r"^(?:and |so |but )?who(?: is|'s| was| are| were) (?:the )?(.+?)[?.!]*$")


_GENERIC_HEADS = {"official", "officials", "person", "people", "man", "woman", "individual", "figure", "one", "name"}


def role_head(question: str) -> str | None:
    """The role a "who is the X (of Y)?" question asks about: its last common word before a preposition."""
    match = _WHO_IS.match(fold(question).strip())
    if not match:
        return None
    phrase = re.split(r"\b(?:to|of|for|in|at|from|on|with|as|who|that|which|whom)\b", match.group(1))[0]
    heads = [w for w in words(phrase) if w.isalpha() and w not in STOPWORDS and len(w) >= 3]
    if not heads or heads[-1].endswith(("ing", "ed")) or heads[-1] in _GENERIC_HEADS:  # a verb, or just "a person"
        return None
    return heads[-1]


DESCRIPTOR = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:city|country|nation|kingdom|region|capital|town|place"
    r"|organi[sz]ation|agency|company|newspaper|outlet|official|politician|diplomat|leader|body)\b",
    re.I,
)


def without_descriptor(question: str) -> str:
    """The question without the words that describe its answer ("which Turkish city" is a trait, not a topic)."""
    described = DESCRIPTOR.search(question)
    return question[: described.start()] + question[described.end() :] if described else question
