"""Evidence scoring and sentence checks: soft word matching, role direction, reasons, fragments, ordinals, speakers."""

from assistant.answering.evidence import coverage, gives_reason
from assistant.answering.question import asks_reason, role_head
from assistant.answering.sentence_checks import fragment, ordinal_absent
from assistant.answering.soft_match import SoftMatch
from assistant.text import content_terms, role_conflict, terms_match

AMBASSADOR = "Russia's newly appointed ambassador to the United States, Alexander Darchiyev, will lead the delegation."


class PairEmbedder:
    """Single words: 'envoy' and 'ambassador' share a direction, every other word is orthogonal."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One-hot vectors by word, with envoy and ambassador close."""
        out = []
        for text in texts:
            vec = [0.0] * 64
            key = text.lower()
            if key in ("envoy", "ambassador"):
                vec[0], vec[1] = 1.0, (0.3 if key == "envoy" else 0.0)
            else:
                vec[2 + sum(map(ord, key)) % 62] = 1.0
            out.append(vec)
        return out


def test_role_direction_conflicts() -> None:
    assert role_conflict("Who is the U.S. ambassador to Russia?", AMBASSADOR)
    assert role_conflict("Who is the American ambassador in Moscow?", AMBASSADOR)
    assert role_conflict("Who is Russia's ambassador to Turkey?", AMBASSADOR)
    assert not role_conflict("Who is Russia's ambassador to the United States?", AMBASSADOR)
    assert not role_conflict("Who leads the delegation?", AMBASSADOR)  # no party named: nothing to contradict


def test_role_head() -> None:
    assert role_head("Who is the U.S. ambassador to Russia?") == "ambassador"
    assert role_head("Who is the Kremlin spokesman quoted in the article?") == "spokesman"
    assert role_head("Who was speaking for the ministry?") is None
    assert role_head("Who will lead the talks?") is None


def test_soft_match_credits_synonyms_but_not_names() -> None:
    embedder = PairEmbedder()
    question = "Which envoy heads the team?"
    soft = SoftMatch(question, embedder)
    terms = content_terms(question)
    assert coverage(terms, AMBASSADOR, soft) > coverage(terms, AMBASSADOR)
    named = "Which envoy did Putin send?"
    assert "putin" not in SoftMatch(named, embedder).surface  # names must match literally
    assert "ambassador" not in SoftMatch("Who is the U.S. ambassador?", embedder).surface  # a qualified role too


def test_terms_match_keeps_compounds_apart_from_other_words() -> None:
    assert terms_match("spokesperson", "spokeswoman")
    assert terms_match("russia", "russian")
    assert terms_match("confirm", "confirmation")
    assert not terms_match("minister", "ministry")


def test_reasons_fragments_ordinals() -> None:
    assert asks_reason("Why was the meeting significant?")
    assert asks_reason("What is the purpose of the talks?")
    assert not asks_reason("Who leads the talks?")
    assert gives_reason("They met to discuss normalizing relations following years of expulsions.")
    assert not gives_reason("The talks will take place Thursday in Istanbul.")
    assert fragment("Russian Foreign Ministry")
    assert not fragment("AFP contributed reporting.")
    assert ordinal_absent("When is the third round?", ["The second round takes place Thursday."])
    assert not ordinal_absent("When is the second round?", ["The second round takes place Thursday."])


def test_claimed_roles_must_be_in_the_passage() -> None:
    from assistant.text import role_unsupported

    assert role_unsupported("Alexander Darchiyev is the ambassador to Russia.", AMBASSADOR)
    assert role_unsupported("He will be Darchiyev's deputy.", AMBASSADOR)
    assert not role_unsupported("Darchiyev is Russia's ambassador to the United States.", AMBASSADOR)


def test_verbs_after_a_name_are_not_roles() -> None:
    question = "Is Alexander Darchiyev newly appointed as Russia's ambassador to the United States?"
    assert not role_conflict(question, AMBASSADOR)


def test_question_shapes() -> None:
    from assistant.answering.evidence import reason_fit
    from assistant.answering.question import answer_type, focus_terms
    from assistant.answering.subjects import name_coverage

    assert answer_type("Kremlin announced the talks on tuesday, yes?") == "yesno"
    assert answer_type("Per the State Department, are these talks meant to normalize ties?") == "yesno"
    assert answer_type("How did Peskov respond about who would represent Russia?") == "other"
    assert answer_type("In which Gulf kingdom did they meet?") == "place"
    assert answer_type("Which state-run news agency reported it?") == "entity"
    assert asks_reason("What are these talks actually for?")
    assert focus_terms("What concrete agreements came out of the meeting?") == ["concrete", "agreement"]
    assert focus_terms("What time is the meeting?") == [] and focus_terms("What role does Peskov have?") == []
    assert name_coverage("Which Turkish city hosts the talks?", ["The talks are in Istanbul."]) == 1.0
    assert name_coverage("Did the Turkish government comment?", ["The talks are in Istanbul."]) == 0.0
    cause = "They met to discuss normalizing their missions following years of expulsions."
    assert reason_fit("Why do the missions need normalizing?", cause) > 0.5
    assert reason_fit("Why do the missions need normalizing?", "The decision came after a summit.") == 0.0


def test_role_holders_places_and_previous() -> None:
    from assistant.answering.sentence_checks import held_by_asked, type_satisfied
    from assistant.answering.yesno import polarity
    from assistant.text import contrast

    sent = "Russia's new ambassador to the United States, Alexander Darchiyev, and Sonata Coulter will lead."
    known = {"darchiyev", "coulter"}
    assert held_by_asked("ambassador", "Who was Russia's ambassador before Darchiyev?", sent, known)
    assert not held_by_asked("ambassador", "Who is Russia's ambassador?", sent, known)
    met = "Lavrov and Rubio met in Saudi Arabia on Feb. 18."
    assert not type_satisfied("place", "In which Saudi city did they meet?", met)  # the country, not a city
    assert type_satisfied("place", "In which country did they meet?", met)
    assert not contrast("Where was their previous meeting?", "They last met in Istanbul.")
    assert polarity("Did their previous meeting take place in Istanbul?", "They last met in Istanbul.") == "Yes"


def test_relatives_titles_outcomes_and_countries() -> None:
    from assistant.answering.question import asks_title, focus_terms
    from assistant.answering.sentence_checks import gives_title, type_satisfied
    from assistant.answering.subjects import name_coverage
    from assistant.text import contrast, recase

    assert role_head("Who was Darchiyev's predecessor as Russia's ambassador to the U.S.?") == "ambassador"
    assert role_head("And who was America's chief diplomat across the table from him?") == "diplomat"
    assert asks_title("What is Sonata Coulter's official title?")
    assert not asks_title("What is the title of the article?") and not asks_title("Who holds the post?")
    coulter = "U.S. Deputy Assistant Secretary of State Sonata Coulter will lead the delegation."
    assert gives_title("What is Sonata Coulter's official title?", coulter)
    assert not gives_title("What is Sonata Coulter's official title?", "Coulter met Darchiyev in Istanbul.")
    assert focus_terms("what was agreed at the Feb. 27 meeting?") == ["agre"]
    assert focus_terms("Which country at war was excluded from the agenda?") == []  # a type and its traits
    ukraine = '"Ukraine is not — absolutely not — on the agenda," spokeswoman Tammy Bruce said.'
    assert type_satisfied("place", "Which country at war was excluded, per Washington's spokeswoman?", ukraine)
    assert not type_satisfied("place", "Which country did the U.S. spokeswoman mention?", "The U.S. said so.")
    assert not role_conflict("What did Washington's spokesperson say?", "State Department spokeswoman Tammy Bruce")
    assert not contrast("Did their previous meeting take place in Istanbul?", "The second round is Thursday.")
    assert contrast("Is this the first round?", "It will be the second round.")
    assert recase("what did the president say", ["U.S. President Donald Trump spoke."]) == "what did the president say"
    minister = ["The foreign minister has pushed to reset relations since January."]
    assert name_coverage("What has the Secretary of State pushed for?", minister) == 1.0  # a lexicon paraphrase


def test_speakers_typos_places_and_outcomes() -> None:
    from assistant.answering.question import answer_type, fix_question_words, focus_terms
    from assistant.answering.sentence_checks import speaks, type_satisfied

    peskov = '"Our side will be represented by the Foreign Ministry," Kremlin spokesman Dmitry Peskov told reporters.'
    assert speaks("Peskov", [peskov, ""])
    invaded = "The talks came after Lavrov and Rubio met, the first meeting since Russia invaded Ukraine in 2022."
    assert not speaks("Ukraine's government", [invaded, ""])  # named, but not saying anything
    assert speaks("Tammy Bruce", ['"Not on the agenda," she added.', "Spokeswoman Tammy Bruce told reporters."])
    assert fix_question_words("wich venue in istanbul hosts the talks?") == "which venue in istanbul hosts the talks?"
    assert answer_type(fix_question_words("Wich city hosts the talks?")) == "place"
    assert focus_terms("What was actually agreed at the meeting?") == ["agre"]
    envoy = "Russia's ambassador to the United States, Alexander Darchiyev, will lead the delegation."
    assert not type_satisfied("place", "In what city are the teams from Washington convening?", envoy)
    assert type_satisfied("place", "In what city are the teams convening?", "The talks take place in Istanbul.")


PESKOV = '"Our side will be represented by the Foreign Ministry," Kremlin spokesman Dmitry Peskov told reporters.'
KREMLIN = "The second round of talks will take place Thursday in Istanbul, the Kremlin said Tuesday."


def test_speaker_by_role_topic_and_earlier_role() -> None:
    from assistant.answering.question import EARLIER_ROLE, speaker_of, topic_names
    from assistant.answering.sentence_checks import earlier_role, speaks

    speaker = speaker_of("According to Putin's press secretary, which body will speak for Moscow?")
    assert speaker == "Putin's press secretary"
    assert speaks(speaker, [PESKOV, ""])  # press secretary ~ spokesman
    assert not speaks(speaker, [KREMLIN, ""])  # the Kremlin speaks, but not its spokesman
    assert speaker_of("According to the article, who leads the delegation?") is None
    assert not speaks("vladimir putin", [KREMLIN, ""])  # lower-case names are still names
    assert topic_names("What did the Kremlin spokesman say about the Ukraine peace process?") == ["ukraine"]
    assert EARLIER_ROLE.search("What position did Sonata Coulter hold before her current role?")
    assert not earlier_role("Coulter will lead the U.S. delegation.")
    assert earlier_role("Coulter previously served as consul in Moscow.")


def test_yes_no_choices_counts_and_page_parts() -> None:
    from assistant.answering.question import answer_type, asks_title
    from assistant.answering.sentence_checks import credit_line, labelled, type_satisfied
    from assistant.answering.yesno import negates_asked, polarity

    assert answer_type("Is Thursday's meeting the first, second or third installment?") == "other"
    assert answer_type("Are political, security or Ukraine issues on the agenda?") == "yesno"
    second = "Thursday's talks will mark the second round of negotiations."
    assert type_satisfied("number", "How many rounds of negotiations will there have been?", second)
    assert not type_satisfied("number", "How many days will the talks last?", second)
    ministry = "Russia's Foreign Ministry said it will mark the second round of negotiations."
    assert polarity("Will Thursday's meeting be the second round of negotiations?", ministry) == "Yes"
    assert negates_asked("Are the talks meant to normalize relations?", "They are not on normalizing a relationship.")
    assert not negates_asked("Are the talks meant to normalize relations?", "They will not be long.")
    assert credit_line("Russian Foreign Ministry", "Russian Ambassador Alexander Darchiyev.")
    assert not credit_line("The talks will go ahead.", "Russian Ambassador Alexander Darchiyev.")
    assert labelled("What is the title of the related article?", "Related article: How Trade Wars End")
    assert not labelled("What is the title of the article?", "Original url: https://example.com")
    assert not asks_title("What is the title of the related article linked in the piece?")


def test_question_typos_fixed_against_the_texts() -> None:
    from assistant.answering.question import respell

    texts = ["Russia's newly appointed ambassador confirmed the statements."]
    assert respell("Is he a newly apointed ambasador?", texts) == "Is he a newly appointed ambassador?"
    assert respell("Who confrimed it?", texts) == "Who confirmed it?"
    assert respell("What was stated?", texts) == "What was stated?"  # a real word one letter off stays


def test_who_spoke_kinds_of_things_and_insisting_speakers() -> None:
    from assistant.answering.question import focus_terms, speaker_of
    from assistant.answering.sentence_checks import person_reports, speaks

    known = {"bruce", "peskov", "darchiyev", "coulter"}
    assert person_reports("State Department spokeswoman Tammy Bruce told reporters.", known)
    assert not person_reports("Darchiyev and Coulter will lead their delegations, the ministry said.", known)
    assert focus_terms("What kind of reciprocal measures have hurt ties?") == ["reciprocal", "measur"]
    assert speaker_of("Which country did the American spokeswoman insist was excluded?") == "the American spokeswoman"
    office = "The second round of talks will take place Thursday, the presidency said Tuesday."
    assert speaks("the presidential administration", [office, ""])  # the same body, in other words


def test_colon_choices_goals_replacements_and_linked_stories() -> None:
    from assistant.answering.question import EARLIER_ROLE, answer_type, focus_terms
    from assistant.answering.sentence_checks import labelled

    assert answer_type("How does the article characterize TASS: independent, or state-run?") == "other"
    assert answer_type("Did they meet, or not?") == "yesno"
    assert focus_terms("What goal are the negotiations aimed at?") == []  # a reason, not a thing named "goal"
    assert EARLIER_ROLE.search("Whom did Alexander Darchiyev replace as ambassador?")
    assert labelled("What's the headline of the linked story?", "Related article: How Trade Wars End")


def test_an_operator_the_passages_never_show_counts_as_a_missing_name() -> None:
    from assistant.answering.subjects import name_coverage

    question = "What does the pipe operator |> do?"
    assert name_coverage(question, ["The pipe | sends output onward."]) == 0.0
    assert name_coverage(question, ["x |> f() calls f with x."]) == 1.0
    assert name_coverage("What does %in% return?", ["%in% returns a logical vector."]) == 1.0
    assert name_coverage("Is a -- b the same as a - b?", ["No passage names it."]) == 1.0  # a dash, not a symbol
    assert name_coverage("Is the widget fine :-)", ["No passage names it."]) == 1.0  # a smiley
    assert name_coverage("What does `|>` do?", ["No passage names it."]) == 0.0  # a symbol in backticks


def test_after_so_comes_the_effect_a_why_question_names() -> None:
    from assistant.answering.evidence import reason_fit

    question = "Why is reusing a widget number a problem?"
    sentence = "Numbers are not kept in the file names, so reusing a widget number gives two files one name."
    assert reason_fit(question, sentence) > 0.6  # the effect after ", so" is what the question asks about
    assert reason_fit(question, "Widgets break, so the committee meets.") < 0.5


def test_a_name_inside_a_web_address_counts_as_mentioned() -> None:
    from assistant.answering.subjects import name_coverage

    assert name_coverage("What was WidgetHub's old nickname?", ["https://docs.widgethub.org: the index"]) == 1.0


def test_so_that_gives_a_purpose_before_it() -> None:
    from assistant.answering.evidence import reason_fit

    question = "Why does the widget cache its settings?"
    assert reason_fit(question, "The widget caches its settings, so that startup stays fast.") > 0.6
