"""Small lexicons for news text: country aliases, abbreviations and role paraphrases (no answers, only wording)."""

from __future__ import annotations

import re
from functools import lru_cache

# Countries and the words texts use for them interchangeably (demonym, capital, seat of power); folded stems.
_COUNTRY_GROUPS = (
    "u.s us usa u.s.a america american washington states",
    "russia russian moscow",
    "u.k uk britain british london",
    "ukraine ukrainian kyiv kiev",
    "china chinese beijing",
    "france french paris",
    "germany german berlin",
    "turkey turkish turkiye ankara",
    "saudi riyadh jeddah",
    "israel israeli",
    "iran iranian tehran",
    "india indian delhi",
    "japan japanese tokyo",
    "e.u eu brussels",
    "u.n un",
)
ALIAS_GROUP: dict[str, int] = {word: i for i, group in enumerate(_COUNTRY_GROUPS) for word in group.split()}

# Nouns that name a role or body tied to a party ("Russia's ambassador", "envoy to the U.S."); stems.
ROLE_NOUNS = set(
    """ambassador envoy emissary diplomat minister secretary spokesman spokeswoman spokesperson spokes president
    leader chief head delegation team side official representative ministry department embassy mission agency
    negotiator governor mayor chancellor premier king queen prince general commander director chairman chair
    ceo founder counterpart deputy adviser advisor aide attache consul consulate""".split()
)

# Shortened words expanded to their stems before comparison.
SHORT_FORMS = {
    "dept": "department", "govt": "government", "gov't": "government", "intl": "international",
    "admin": "administration",
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december",
}

# Role and institution paraphrases common in news writing; each group's phrases name the same kind of thing.
_PHRASE_GROUPS = (
    ("top diplomat", "chief diplomat", "foreign minister", "secretary of state", "foreign secretary"),
    ("spokesman", "spokeswoman", "spokesperson", "press secretary", "press representative", "mouthpiece",
     "press officer", "spokes", "speaking for", "speaks for", "spoke for"),
    ("news agency", "wire service", "news wire", "newswire", "wire agency", "news service"),
    ("foreign ministry", "state department", "foreign office", "foreign affairs", "ministry of foreign affairs",
     "department of state", "foggy bottom"),
    ("ambassador", "envoy", "emissary"),
    ("delegation", "team", "side", "negotiators", "negotiating team"),
    ("lead", "head", "chair", "represent", "speak for", "act for", "on behalf of"),
    ("kremlin", "presidential administration", "russian presidency", "putin's"),  # not "Putin": he is not his office
    ("embassy", "diplomatic mission", "mission", "embassies"),
    ("president", "leader", "head of state"),
    ("contributed reporting", "helped with the reporting", "helped with reporting", "contributed to the reporting",
     "chipped in"),
    ("taking office", "took office", "assume office", "assumed office", "came into office", "inauguration",
     "sworn in", "white house", "began his term", "begin his term", "start of his term", "his term began",
     "assume his post", "assumed his post", "took up his post", "entered office", "took power", "came to power"),
    ("invaded", "invasion", "attacked", "offensive", "incursion"),
    ("met", "meeting", "sit-down", "sat down", "held talks", "get-together", "face-to-face"),
    ("previous", "last", "prior", "earlier", "preceding"),
    ("expulsions", "expulsion", "expelled", "kicked out", "removals", "removal", "ousted", "ousting"),
    ("staff", "personnel", "employees", "diplomats"),
    ("agenda", "discussed", "on the table", "off the table", "up for discussion", "topics", "subject of discussion",
     "discussion"),
    ("high-level", "senior-level", "top-level", "high level", "senior level"),
    ("related article", "linked story", "linked article", "related story", "linked piece", "related link"),
    ("tit-for-tat", "reciprocal", "retaliatory", "retaliation", "retaliate", "in kind", "back-and-forth",
     "back and forth", "mutual"),
    ("strained", "soured", "frayed", "tense", "deteriorated", "worsened", "damaged"),
    ("reset", "fresh start", "restart", "thaw", "rapprochement", "mend", "fix things", "fix relations", "patch up",
     "patch things up",
     "repair relations", "repair ties", "improve relations", "improve ties"),
    ("restoring", "restore", "restoration", "reopening", "reopen", "fixing", "fix", "repairing", "repair",
     "stabilizing", "stabilize"),
    ("relations", "ties", "relationship"),
)


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern[str]:
    """A whole-word, plural-tolerant pattern for a phrase."""
    parts = [re.escape(p) for p in phrase.split()]
    return re.compile(r"\b" + r"\s+".join(parts) + r"(?:s|es)?\b")


def phrase_groups(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The lexicon phrases a (folded) text uses, each with its group."""
    out = []
    for group in _PHRASE_GROUPS:
        for phrase in group:
            if _pattern(phrase).search(text):
                out.append((phrase, group))
    return out


_LESSER = re.compile(r"\b(deputy|assistant|under|vice|acting|former|ex|junior|second)[\s-]+$")


def paraphrased(phrase: str, group: tuple[str, ...], text: str) -> bool:
    """Does the (folded) text use another phrase of the group, not as part of a lesser title ("deputy ...")?"""
    for other in group:
        if other == phrase:
            continue
        if any(not _LESSER.search(text[: m.start()]) for m in _pattern(other).finditer(text)):
            return True
    return False


def worded(phrase: str, group: tuple[str, ...], text: str) -> bool:
    """Does the (folded) text use the phrase itself or another wording of its group?"""
    return _pattern(phrase).search(text) is not None or paraphrased(phrase, group, text)


def same_place(a: str, b: str) -> bool:
    """Two folded stems name the same country (U.S. ~ American ~ Washington)."""
    group = ALIAS_GROUP.get(a)
    return group is not None and group == ALIAS_GROUP.get(b)


def expand_query(question: str) -> str:
    """The question plus the other wordings of its lexicon phrases, so keyword search finds paraphrased passages."""
    low = question.lower()
    extra = [other for phrase, group in phrase_groups(low) for other in group if other != phrase and len(other) > 3]
    return question if not extra else f"{question} {' '.join(dict.fromkeys(extra))}"
