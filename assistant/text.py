"""Text helpers: sentence spans, content words, names, numbers, term matching and role phrases."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence

from assistant.errors import QuestionError
from assistant.lexicon import ALIAS_GROUP, ROLE_NOUNS, SHORT_FORMS, same_place
from assistant.wordlists import word_list, word_set, word_table

ABBREVIATIONS = word_set("words", "abbreviations")
STOPWORDS = word_set("words", "stopwords")
# words about the document itself ("quoted in the article"), not about its content
STOPWORDS |= word_set("words", "document_words")
STOPWORDS |= word_set("words", "filler_words")
QUESTION_WORDS = word_set("words", "question_words")
MONTHS = word_list("words", "months")
WEEKDAYS = word_list("words", "weekdays")

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_BOUNDARY = re.compile(r"([.!?]['\"”’)]*)(\s+)")


def fold(text: str) -> str:
    """Lower-case, strip accents and unify quotes for comparisons."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("“", '"').replace("”", '"').lower()


IRREGULAR = word_table("words", "irregular_verbs")


_VERB_PREFIXES = ("over", "under", "out", "mis", "re", "un", "with", "up")


def stem(word: str) -> str:
    """A tiny suffix stripper with common irregular verbs: 'meets'/'meeting'/'met' -> 'meet'."""
    w = fold(word).strip(".'")
    if w in IRREGULAR:
        return IRREGULAR[w]
    for prefix in _VERB_PREFIXES:  # "overwritten" -> "overwrite", "rebuilt" -> "rebuild"
        if w.startswith(prefix) and w[len(prefix) :] in IRREGULAR:
            return prefix + IRREGULAR[w[len(prefix) :]]
    if w in SHORT_FORMS:
        return SHORT_FORMS[w]
    if w.endswith("'s") and len(w) > 2:  # a possessive, however short the name: "R's" -> "r"
        return w[:-2]
    for suffix in ("ies", "ing", "ed", "es", "s", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w


def words(text: str) -> list[str]:
    """Word tokens, keeping inner dots and apostrophes (U.N., Norway's); Norway-Sweden gives Norway and Sweden."""
    out = []
    for m in _WORD.finditer(text):
        token = m.group(0)
        parts = token.split("-")
        if len(parts) > 1 and any(p[:1].isupper() for p in parts):  # Norway-Sweden, mid-February
            out.extend(_US.get(p, p.rstrip(".") or p) for p in parts if p)
        else:
            out.append(_US.get(token, token.rstrip(".") or token))
    return out


_US = {"US": "U.S", "USA": "U.S"}  # "US" in capitals is the country, never the pronoun


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    out = []
    for w in words(text):
        f = fold(w)
        if f in STOPWORDS or f.rstrip("'s") in STOPWORDS:
            continue
        out.append(stem(w))
    return out


def numbers(text: str) -> set[str]:
    """Numbers in the text, normalised (1,000 -> 1000)."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def names(text: str) -> set[str]:
    """Capitalised words that are not sentence-initial stopwords: a proxy for proper names."""
    found = set()
    for i, w in enumerate(words(text)):
        if not w[:1].isupper():
            continue
        f = fold(w)
        if f in STOPWORDS or f in QUESTION_WORDS:
            continue
        if i == 0 and f in STOPWORDS:
            continue
        found.add(stem(w))
    return found


def _is_abbreviation(text: str, dot_index: int) -> bool:
    """True when the dot at dot_index ends an abbreviation or an initial."""
    start = dot_index
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    token = fold(text[start:dot_index])
    if token in ABBREVIATIONS:
        return True
    return len(token) == 1 and token.isalpha() and text[start:dot_index].isupper()


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence (start, end) spans, end exclusive; paragraphs always end a sentence."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in _paragraphs(text):
        p_text = text[p_start:p_end]
        cursor = 0
        for m in _BOUNDARY.finditer(p_text):
            dot = m.start(1)
            if p_text[dot] == "." and _is_abbreviation(p_text, dot):
                following = p_text[m.end() : m.end() + 1]
                if not following or not following.isupper() or _next_is_name(p_text, m.end()):
                    continue
            end = m.end(1)
            _append_span(spans, p_text, cursor, end, p_start + offset)
            cursor = m.end()
        _append_span(spans, p_text, cursor, len(p_text), p_start + offset)
    return spans


def answer_spans(text: str, offset: int = 0, block: int = 240) -> list[tuple[int, int]]:
    """Sentence spans, where a lead-in ending in a colon takes the short block after it ("run: python3 -m venv")."""
    spans = sentence_spans(text, offset)
    out: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(spans):
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        lead = text[start - offset : end - offset].rstrip()
        if nxt and lead.endswith(":") and nxt[0] - end <= 3 and nxt[1] - nxt[0] <= block:
            end = nxt[1]
        out.append((start, end))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans; a paragraph that stops mid-sentence continues into a next one starting lower-case."""
    out: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        start, end = para.span()
        if out and _continues(text[out[-1][0] : out[-1][1]], para.group(0)):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _continues(previous: str, following: str) -> bool:
    """A line break inside a sentence: no closing punctuation before, a lower-case word after."""
    tail, head = previous.rstrip(), following.lstrip()
    return bool(tail) and tail[-1].isalpha() and head[:1].islower() and len(tail.split()) >= 4


def _next_is_name(text: str, index: int) -> bool:
    """After 'U.S.' a capitalised word usually continues the sentence (U.S. Deputy ...)."""
    return bool(re.match(r"[A-Z][a-z]+", text[index:]))


def _append_span(spans: list[tuple[int, int]], text: str, start: int, end: int, base: int) -> None:
    """Add a trimmed non-empty span."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((base + start, base + end))


def split_sentences(text: str) -> list[str]:
    """Sentences of a text."""
    return [text[s:e] for s, e in sentence_spans(text)]


REPORTING_VERB = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|noted|stressed|emphasi[sz]ed|confirm(?:ed|s)?|announced?|stated"
    r"|reported|declared|insisted|responded|replied|reacted|commented|claimed|warned|denied|according to)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(not|no|never|none|nothing|neither|nor|without)\b|n't\b", re.I)


ORDINALS = "first second third fourth fifth last final next previous".split()
_SAME_ORDINAL = {"previous": "last", "prior": "last", "preceding": "last"}
_RELATIVE_ORDINALS = {"last", "next", "final"}


def contrast(question: str, sentence: str) -> bool:
    """The sentence states a different ordinal than the one asked about ('third' asked, 'second' stated).

    Counted ordinals (first, second) are compared with counted ones, relative ones (last, next) with relative ones:
    "the previous meeting" is not contradicted by "the second round".
    """
    asked = {_SAME_ORDINAL.get(w, w) for w in words(fold(question))} & set(ORDINALS)
    stated = {_SAME_ORDINAL.get(w, w) for w in words(fold(sentence))} & set(ORDINALS)
    for kind in (asked - _RELATIVE_ORDINALS, asked & _RELATIVE_ORDINALS):
        others = stated & _RELATIVE_ORDINALS if kind <= _RELATIVE_ORDINALS else stated - _RELATIVE_ORDINALS
        if kind and others and not kind & others:
            return True
    return False


_IDIOMS = re.compile(
    r"\b(in the first place|first of all|at first|at last|at least|last but not least)\b|,? if (any|anything|so),?",
    re.I,
)


def strip_idioms(text: str) -> str:
    """Drop phrases whose ordinals are not ordinals ("in the first place")."""
    return " ".join(_IDIOMS.sub(" ", text).split())


def terms_match(a: str, b: str) -> bool:
    """Stems match when equal, aliases, or one is a prefix (>= 4 letters) of the other: austria ~ austrian."""
    if a == b or same_place(a, b):
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3:
        return True
    common = len(os.path.commonprefix([a, b]))
    rests = (len(short) - common, len(long_) - common)  # spokes+person ~ spokes+woman, not minist+er ~ minist+ry
    return common >= 6 and common * 2 >= len(long_) and (min(rests) == 0 or min(rests) >= 3)


def common_word(word: str) -> bool:
    """A common (lower-case, alphabetic, not stopword) word, eligible for soft matching."""
    return word[:1].islower() and word.replace("-", "").isalpha() and len(word) >= 3 and fold(word) not in STOPWORDS


_SLOT_PREPOSITIONS = {"to", "of", "for", "in", "at", "from"}
_LONG_FORMS = ((r"\bUnited States\b", "U.S."), (r"\bUnited Kingdom\b", "U.K."), (r"\bUnited Nations\b", "U.N."))


def role_tokens(text: str) -> list[str]:
    """Word tokens with long country names shortened (United States -> U.S.) so both forms compare."""
    for pattern, short in _LONG_FORMS:
        text = re.sub(pattern, short, text, flags=re.I)
    return words(text)


def _is_name(token: str) -> bool:
    """A capitalised token that is not a stopword or question word."""
    return token[:1].isupper() and fold(token).removesuffix("'s") not in STOPWORDS | QUESTION_WORDS


def slots(tokens: Sequence[str], i: int, max_skip: int = 2) -> tuple[set[str], set[str]]:
    """Names that qualify the role word at i: before it ("Norway's new ambassador") and after it ("to the U.N.")."""
    before: set[str] = set()
    j, skipped = i - 1, 0
    while j >= 0:
        if _is_name(tokens[j]):
            before.add(stem(tokens[j]))
        elif before or fold(tokens[j]) in STOPWORDS or skipped >= max_skip:
            break
        else:
            skipped += 1
        j -= 1
    after: set[str] = set()
    k = i + 1
    if k < len(tokens) and fold(tokens[k]) in _SLOT_PREPOSITIONS:
        k += 2 if k + 1 < len(tokens) and fold(tokens[k + 1]) == "the" else 1
        while k < len(tokens) and _is_name(tokens[k]):
            after.add(stem(tokens[k]))
            k += 1
    return before, after


def _clash(a: set[str], b: set[str]) -> bool:
    """Both slots are filled and share no name; a country is compared only with a country."""
    places_a, places_b = {x for x in a if x in ALIAS_GROUP}, {y for y in b if y in ALIAS_GROUP}
    if bool(places_a) != bool(places_b):  # "Berlin's spokesperson" vs "Foreign Office spokeswoman"
        return False
    return bool(a) and bool(b) and not any(terms_match(x, y) for x in a for y in b)


def _role_matches(question: str, sentence: str) -> list[tuple[bool, bool]]:
    """For each role word the question ties to a party: (the sentence has it, every mention is for other parties)."""
    q, s = role_tokens(question), role_tokens(sentence)
    out = []
    for i, token in enumerate(q):
        if not common_word(token) or not _role_noun(token):  # roles are nouns, not "newly appointed"
            continue
        q_before, q_after = slots(q, i)
        if not q_before and not q_after:
            continue
        found = [j for j, other in enumerate(s) if terms_match(stem(token), stem(other))]
        clashes = [_clash(q_before, slots(s, j)[0]) or _clash(q_after, slots(s, j)[1]) for j in found]
        out.append((bool(found), bool(found) and all(clashes)))
    return out


def _role_noun(token: str) -> bool:
    """A word naming a role or body (ambassador, ministry, delegation)."""
    w = fold(token)
    return w in ROLE_NOUNS or stem(w) in ROLE_NOUNS or w.rstrip("s") in ROLE_NOUNS


def role_conflict(question: str, sentence: str) -> bool:
    """The sentence names an asked role only for other parties: "French envoy to Germany" vs "Germany's envoy"."""
    return any(clash for _, clash in _role_matches(question, sentence))


def role_unsupported(claim: str, passage: str) -> bool:
    """A role the claim gives a party ("Lund's deputy") is missing from the passage or held by others there."""
    return any(not found or clash for found, clash in _role_matches(claim, passage))


def heading(sentence: str, tokens: Sequence[str]) -> bool:
    """A title-case line without closing punctuation ("Talks Set for Thursday in Vienna")."""
    long_words = [w for w in tokens if len(w) >= 4 and w[:1].isalpha()]
    titled = len(long_words) >= 3 and sum(w[:1].isupper() for w in long_words) >= 0.75 * len(long_words)
    return titled and not sentence.rstrip().endswith((".", "!", "?", '"', "”"))


def recase(question: str, texts: Sequence[str]) -> str:
    """Capitalise question words the texts only ever write capitalised mid-sentence: "berg" -> "Berg"."""
    capital: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for sentence in split_sentences(text):
            tokens = words(sentence)
            if heading(sentence, tokens):  # a title-case heading proves nothing
                continue
            for i, w in enumerate(tokens):
                if w[:1].islower():
                    lower.add(stem(w))
                elif i > 0 and _is_name(w):
                    capital.add(stem(w))

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        key = stem(w)
        if not w[:1].islower() or fold(w) in STOPWORDS or any(terms_match(key, low) for low in lower):
            return w
        if key in ROLE_NOUNS or fold(w) in ROLE_NOUNS:  # "President Hale" titles a name; "president" is no name
            return w
        known = key in ALIAS_GROUP or any(terms_match(key, c) for c in capital)  # countries are always names
        return w[:1].upper() + w[1:] if known else w

    return _WORD.sub(fix, question)


# Terminal escape sequences (CSI, OSC/DCS strings, two-byte escapes) a pasted or scripted question may carry.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # a string only when ended
    r"|\x1b[ -/]*[0-~]"
)
# Control characters (C0, DEL, C1) read as spaces; bidi overrides and isolates, zero-width marks and BOM dropped.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # how Python keeps bytes of argv that are not UTF-8


def plain_question(raw: str) -> str:
    """A question as plain text: no terminal escapes, control or invisible characters; not UTF-8 is an error."""
    if bad := _SURROGATE.search(raw):
        char = bad.group()
        what = f"byte 0x{ord(char) - 0xDC00:02x}" if "\udc80" <= char <= "\udcff" else f"U+{ord(char):04X}"
        raise QuestionError(
            f"The question is not valid UTF-8 text ({what} at character {bad.start() + 1}).",
            "Check the encoding of your terminal or script (e.g. LANG=C.UTF-8) and type it again.",
        )
    return " ".join(_CONTROLS.sub(" ", _INVISIBLE.sub("", _ESCAPES.sub("", raw))).split())
