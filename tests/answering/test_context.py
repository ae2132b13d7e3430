"""Sentences read in context: lead-ins with their block, idf weights, document subjects, code questions."""

from pathlib import Path

from assistant.answering.evidence import coverage
from assistant.answering.question import asks_code
from assistant.answering.sentence_checks import shows_code
from assistant.answering.subjects import subject_fit
from assistant.models import Chunk, Hit
from assistant.retrieval.lexical import LexicalIndex
from assistant.text import answer_spans, content_terms


def test_a_lead_in_ending_in_a_colon_takes_its_block() -> None:
    text = "To create one, run the module with the path:\n\npython3 -m venv demo-env\n\nThat is all."
    spans = [text[s:e] for s, e in answer_spans(text)]
    assert spans[0].endswith("python3 -m venv demo-env") and spans[-1] == "That is all."


def test_code_questions_and_code_text() -> None:
    assert asks_code("What command creates a virtual environment?")
    assert asks_code("Which option turns on verbose output?")
    assert not asks_code("Who chairs the committee?")
    assert shows_code("ln -sf widget /usr/bin/widget-config") and shows_code("$ make install")
    assert not shows_code("The committee meets twice a year.")


def _chunk(i: int, text: str, source: str = "a.md", title: str = "") -> Chunk:
    return Chunk(id=f"c{i}", source=source, text=text, start=0, end=len(text), title=title)


def test_rare_words_weigh_more(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    texts = [f"The widget stores settings in file number {i}." for i in range(9)] + [
        "The widget is named after a bird."
    ]
    index.add([_chunk(i, t) for i, t in enumerate(texts)])
    assert index.term_weights("widget bird", least_chunks=50) == {}  # ten passages: rarity means nothing yet
    weights = index.term_weights("widget bird unknownword", least_chunks=5)
    assert weights["unknownword"] == 1.0 > weights["bird"] > weights["widget"] >= 0.0
    question = content_terms("What is the widget named after bird")
    plain, weighted = coverage(question, texts[0]), coverage(question, texts[0], idf=weights)
    assert weighted < plain  # the common word alone earns less once rarity counts


def test_the_document_named_in_the_question_wins() -> None:
    hits = [
        Hit(chunk=_chunk(0, "x", "docs/widget.md", "Widget - a tool"), score=1.0),
        Hit(chunk=_chunk(1, "y", "docs/gadget.md", "Gadget"), score=0.9),
    ]
    fit = subject_fit("What license is Widget distributed under?", hits)
    assert fit == {"docs/widget.md": 1.0, "docs/gadget.md": 0.75}
    assert subject_fit("What license is it distributed under?", hits) == {}


def test_technical_answers_satisfy_where_and_which() -> None:
    from assistant.answering.question import answer_type
    from assistant.answering.sentence_checks import new_literals, type_satisfied

    assert type_satisfied("place", "Where is the history kept?", "It is saved into a file named .widget_history.")
    assert new_literals("Which file?", "customized via a ~/.widgetrc file.", paths_only=True) == {"~/.widgetrc"}
    assert new_literals("What error does write give?", "EPIPE fd is connected to a closed pipe.") == {"EPIPE"}
    assert new_literals("Does deque work?", "use collections.deque instead") == {"collections.deque"}
    assert not new_literals("Where will the fair be held?", "The fair opens Thursday in the town hall.", True)
    assert answer_type("When does the fair open?") == "date"
    assert answer_type("Where and when does the fair open?") == "date"
    assert answer_type("What do I type instead of M-b when editing a line?") == "other"


def _best(question: str, text: str, title: str = "") -> str:
    """The best evidence sentence of one passage for a question (bag-of-words vectors)."""
    from assistant.answering.evidence import gather
    from tests.conftest import FakeEmbedder

    hits = [Hit(chunk=_chunk(0, text, title=title), score=1.0, dense=0.5)]
    return gather(question, hits, FakeEmbedder()).sentences[0].text


def test_a_sentence_that_leans_on_the_one_before_is_read_with_it() -> None:
    from assistant.answering.context import continues

    assert continues("Thus, to enter M-q, you could type ESCq.") and continues("but this can be changed by sep=.")
    assert not continues("The widget stores settings in a file.")
    text = (
        "Meta characters such as Meta-q are typed by holding down the meta key and written as M-q.\n"
        "Thus, to enter M-q on a keyboard without a meta key, you could type ESCq."
    )
    assert _best("What can I type instead of M-q on a keyboard without a meta key?", text).startswith("Thus")


def test_a_bare_command_is_read_with_the_sentence_that_introduces_it() -> None:
    from assistant.answering.sentence_checks import bare_code

    assert bare_code("$ chmod +x myscript.py") and bare_code(">>> import widget\n>>> widget.run()")
    assert not bare_code("Use chmod to make it executable.") and not bare_code("#!/usr/bin/env python3")
    text = (
        "A second way of starting the widget is widget -c command, which executes the statement in command.\n\n"
        "The script can be given an executable mode, or permission, using the chmod command.\n\n"
        "$ chmod +x myscript.py"
    )
    assert _best("What command do I run to give my script executable permission?", text) == "$ chmod +x myscript.py"


def test_a_line_that_only_points_elsewhere_is_a_poor_answer() -> None:
    from assistant.answering.sentence_checks import referral

    assert referral("See Maintainer scripts idempotency.") and referral("WNOHANG\nAs for waitpid().")
    assert referral("The following flags may be ORed in options:\n\nWNOHANG\nAs for waitpid().")
    assert referral("See widget.conf(5) for\ndetails on the syntax of a widget unit file.")  # however long
    assert not referral("See how the loop below visits every widget of the list in turn and prints its name.")
    assert not referral("Seeing the output, the widget stops.")


def test_another_number_for_what_the_question_numbers_is_a_miss() -> None:
    from assistant.answering.sentence_checks import renumbered

    assert renumbered("Since Linux 5.4, what is the default?", "Before Linux 2.4.25, this limit was 128.")
    assert not renumbered("Since Linux 5.4, what is the default?", "Since Linux 5.4, the default is 4096.")
    assert not renumbered("What changed in version 3.8?", "Python 3.9 added it.")  # another name, no conflict


def test_how_long_is_answered_by_a_time_or_a_size() -> None:
    from assistant.answering.sentence_checks import type_satisfied

    assert type_satisfied("duration", "How long is the synopsis allowed to be?", "Keep it under 80 characters.")
    assert type_satisfied("duration", "How long does it wait?", "It waits 30 seconds.")
    assert type_satisfied("duration", "How long did the talks last?", "They lasted several hours.")
    assert not type_satisfied("duration", "How long is the synopsis?", "It spans several lines.")


def test_a_quoted_name_answers_which_thing() -> None:
    from assistant.answering.sentence_checks import type_satisfied

    assert type_satisfied("entity", "What group does its gid refer to?", 'The gid refers to the group "nogroup".')
    assert not type_satisfied("entity", 'What is the group "nogroup"?', 'The group "nogroup" is special.')


def test_a_labelled_line_of_the_wrong_type_gets_no_bonus() -> None:
    text = (
        "Description: single line synopsis\nextended description over several lines\n\n"
        "The single line synopsis should be kept brief, certainly under 80 characters."
    )
    assert _best("How long may the single line synopsis in a description be?", text).startswith("The single")


def test_a_reason_given_by_since_or_an_advantage_counts_as_one() -> None:
    from assistant.answering.evidence import gives_reason

    assert gives_reason('Normally, "Breaks" should be used instead since "Conflicts" is stronger.')
    assert gives_reason("The advantage is that the file is properly closed.")
    assert not gives_reason("Since Linux 5.4, the default is 4096.")


def test_the_kind_word_of_a_code_question_is_not_its_content() -> None:
    text = "The widget command line is long and has many parts.\n\nTo install the widget, run:\n\n$ make install"
    assert "make install" in _best("What command installs the widget?", text)


def test_a_note_marker_is_not_a_number_that_answers() -> None:
    from assistant.answering.sentence_checks import type_satisfied

    question = "What is the maximum number of widgets in a crate?"
    assert not type_satisfied("number", question, "[4] It is customary to leave a space after the crate name.")
    assert type_satisfied("number", question, "A crate holds at most 12 widgets [4].")
    assert type_satisfied("number", "Which index holds the last widget?", "It is crate[4] in the example.")


def test_which_directory_or_file_is_answered_by_a_path() -> None:
    from assistant.answering.question import answer_type
    from assistant.answering.sentence_checks import type_satisfied

    question = "Which file can I edit to change the widget key bindings?"
    assert answer_type(question) == "place" and answer_type("What directories does widgetd scan?") == "place"
    assert answer_type("Which file format does the widget use?") != "place"  # a format, not a path
    assert type_satisfied("place", question, "The key bindings can be changed via a ~/.widgetrc file.")
    assert not type_satisfied("place", question, "The key bindings can be changed in the usual way.")


def test_a_list_item_is_read_with_its_lead_in() -> None:
    from assistant.answering.context import in_context, lead_ins
    from assistant.answering.evidence import candidate_sentences

    text = ("The value of flags is an OR of the following constants:\n\nWQUICK\nreturn at once if nothing is ready."
            "\n\nWSLOW\nwait for the last widget.\n\nThe call then returns.")
    sentences = candidate_sentences([Hit(chunk=_chunk(0, text), score=1.0)])
    by_text = {s.text: [1.0, 0.0] for s in sentences}
    leads = lead_ins(sentences)
    items = [s for s in sentences if s.text.startswith(("WQUICK", "WSLOW"))]
    assert [leads[id(s)] for s in items] == ["The value of flags is an OR of the following constants:"] * 2
    read, _ = in_context(items[1], {}, by_text, [0.0, 1.0], leads)
    assert read.startswith("The value of flags") and "WQUICK" not in read  # the lead-in, not the first item
    assert not any(id(s) in leads for s in sentences if s.text.startswith("The call"))  # the list has ended


def test_a_name_the_title_gives_counts_as_mentioned() -> None:
    from assistant.answering.evidence import gather
    from tests.conftest import FakeEmbedder

    text = "The second round of widget talks will mark a new start, the ministry said."
    question = "Is the Zorbania meeting the first round of these widget talks?"
    titled = _chunk(0, text, title="Widget talks set in Zorbania")
    plain = _chunk(0, text, title="Widget talks")
    score = {c.title: gather(question, [Hit(chunk=c, score=1.0)], FakeEmbedder()).answerability
             for c in (titled, plain)}
    assert score["Widget talks set in Zorbania"] > 1.5 * score["Widget talks"]  # not halved for a missing name


def test_an_outcome_question_wants_an_outcome_stated() -> None:
    from assistant.answering.question import asks_outcome

    assert asks_outcome("What was agreed at the widget meeting?")
    assert asks_outcome("What came out of the meeting?")
    assert not asks_outcome("What key do I press to quit?")
