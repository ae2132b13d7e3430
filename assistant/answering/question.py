"""What a question asks: its answer type, reason or focus, the role it names, and its answer's traits."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.text import STOPWORDS, content_terms, fold, names, stem, words
from assistant.wordlists import word_list, word_table

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


_PLACE_NOUNS = "|".join(word_list("questions", "place_nouns"))
_PATH_QUESTION = re.compile(
    rf"\b(?:which|what) (?:[\w-]+ )?(?:{'|'.join(word_list('questions', 'path_nouns'))})\b"
    rf"(?! (?:{'|'.join(word_list('questions', 'path_noun_not_before'))})\b)"
)
_VERSION_QUESTION = re.compile(
    rf"\b(?:what|which)(?: [\w.-]+){{0,2}} versions?\b.*\b(?:{'|'.join(word_list('questions', 'version_events'))})\b"
)
# a value noun heads the asked phrase: followed by a verb, a preposition or the end, not by another noun
_VALUE_QUESTION = re.compile(
    rf"\b(?:what|which)(?:'s)?(?: [\w/.'-]+){{0,4}}? (?:{'|'.join(word_list('questions', 'value_nouns'))})s?"
    r"(?= (?:does|do|did|is|are|was|were|should|can|will|would|has|have|of|for|in|on|at|that|used|allowed|accepted"
    r"|assigned|the|a|an)\b|\W*$)"
)


_TYPOS = word_table("questions", "question_typos")  # misspelt question words


def fix_question_words(question: str) -> str:
    """Common misspellings of question words ("wich venue"), so the question's shape is still read."""
    return re.sub(r"\b[A-Za-z0-9]+\b", lambda m: _fix_case(m.group(0), _TYPOS.get(m.group(0).lower())), question)


def _fix_case(word: str, fixed: str | None) -> str:
    """The correction in the original's case."""
    return word if fixed is None else fixed.capitalize() if word[:1].isupper() else fixed


# "when" asks for a date when it opens a (last) sentence or follows since/until; "... when editing" does not, nor
# a "when" clause before the question proper ("When it searches, what criterion ...")
_WHEN = re.compile(
    r"(?:^|[.?!;:]\s+)(?:[^,?.]*, )?(?:and |so |but |then )?when\b"
    r"(?![^,?]*, (?:what|which|who|whom|whose|how|where|why)\b)"
    r"|\b(?:since|until|till|by|and|or) when\b"
)


_WHY_HOW = re.compile(r"^(?:[^,?]*, )?(?:and |so |but )?(?:why\b|how\b(?! (?:many|much|long|old|far|often)\b))")


def asks_why_or_how(question: str) -> bool:
    """A why or how question (not "how many", "how long" ...): a reason or a way, not a value."""
    return bool(_WHY_HOW.match(fold(question).strip()))


def answer_type(question: str) -> str:
    """Expected answer type: yesno, person, entity, number, duration, time, date, place or other."""
    q = fold(question).strip()
    if _CHOICE.search(q):
        return "other"  # "is it the first, second or third round?": one of the options, not yes or no
    if YES_NO_START.match(q) or YES_NO_AFTER_CLAUSE.search(q) or _TAG_QUESTION.search(q):
        return "yesno"
    if _WHY_HOW.match(q):
        return "other"  # "how did Lund respond ... who would represent Norway": a manner, not a person
    if re.match(r"^(and |so |but )?who(m|se)?\b", q):
        return "person"
    if re.search(r"\bhow long\b", q):
        return "duration"
    if re.search(r"\bwhat time\b|\bat what hour\b", q):
        return "time"
    if re.search(r"\bhow (many|much|old)\b", q) or _VALUE_QUESTION.search(q) or _VERSION_QUESTION.search(q):
        return "number"  # also "what octal value does the mode use", "which port does it connect to"
    if _WHEN.search(q) or re.search(r"\b(what|which|exact) (date|day|year|month)\b", q):
        return "date"
    if re.search(r"\bwhat is the name\b|\b(?:which|what) (?:individual|person|man|woman|guy)\b", q) or (
        re.search(r"\bwho(m|se)?\b", q) and not _LEADS_OTHER.match(q)
    ):
        return "person"
    if re.search(rf"\bwhere\b|\b(which|what) ([\w-]+ )?(?:or )?({_PLACE_NOUNS})\b", q) or _PATH_QUESTION.search(q):
        return "place"  # also "which directory": a path answers
    if re.search(rf"\b(which|what) ([\w-]+ )?([\w-]+ )?({_ENTITY_NOUNS})\b", q):
        return "entity"
    return "other"


_ORDINAL = r"(?:first|second|third|fourth|fifth|last|final|next)"
_CHOICE = re.compile(
    rf"\b{_ORDINAL}(?:, {_ORDINAL})*,? or {_ORDINAL}\b|\b{_ORDINAL}(?:, {_ORDINAL}){{2,}}\b"
    r"|[:—–-] *[\w-]+(?: [\w-]+)?,? or [\w-]+(?: [\w-]+)?\W*$"  # "Acme News: independent, or state-run?"
)
_TAG_QUESTION = re.compile(
    r",\s*(yes|no|right|correct|true|is that (right|so|true|correct)|(is|are|was|were|did|do|does|will|has|have)n't"
    r" (it|they|he|she|there|that))\s*\?*$"
)
SPEAKER = re.compile(
    r"\b(?:what|how|which(?: [\w-]+){1,2}) (?:did|does|has|had|do|have) (.+?) (?:(?:personally|actually|publicly"
    r"|officially) )?(?:say|said|tell|told|state|announce|claim|comment|think|react|respond|reply|replied|answer"
    r"|reacted|responded|answered|commented|insist|insisted|stress|stressed|emphasi[sz]e|emphasi[sz]ed|note|noted"
    r"|add|added|declare|declared|deny|denied|warn|warned)\b",
    re.I,
)
REACTION = re.compile(
    r"\bwhat (?:was|were|is|are) (.+?)(?:'s|’s|s') (?:official |initial |first )?(?:reaction|response|comment|view"
    r"|stance)s?\b",
    re.I,
)
ACCORDING = re.compile(
    r"\baccording to (?!(?:the |this )?(?:article|report|story|piece|text|documents?|passages?|sources?)\b)"
    r"([^,?]+?)\s*,",
    re.I,
)
BESIDES = re.compile(r"\b(?:besides|apart from|aside from|other than|except(?: for)?|in addition to)\b", re.I)
PEOPLE_NOUNS = re.compile(r"\b(?:which|what) (?:other )?(?:[\w-]+ )?(official|diplomat|envoy|person|people|leader)s?\b")
_LEADS_OTHER = re.compile(r"^(?:[^,?]*, )?(?:and |so |but )?(how|why|what|which|where|when)\b")


_ABOUT = re.compile(
    r"\b(?:say|said|tell|told|think|thinks|comment|commented|state|stated)\b[^?]*?\babout (.+?)[?.!]*$", re.I
)
EARLIER_ROLE = re.compile(
    r"\bbefore (?:her|his|their|its|taking|becoming|assuming)\b|\b(?:previous|prior|former|earlier|past)"
    r" (?:role|job|post|position|title|career)s?\b|\bprior to (?:her|his|their|becoming|taking)\b"
    r"|\bwho (?:served|had served|was serving) as\b.*\b(?:before|prior to|until)\b"
    r"|\bwho (?:preceded|replaced|came before)\b|\bwhom? did [\w .-]+? (?:replace|succeed)\b",
    re.I,
)


def topic_names(question: str) -> list[str]:
    """Proper names of what a "what did X say about T" question asks about: T's names."""
    found = _ABOUT.search(question)
    return [n for w in words(found.group(1)) if w[:1].isupper() for n in names(w)] if found else []


def speaker_of(question: str) -> str | None:
    """Who the question wants to hear from: "what did X say", "how did X react", "according to X, ..."."""
    found = SPEAKER.search(question) or REACTION.search(question) or ACCORDING.search(question)
    return found.group(1) if found else None


WHO_SPOKE = re.compile(r"^(?:and |so |but )?who (?:spoke|said|told|talked|announced|stated|commented|briefed)\b", re.I)
WHO = re.compile(r"\bwho(m|se)?\b", re.I)
_ENTITY_NOUNS = "|".join(word_list("questions", "entity_nouns"))
_REASON_QUESTION = re.compile(
    r"^(and |so |but )?why\b|\bwhat (is|was|were|are) the (purpose|reason|goal|aim|cause|motive)s?\b"
    r"|\bwhat (led|caused|prompted)\b|^(and |so |but )?what\b.*\bfor\W*$"
    r"|\bwhat (is|was|are|were) the (point|objective|aim)\b"
    r"|\bfor what (purpose|reason)\b"
)


_CODE_NOUNS = "|".join(re.escape(w) for w in word_list("questions", "code_nouns"))
_CODE_QUESTION = re.compile(
    rf"\b(?:what|which)\b(?: [\w-]+){{0,3}} (?:{_CODE_NOUNS})\b|\bwhat (?:do|should|can|must) (?:i|you|we) "
    rf"(?:type|run|enter|write|put)\b|\bhow (?:do|can|should) (?:i|you|we) (?:type|run|invoke|call)\b"
)


CODE_WORDS = {stem(w) for w in word_list("questions", "code_nouns")}


def asks_code(question: str) -> bool:
    """The question wants something to type: a command, an option, a line of code."""
    return bool(_CODE_QUESTION.search(fold(question)))


_KIND_NOUNS = "|".join(word_list("questions", "kind_nouns"))
_DEFINE = (
    re.compile(r"\bwhat (?:is|are) (?:meant by|the meaning of) (?:an? |the )?(.+?)\W*$"),
    re.compile(r"\bwhat does (?:the |an? )?(.+?) (?:mean|stand for|refer to)\b"),
    re.compile(r"^(?:[^,?]*, )?what (?:is|are) (?:an? |the )?(.+?)(?: in [^,?]+)?\W*$"),
)
DEFINITION_WORDS = {stem(w) for key in ("kind_nouns", "definition_words") for w in word_list("questions", key)}
_PRONOUNS = {"it", "this", "that", "they", "these", "those", "he", "she"}


def defined_term(question: str) -> str | None:
    """The term a definition question asks about: "What is a widget in Frobnix?" -> "widget"; else None."""
    q = re.sub(r"[\"“”'‘’`]", "", fold(question).strip())
    for most, pattern in zip((3, 3, 2), _DEFINE, strict=True):
        if m := pattern.search(q):
            term = re.sub(rf"^(?:term|word|phrase) |\s(?:{_KIND_NOUNS})$", "", m.group(1).strip())
            said = term.split()
            if not 0 < len(said) <= most or said[0] in _PRONOUNS or any(w.endswith(("ed", "est")) for w in said):
                return None  # "what is the largest value allowed": a value asked for, not a term
            return term
    return None


def asks_reason(question: str) -> bool:
    """A why / what-is-the-purpose / what-led-to question."""
    return bool(_REASON_QUESTION.search(fold(question).strip()))


_FOCUS = re.compile(
    r"^(?:[^,?]*, )?(?:and |so |but )?(?:what|which) ((?:[a-z.-]+ ){0,3}?[a-z-]+) "
    r"(?:came|come|were|are|is|was|have|has|had|did|do|does|will|would|could|can|resulted|emerged)\b"
)
_OUTCOME = re.compile(
    r"\bwhat (?:was|were|has been|have been|had been|did (?:they|the \w+)) (?:\w+ly )?"
    r"(agreed|decided|signed|achieved|resolved|concluded|accomplished)\b"
)
_RESULT = re.compile(r"\bwhat (?:came|resulted|emerged) (?:out )?(?:of|from)\b|\bwhat was the (?:outcome|result) of\b")
_KIND_OF = re.compile(r"\b(?:kind|kinds|type|types|sort|sorts) of ")
_TYPE_WORDS = set(
    "time date day month year week hour city country nation place kind type sort name number amount war conflict"
    " crisis goal aim purpose reason objective motive cause".split()
)


def asks_outcome(question: str) -> bool:
    """"What was agreed", "what came out of the meeting": an outcome, which only a sentence stating one gives."""
    q = fold(question).strip()
    return bool(_OUTCOME.search(q) or _RESULT.search(q))


def focus_terms(question: str) -> list[str]:
    """What a "what X came out of ..." question asks for (X), when X is not a plain answer type."""
    q = fold(question).strip()
    if outcome := _OUTCOME.search(q):  # "what was agreed": an agreement must be stated
        return content_terms(outcome.group(1))
    if _RESULT.search(q):  # "what came out of the meeting": a result must be stated
        return content_terms("agreed agreement decided decision result outcome deal")
    m = _FOCUS.match(_KIND_OF.sub("", q))  # "what kind of measures": measures
    if not m or set(m.group(1).split()) & _TYPE_WORDS:  # "which country at war": a type and its traits
        return []
    proper = {stem(w) for w in words(question) if w[:1].isupper()}  # names are context, not the thing asked for
    terms = [t for t in content_terms(m.group(1)) if t not in _TYPE_WORDS and t not in proper]
    last = m.group(1).split()[-1]
    base = last[:-3] + "y" if last.endswith("ies") else last.removesuffix("s")
    if re.fullmatch(f"{_ENTITY_NOUNS}|{_PLACE_NOUNS}|government|people|person|leader|politician|figure", base):
        return []  # "which government body": an answer type, met by any named body
    return [] if any(t in ("role", "title", "job", "position") for t in terms) else terms


_WHO_IS = re.compile(r"^(?:and |so |but )?who(?: is|'s| was| are| were) (?:the )?(.+?)[?.!]*$")


_ROLE_END = re.compile(
    r"\b(?:to|of|for|in|at|from|on|with|as|who|that|which|whom|across|opposite|against|during|before|after|by"
    r"|under|between|when|while)\b"
)
_RELATIVES = {"predecessor", "successor"}
_GENERIC_HEADS = {"official", "officials", "person", "people", "man", "woman", "individual", "figure", "one", "name"}


def role_head(question: str) -> str | None:
    """The role a "who is the X (of Y)?" question asks about: its last common word before a preposition."""
    match = _WHO_IS.match(fold(question).strip())
    if not match:
        return None
    phrase = _ROLE_END.split(match.group(1))[0]
    heads = [w for w in words(phrase) if w.isalpha() and w not in STOPWORDS and len(w) >= 3]
    if heads and heads[-1] in _RELATIVES and (role := re.search(r"\bas (?:the )?(.+)$", match.group(1))):
        return role_head(f"who is {role.group(1)}")  # "who was X's predecessor as ambassador": the role is ambassador
    if not heads or heads[-1].endswith(("ing", "ed")) or heads[-1] in _GENERIC_HEADS:  # a verb, or just "a person"
        return None
    return heads[-1]


DESCRIPTOR = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:city|country|nation|kingdom|region|capital|town|place"
    r"|organi[sz]ation|agency|company|newspaper|outlet|official|politician|diplomat|leader|body)\b",
    re.I,
)


_TITLE = re.compile(
    r"\b(?:(?:official|formal|full|exact|job|government) )?(?:title|position|post|job|rank)s?\b"
    r"(?! of (?:the |this |that )?(?:[\w-]+ )?(?:article|story|piece|report|book|page|link|headline|post|item))"
)


def asks_title(question: str) -> bool:
    """A "what is X's title / position / post" question: the answer is a role."""
    q = fold(question)
    return bool(re.match(r"^(?:[^,?]*, )?(?:and |so |but )?(?:what|which|tell me)\b", q)) and bool(_TITLE.search(q))


def without_descriptor(question: str) -> str:
    """The question without the words that describe its answer ("which Turkish city" is a trait, not a topic)."""
    described = DESCRIPTOR.search(question)
    return question[: described.start()] + question[described.end() :] if described else question


def _near_misses(word: str) -> set[str]:
    """Spellings one slip away: a doubled letter dropped or added, or two neighbours swapped."""
    out = {word[:i] + word[i + 1 :] for i in range(1, len(word)) if word[i] == word[i - 1]}
    out |= {word[: i + 1] + word[i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return out - {word}


def respell(question: str, texts: Sequence[str]) -> str:
    """Fix question words misspelt by one slip against the texts' own words: "apointed" -> "appointed"."""
    vocabulary = {fold(w) for t in texts for w in words(t) if len(w) >= 6 and w.isalpha()}

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        low = fold(w)
        if len(w) < 5 or low in vocabulary or low in STOPWORDS:
            return w
        found = _near_misses(low) & vocabulary
        return _recapitalise(found.pop(), w) if len(found) == 1 else w

    return re.sub(r"[A-Za-z]+", fix, question)


def _recapitalise(word: str, like: str) -> str:
    """The word in the case of the one it replaces."""
    return word.capitalize() if like[:1].isupper() else word
