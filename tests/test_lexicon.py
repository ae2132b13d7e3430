"""News lexicons and people: country aliases, role paraphrases, lesser titles, person names."""

from assistant.answering.entities import new_person, persons, surnames
from assistant.lexicon import paraphrased, phrase_groups, same_place

RUBIO = "The talks came after Foreign Minister Sergei Lavrov and U.S. Secretary of State Marco Rubio met on Feb. 18."
COULTER = "U.S. Deputy Assistant Secretary of State for Russia and Central Europe Sonata Coulter will lead."


def test_country_aliases_are_symmetric_and_separate() -> None:
    assert same_place("u.s", "american") and same_place("washington", "u.s") and same_place("american", "washington")
    assert same_place("moscow", "russian") and same_place("ukrainian", "ukraine")
    assert not same_place("u.s", "russia") and not same_place("kremlin", "russia") and not same_place("foo", "foo")


def test_role_paraphrases_skip_lesser_titles() -> None:
    [(phrase, group)] = [p for p in phrase_groups("who is washington's top diplomat?") if p[0] == "top diplomat"]
    assert paraphrased(phrase, group, RUBIO.lower())
    assert not paraphrased(phrase, group, COULTER.lower())  # a deputy assistant secretary is not the secretary
    assert not paraphrased(phrase, group, "the top diplomat met reporters")  # the same words are not a paraphrase


def test_persons_strip_titles_places_and_bodies() -> None:
    assert persons(RUBIO) == [("sergei", "lavrov"), ("marco", "rubio")]
    assert persons("Later on Tuesday, the U.S. State Department confirmed the talks.") == []
    assert persons("They met in Saudi Arabia on Feb. 18.") == []
    known = surnames([RUBIO])
    assert new_person("Who met Lavrov?", "Lavrov and Rubio met again.", known)
    assert not new_person("Who met Lavrov?", "Lavrov met the ministry.", known)


def test_besides_needs_someone_from_the_asked_side() -> None:
    from assistant.answering.entities import new_person_on_side

    both = (
        "Russia's ambassador to the United States, Alexander Darchiyev, and U.S. Deputy Assistant Secretary of State"
        " for Russia and Central Europe Sonata Coulter will lead their delegations."
    )
    known = {"darchiyev", "coulter"}
    assert not new_person_on_side("Besides Coulter, which U.S. officials are on the American delegation?", both, known)
    assert not new_person_on_side("Besides Darchiyev, which Russian officials are on the delegation?", both, known)
    assert new_person_on_side("Besides Coulter, who else leads a delegation?", both, known)
    assert new_person_on_side("Which American official leads the U.S. side?", both, known)


def test_query_expansion_adds_other_wordings_only() -> None:
    from assistant.lexicon import expand_query

    wider = expand_query("Who is Russia's top diplomat?")
    assert wider.startswith("Who is Russia's top diplomat?") and "foreign minister" in wider
    assert expand_query("Where are the talks?") == "Where are the talks?"
