"""What a sentence offers a question: the expected answer type, a speaker, a title, a role holder, an ordinal."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.lexicon import ALIAS_GROUP, ROLE_NOUNS, paraphrased, phrase_groups, same_place, worded
from assistant.text import (
    MONTHS,
    REPORTING_VERB,
    STOPWORDS,
    WEEKDAYS,
    fold,
    heading,
    names,
    numbers,
    stem,
    terms_match,
    words,
)
from assistant.wordlists import word_list


def fragment(sentence: str) -> bool:
    """A heading, caption or credit: no lower-case word, title case, or a few words with no end ("Cron job names")."""
    tokens = words(sentence)
    if not any(w[:1].islower() for w in tokens) or heading(sentence, tokens):
        return True
    return len(tokens) <= 6 and not _ENDED.search(sentence) and not shows_code(sentence)


_ENDED = re.compile(r"[.!?:;)\]\"'”’]\s*$")


CREDIT_QUESTION = re.compile(
    r"\b(?:photo|photograph|image|picture|pic)s?\b.*\b(?:credit|credited|courtesy|taken|took|supplied|provided)\b"
    r"|\b(?:credit|credited|courtesy)\b.*\b(?:photo|photograph|image|picture)s?\b",
    re.I,
)
_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{2,30}):\s*\S")


def credit_line(sentence: str, before: str) -> bool:
    """A short name line right after a caption: "Norwegian Foreign Ministry" under "Ambassador ... Falk."."""
    tokens = words(sentence)
    return bool(before) and fragment(sentence) and 0 < len(tokens) <= 6 and not numbers(sentence)


_REFERRAL = re.compile(
    r"^(?:[\w.()-]+\n)?(?:" + "|".join(re.escape(w) for w in word_list("words", "referral_openers")) + r")\b", re.I
)


_FOR_MORE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in word_list("words", "referral_tails")) + r")\b", re.I)


def referral(sentence: str) -> bool:
    """A line that only points elsewhere ("See X.", "See X for details.", "WNOHANG As for waitpid().")."""
    text = re.sub(r"^[^\n]*:\s*\n\s*", "", sentence.strip())  # "The following flags ...:\n\nWNOHANG\nAs for ..."
    if not _REFERRAL.match(text):
        return False
    return len(words(text)) <= 8 or (len(words(text)) <= 20 and bool(_FOR_MORE.search(" ".join(text.split()))))


def labelled(question: str, sentence: str) -> bool:
    """A labelled line whose label the question names: "Related article: ..." for "the related article"."""
    found = _LABEL.match(sentence)
    if not found:
        return False
    asked = {w.removesuffix("s") for w in words(fold(question))}
    label = [w.removesuffix("s") for w in words(fold(found.group(1)))]
    if all(w in asked for w in label):  # word for word: "related article", not "relations"
        return True
    return any(paraphrased(p, g, fold(question)) for p, g in phrase_groups(fold(found.group(1))))


def held_by_asked(head: str, question: str, sentence: str, known: set[str]) -> bool:
    """Everyone the sentence gives the role to is a person the question already names."""
    asked = {fold(w).removesuffix("'s") for w in words(question)} & known
    if not asked:
        return False
    tokens = [fold(w).removesuffix("'s") for w in words(sentence)]
    holders = set()
    for i, token in enumerate(tokens):
        if terms_match(stem(head), stem(token)):
            holders |= {next((t for t in tokens[i + 1 : i + 10] if t in known), "")} - {""}  # the nearest one
    return bool(holders) and holders <= asked


def ordinal_absent(question: str, passages: Sequence[str]) -> bool:
    """The question asks about an ordinal ("third round") that no passage states, while passages state others."""
    exact = {"first", "second", "third", "fourth", "fifth", "sixth"}
    asked = set(words(fold(question))) & exact
    stated = {w for p in passages for w in words(fold(p))} & exact
    return bool(asked) and not asked & stated and bool(stated)


_NUMBER_WORDS = (  # "one" counts, not in "one or more", "one of", "no one"
    r"\b(?<!no )(?<!any )(?<!each )(?<!every )(one(?! or more| of| another| by one)|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?)\b"
)
_COUNTING_ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_SERIAL = re.compile(
    r"\b(?:how many|what number|which number) (?:[\w-]+ )?(?:rounds?|sessions?|times|meetings?|installments?|stages?"
    r"|phases?)\b"
)
_TIME_UNITS = "|".join(word_list("words", "time_units"))
_SIZE_UNITS = "|".join(word_list("words", "size_units"))
_DURATION = (
    rf"\b(\d+|a|an|one|two|three|several|few)\s+(?:{_TIME_UNITS})s?\b|\b\d[\d,.]*\s+(?:{_SIZE_UNITS})s?\b"
)
_CLOCK = r"\b\d{1,2}(:\d\d)?\s*(a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d\d\b|\b(noon|midnight|morning|afternoon|evening)\b"
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|to)\s+(?:the\s+)?([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)")


_MONTH_RE = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY_OF_MONTH = rf"\b{_MONTH_RE}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH_RE}|\b\d{{4}}-\d\d-\d\d\b"


def _counts(text: str) -> set[str]:
    """Numbers that count something: not years, not days of a month."""
    dates = {m.group(0) for m in re.finditer(rf"{_MONTH_RE}\s+(\d{{1,2}})\b", text)}
    days = {re.sub(r"\D", "", d) for d in dates}
    return {n for n in numbers(text) if n not in days and not re.fullmatch(r"(19|20)\d\d", n)}


def _new_dates(question: str, sentence: str) -> bool:
    """A month, weekday or year in the sentence that the question does not already give."""
    asked = set(words(fold(question)))
    tokens = set(words(fold(sentence))) - asked
    years = set(re.findall(r"\b(?:19|20)\d\d\b", sentence)) - set(re.findall(r"\b(?:19|20)\d\d\b", question))
    return bool(tokens & set(MONTHS + WEEKDAYS) or years)


_QUOTED = re.compile(r"[\"“‘'](\S{2,40}?)[\"”’']")


def type_satisfied(kind: str, question: str, sentence: str) -> bool:
    """Does the sentence hold something of the expected answer type that the question does not give?"""
    if kind in ("yesno", "other"):
        return True
    low = fold(sentence)
    if kind == "number":
        ordinals = set(words(low)) - set(words(fold(question)))  # "how many rounds": "the second round"
        serial = _SERIAL.search(fold(question)) and any(o in ordinals for o in _COUNTING_ORDINALS)
        sentence = re.sub(r"\w\(\d\w*\)", " ", sentence)  # "pipe(7)" is a manual section, not a count
        sentence = re.sub(r"(?<![\w\]])(?:\[\d{1,3}\])+", " ", sentence)  # "[4] It is …": a note ("a[4]" counts)
        return bool(_counts(sentence) - _counts(question)) or bool(re.search(_NUMBER_WORDS, low)) or bool(serial)
    if kind == "duration":
        return bool(re.search(_DURATION, low))
    if kind == "time":
        return bool(re.search(_CLOCK, low))
    if kind == "date" and re.search(r"\b(exact|what|which) date\b", fold(question)):
        return bool(re.search(_DAY_OF_MONTH, sentence))
    if kind == "date":
        return _new_dates(question, sentence) or bool(re.search(r"\b(today|tomorrow|yesterday)\b", low))
    if kind in ("place", "entity") and new_literals(question, sentence, paths_only=kind == "place"):
        return True  # technical answers: "in ~/.inputrc", "EPIPE", "collections.deque"
    if kind == "entity" and set(_QUOTED.findall(sentence)) - set(_QUOTED.findall(question)) - set(words(question)):
        return True  # a quoted name: the group "nogroup"
    if kind == "place" and re.search(r"\b(country|nation)\b", fold(question)):  # a country need not follow "in"
        return any(new_country(question, sentence))
    if kind == "place":  # a place the question does not already name, even in part ("Saudi Arabia" for "Saudi city")
        asked = names(question)
        return any(_new_place(m, sentence, asked) for m in _LOCATIVE.finditer(sentence))
    return bool(names(sentence) - names(question))


def _new_place(m: re.Match[str], sentence: str, asked: set[str]) -> bool:
    """A place after a locative that the question does not name (France ~ Paris); not "ambassador to X"."""
    before = words(sentence[: m.start()])[-1:]
    if before and fold(before[0]) in ROLE_NOUNS and m.group(0).lower().startswith("to"):
        return False
    found = names(m.group(1))
    return bool(found) and not any(terms_match(f, a) for f in found for a in asked)


def new_country(question: str, sentence: str) -> list[str]:
    """Countries the sentence names that the question does not (by any of their names)."""
    asked = [fold(n) for n in names(question)]
    found = [fold(n) for n in names(sentence) if fold(n) in ALIAS_GROUP]
    return [n for n in found if not any(n == a or same_place(n, a) for a in asked)]


def gives_title(question: str, sentence: str) -> bool:
    """The sentence holds a capitalised role title ("Deputy Assistant Secretary of State") the question lacks."""
    asked = {stem(fold(w)) for w in words(question)}
    return any(w[:1].isupper() and stem(fold(w)) in ROLE_NOUNS and stem(fold(w)) not in asked for w in words(sentence))


def missing_numbers(question: str, window: list[str]) -> bool:
    """A number the question gives ("the Feb. 27 meeting") that neither the sentence nor the one before states."""
    return bool(numbers(question) - set().union(*(numbers(t) for t in window)))


_NAMED_NUMBER = re.compile(r"\b([A-Za-z][\w-]*)\.?\s+(\d[\d.,]*\d|\d)\b")


def renumbered(question: str, sentence: str) -> bool:
    """The sentence gives another number to what the question numbers: "Linux 2.4.25" for "since Linux 5.4"."""
    asked = {(fold(w), n.rstrip(".")) for w, n in _NAMED_NUMBER.findall(question)}
    stated = {(fold(w), n.rstrip(".")) for w, n in _NAMED_NUMBER.findall(sentence)}
    return any(w == aw and n != an for aw, an in asked for w, n in stated) and not asked & stated


_PRONOUN_SAYS = re.compile(r"\b(?:she|he|they) (?:added|said|says|told|noted|stressed|continued)\b", re.I)


_PAST_ROLE = re.compile(
    r"\b(?:former|formerly|previously|until|prior|ex|earlier|before becoming|had served|served as|used to)\b", re.I
)


def earlier_role(sentence: str) -> bool:
    """The sentence speaks of a role held before ("formerly", "had served as", "until")."""
    return _PAST_ROLE.search(sentence) is not None


def mentions_any(terms: list[str], window: list[str]) -> bool:
    """One of the name stems occurs in the sentence or the one before it."""
    have = {stem(w) for t in window for w in words(t)}
    return any(terms_match(n, h) for n in terms for h in have)


def person_reports(sentence: str, known: set[str]) -> bool:
    """A named person is the one speaking: "spokeswoman Tammy Bruce told reporters", not "the ministry said"."""
    for m in REPORTING_VERB.finditer(sentence):
        near = words(sentence[max(0, m.start() - 25) : m.end() + 25])
        if any(fold(w).removesuffix("'s") in known for w in near if w[:1].isupper()):
            return True
    return False


def _speaker_terms(speaker: str) -> list[str]:
    """Names in the speaker phrase, or its content words when it has none ("anna berg", "the spokesman")."""
    found = [n for w in words(speaker) if w[:1].isupper() for n in names(w)]
    if found:
        return found
    content = [stem(fold(w).removesuffix("'s")) for w in words(speaker)]
    return [w for w in content if w not in STOPWORDS]  # pronouns are stopwords: "they" names nobody


def speaks(speaker: str, window: list[str]) -> bool:
    """The speaker is the one saying something: named next to a reporting verb, or "she added" after.

    A speaker given by role ("Berg's press secretary") must be matched by that role ("ministry spokesman").
    """
    wordings = phrase_groups(fold(speaker))
    roles = [(p, g) for p, g in wordings if any(stem(w) in ROLE_NOUNS for w in p.split())]
    asked = [] if roles else _speaker_terms(speaker)
    roles = roles or wordings  # no role named: the body's other wordings ("foreign office": foreign ministry)
    if not asked and not roles:
        return True  # "what did they say": nobody to check
    text, before = window
    texts = [text, before] if _PRONOUN_SAYS.search(text) else [text]
    for t in texts:
        for m in REPORTING_VERB.finditer(t):
            span = t[max(0, m.start() - 60) : m.end() + 40]
            if any(terms_match(a, stem(fold(w))) for a in asked for w in words(span)):
                return True
            if any(worded(p, g, fold(span)) for p, g in roles):
                return True
    return False


_CODE_LINE = re.compile(
    r"^\s*(?:[$#>%] |>>> )\S|^\s*[\w./-]+(?: [\w./=*:-]+)*? (?:--?[A-Za-z][\w-]*|[\w.-]*/[\w./*-]*)"
    r"|\w\(\)|::|[=!]=|^\s*#!|^\s*\w+ ?= ?\S",
    re.M,
)


_PROMPTED = re.compile(r"^\s*(?:[$#>%]|>>>|\.\.\.) \S")


def bare_code(text: str) -> bool:
    """Only typed lines ("$ chmod +x myscript.py"): what they do is said in the sentence before them."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_PROMPTED.match(line) for line in lines)


def shows_code(text: str) -> bool:
    """The text holds a literal to type: a prompt line, a command with options or paths, code."""
    return bool(_CODE_LINE.search(text))


_LITERAL = re.compile(
    r"(?<![\w/.~-])(?:~?/[\w.+-]+(?:/[\w.+*-]*)*|~?\.?[\w+-]+(?:/[\w.+*-]+)+|\.[a-z_][\w-]+|[\w-]+\.(?:[a-z]{1,4}rc|conf|cfg|ini|txt|md|py|sh|json|toml|ya?ml)"
    r"|[A-Z][A-Z0-9]*_[A-Z0-9_]+|E[A-Z]{3,}|[a-z_]\w*\(\)|[a-z_]\w*(?:\.[a-z_]\w*)+|[a-z]+_[a-z_]+|--?[a-z][\w-]+)(?![\w/])"
)
_PATHLIKE = re.compile(r"/|^~|^\.|\.\w+$")


def new_literals(question: str, sentence: str, paths_only: bool = False) -> set[str]:
    """Identifiers, paths and file names in the sentence that the question does not give (EPIPE, ~/.inputrc)."""
    asked = {m.group(0).lower() for m in _LITERAL.finditer(question)}
    found = {m.group(0) for m in _LITERAL.finditer(sentence) if m.group(0).lower() not in asked}
    return {f for f in found if _PATHLIKE.search(f)} if paths_only else found


_DEFINING_VERB = r"(?:(?:is|are) (?:an?|the|one|any)|means|refers? to|stands? for|denotes|(?:is|are) used to)"


def defines(term: str, sentence: str) -> bool:
    """The sentence defines the term: "A factor is ...", "... is called the workspace", "WNOHANG\\nreturn ..."."""
    low, t = fold(sentence).lstrip(" \t•*-–—(\n"), re.escape(fold(term))
    if re.search(rf"(?:^|\n|\()(?:an? |the )?{t}\w*\)? {_DEFINING_VERB}\b", low):
        return True
    if re.search(rf"\b(?:is|are) (?:called|known as|termed|named) (?:an? |the )?{t}\b", low):
        return True
    return bool(re.match(rf"{t}\b[^\n]{{0,30}}?(?:\n|\s[:—–-]\s|:\s)\s*\S+(?:\s+\S+){{3}}", low))  # a list item's head
