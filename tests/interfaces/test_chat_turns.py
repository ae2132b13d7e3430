"""Chat UI turn logic with a fake assistant: ask, save, stop, regenerate, edit, refusals, the document filter, and
the "Answer with" states (checked without loading a model, cached, never contacting other hosts)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from assistant.errors import AssistantError
from assistant.interfaces.chat import generators as gs
from assistant.interfaces.chat import turns
from assistant.interfaces.chat.conversations import ConversationStore
from assistant.interfaces.chat.session import OUTPUTS, ChatState, Services
from assistant.models import Answer
from assistant.settings import OpenAISettings, Settings


class UnknownSource(AssistantError):
    """What the service raises for a document name it does not know."""


class FakeAssistant:
    """Streams two draft pieces, then an answer that repeats the question; records every call."""

    def __init__(self, settings: Settings, known: Sequence[str] = ("a.md", "b.md")) -> None:
        self.settings, self.known, self.calls = settings, set(known), []

    def ask_stream(
        self, question: str, history: Any = None, generator: str | None = None, sources: Sequence[str] | None = None
    ) -> Iterator[str | Answer]:
        """Draft, then the Answer."""
        self.calls.append({"question": question, "history": list(history or []), "generator": generator,
                           "sources": sources})
        if sources and set(sources) - self.known:
            raise UnknownSource(f"Not indexed: {', '.join(sorted(set(sources) - self.known))}.")
        yield "Draft "
        yield "text"
        yield Answer(question=question, answer=f"Answer {len(self.calls)} to {question}", abstained=False)


def _services(tmp_path: Path, probe: gs.Probe | None = None, **settings: Any) -> Services:
    """Services over a fake assistant and a real store."""
    s = Settings(index_dir=tmp_path / "index", **settings)
    return Services(FakeAssistant(s), ConversationStore.in_index(s.index_dir), gs.GeneratorStates(s, probe=_refused))


def _refused(url: str, headers: dict[str, str], timeout: float) -> int:
    """A probe for an endpoint that is not there."""
    raise ConnectionError(url)


def _out(values: tuple[Any, ...]) -> dict[str, Any]:
    """An output tuple by name."""
    return dict(zip(OUTPUTS, values, strict=True))


def _run(services: Services, state: ChatState, generator: str = "extractive",
         sources: Sequence[str] | None = None, user: str = "") -> tuple[list[dict[str, Any]], ChatState]:
    """Run the answering event to its end: every update, and the final state."""
    updates = [_out(u) for u in turns.answer(services, state, generator, sources, SimpleNamespace(username=user))]
    final = [u["state"] for u in updates if isinstance(u["state"], ChatState)]
    return updates, final[-1] if final else state


def _ask(services: Services, state: ChatState, question: str, generator: str = "extractive",
         sources: Sequence[str] | None = None) -> ChatState:
    """Ask a question and let it be answered; the state afterwards."""
    started = _out(turns.ask(services, question, state, generator))
    return _run(services, started["state"], generator, sources)[1]


def _skipped(value: Any) -> bool:
    """Whether an output is left unchanged."""
    return value == gr.skip()


def test_a_question_locks_the_box_at_once_then_the_answer_is_saved(tmp_path: Path) -> None:
    services = _services(tmp_path)
    started = _out(turns.ask(services, "Where is the gauge?", ChatState(), "extractive"))
    state = started["state"]
    assert state.asking and state.pending == "Where is the gauge?"
    assert started["box"].interactive is False and started["stop"].visible is True and "Answering" in started["note"]
    assert "Queued" in started["chat"][-1]["content"]
    updates, state = _run(services, state)
    drafts = [u["chat"][-1]["content"] for u in updates if isinstance(u["chat"], list)]
    assert any("Searching" in d for d in drafts) and any("Draft text" in d and "not yet checked" in d for d in drafts)
    last = updates[-1]
    assert last["box"].interactive is True and last["stop"].visible is False and last["regen"].visible is True
    assert state.pending == "" and not state.asking and state.conversation == last["current"]
    saved = services.store.get(state.conversation, "")
    assert saved is not None and saved.title == "Where is the gauge?"
    assert [t.answer for t in saved.turns] == ["Answer 1 to Where is the gauge?"]
    assert "Where is the gauge?" in last["convs"]


def test_follow_up_gets_the_history_and_lands_in_the_same_conversation(tmp_path: Path) -> None:
    services = _services(tmp_path)
    state = _ask(services, ChatState(), "First?")
    state = _ask(services, state, "And then?")
    assert services.assistant.calls[1]["history"] == [
        {"role": "user", "content": "First?"}, {"role": "assistant", "content": "Answer 1 to First?"}]
    saved = services.store.get(state.conversation, "")
    assert saved is not None and [t.question for t in saved.turns] == ["First?", "And then?"]
    assert len(services.store.conversations("")) == 1


def test_a_question_while_answering_is_not_taken(tmp_path: Path) -> None:
    services = _services(tmp_path)
    busy = _out(turns.ask(services, "First?", ChatState(), "extractive"))["state"]
    assert all(_skipped(v) for v in turns.ask(services, "Second?", busy, "extractive"))
    assert all(_skipped(v) for v in turns.regenerate(services, busy, "extractive"))


def test_stop_shows_stopped_and_saves_nothing_then_regenerate_asks_again(tmp_path: Path) -> None:
    services = _services(tmp_path)
    busy = _out(turns.ask(services, "Halt me?", ChatState(), "extractive"))["state"]
    after = _out(turns.stopped(busy))
    state = after["state"]
    assert "Stopped." in after["chat"][-1]["content"] and after["box"].interactive is True
    assert not state.asking and state.pending == "Halt me?" and services.store.conversations("") == []
    _, state = _run(services, state)  # a late answering event for the stopped question does nothing
    assert services.assistant.calls == [] and state.pending == "Halt me?"
    again = _out(turns.regenerate(services, state, "extractive"))["state"]
    _, state = _run(services, again)
    assert [t.question for t in state.turns] == ["Halt me?"] and state.pending == ""


class EndlessAssistant(FakeAssistant):
    """Drafts without end; records whether its stream was closed."""

    closed = False

    def ask_stream(self, question: str, history: Any = None, generator: str | None = None,
                   sources: Sequence[str] | None = None) -> Iterator[str | Answer]:
        """Piece after piece, until closed."""
        try:
            while True:
                yield "more "
        finally:
            EndlessAssistant.closed = True


def test_stop_pressed_mid_stream_ends_it_and_nothing_but_stopped_follows(tmp_path: Path) -> None:
    services = _services(tmp_path)
    services.assistant = EndlessAssistant(services.assistant.settings)
    busy = _out(turns.ask(services, "Halt me?", ChatState(), "extractive"))["state"]
    events = turns.answer(services, busy, "extractive", None, SimpleNamespace(username=""))
    shown = [_out(next(events)) for _ in range(3)]  # searching, then two drafts
    assert "more more" in shown[-1]["chat"][-1]["content"]
    pressed = _out(turns.stopped(busy, services))
    assert "Stopped." in pressed["chat"][-1]["content"]
    rest = [_out(u) for u in events]  # the pieces still due: only the stopped answer, and the stream is closed
    assert len(rest) == 1 and "Stopped." in rest[0]["chat"][-1]["content"] and EndlessAssistant.closed
    assert not rest[0]["state"].asking and services.store.conversations("") == [] and not services.halted


def test_regenerate_replaces_the_last_answer_with_the_generator_chosen_now(tmp_path: Path) -> None:
    services = _services(tmp_path)
    state = _ask(services, _ask(services, ChatState(), "One?"), "Two?")
    started = _out(turns.regenerate(services, state, "scripted"))
    assert [m["content"] for m in started["chat"] if "Two?" in m["content"]]  # shown once, as the pending question
    assert sum("Answer 2 to Two?" in m["content"] for m in started["chat"]) == 0  # the old answer is hidden
    _, state = _run(services, started["state"], "scripted")
    assert services.assistant.calls[-1]["generator"] == "scripted"
    assert services.assistant.calls[-1]["history"][0]["content"] == "One?"  # not the answer being replaced
    saved = services.store.get(state.conversation, "")
    assert saved is not None and [t.answer for t in saved.turns] == ["Answer 1 to One?", "Answer 3 to Two?"]


def test_edit_puts_the_last_question_back_and_resending_replaces_it(tmp_path: Path) -> None:
    services = _services(tmp_path)
    state = _ask(services, _ask(services, ChatState(), "One?"), "Tow?")
    edited = _out(turns.edit_last(state))
    assert edited["box"].value == "Tow?" and "Editing" in edited["note"] and edited["edit"].value == "Cancel edit"
    state = _ask(services, edited["state"], "Two?")
    saved = services.store.get(state.conversation, "")
    assert saved is not None and [t.question for t in saved.turns] == ["One?", "Two?"]
    cancelled = _out(turns.edit_last(_out(turns.edit_last(state))["state"]))
    assert cancelled["box"].value == "" and cancelled["note"] == "" and not cancelled["state"].editing


def test_an_unusable_generator_is_refused_with_its_reason(tmp_path: Path) -> None:
    services = _services(tmp_path)
    refused = _out(turns.ask(services, "Anyone there?", ChatState(), "openai"))
    text = refused["chat"][-1]["content"]
    assert "openai" in text and gs.UNREACHABLE in text and "Answer with" in text
    assert not refused["state"].asking and refused["box"].interactive is True
    _run(services, refused["state"], "openai")
    assert services.assistant.calls == []


def test_the_document_filter_is_passed_and_unknown_names_are_shown(tmp_path: Path) -> None:
    services = _services(tmp_path)
    state = _ask(services, ChatState(), "From a only?", sources=["a.md"])
    assert services.assistant.calls[-1]["sources"] == ["a.md"] and state.turns
    _ask(services, state, "No filter?")
    assert services.assistant.calls[-1]["sources"] is None  # an empty filter is not passed at all
    started = _out(turns.ask(services, "From c?", state, "extractive"))["state"]
    updates, after = _run(services, started, sources=["c.md"])
    assert "Not indexed: c.md" in updates[-1]["chat"][-1]["content"] and after.pending == "From c?"


def test_a_service_without_the_filter_says_so(tmp_path: Path) -> None:
    services = _services(tmp_path)

    class Older:
        """ask_stream without `sources`."""

        settings = services.assistant.settings

        def ask_stream(self, question: str, history: Any = None, generator: str | None = None) -> Iterator[Any]:
            """Never reached with a filter."""
            yield Answer(question=question, answer="x", abstained=False)

    services.assistant = Older()  # type: ignore[assignment]
    started = _out(turns.ask(services, "Q?", ChatState(), "extractive"))["state"]
    updates, _ = _run(services, started, sources=["a.md"])
    assert "not available" in updates[-1]["chat"][-1]["content"]
    assert turns.supports_filter(FakeAssistant(services.assistant.settings)) and not turns.supports_filter(Older())


def test_answers_are_saved_per_user(tmp_path: Path) -> None:
    services = _services(tmp_path)
    started = _out(turns.ask(services, "Mine?", ChatState(), "extractive"))["state"]
    _, state = _run(services, started, user="alice")
    assert services.store.get(state.conversation, "alice") is not None
    assert services.store.get(state.conversation, "") is None and services.store.conversations("bob") == []


# --- "Answer with" states -------------------------------------------------------------------------
class Probe:
    """A scripted GET: a status, or an exception; counts calls and records the URLs."""

    def __init__(self, result: int | Exception) -> None:
        self.result, self.urls = result, []

    def __call__(self, url: str, headers: dict[str, str], timeout: float) -> int:
        """Answer (or fail) as scripted."""
        self.urls.append(url)
        assert timeout <= 1.0
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


class Clock:
    """A clock moved by hand."""

    now = 100.0

    def __call__(self) -> float:
        """The time."""
        return self.now


def test_openai_state_is_probed_once_per_minute(tmp_path: Path) -> None:
    probe, clock = Probe(200), Clock()
    states = gs.GeneratorStates(Settings(index_dir=tmp_path), probe=probe, clock=clock)
    assert states.check("openai").usable and probe.urls == ["http://127.0.0.1:8080/v1/models"]
    clock.now += 59
    states.check("openai")
    assert len(probe.urls) == 1
    clock.now += 2
    probe.result = ConnectionError("refused")
    state = states.check("openai")
    assert len(probe.urls) == 2 and state.state == gs.UNREACHABLE and "openai.base_url" in state.reason
    assert state.label == "openai — unreachable" and "unreachable" in gs.state_note(state)


@pytest.mark.parametrize(("status", "expected"), [(401, gs.NOT_CONFIGURED), (503, gs.UNREACHABLE)])
def test_openai_refusals_name_the_fix(tmp_path: Path, status: int, expected: str) -> None:
    state = gs.GeneratorStates(Settings(index_dir=tmp_path), probe=Probe(status)).check("openai")
    assert state.state == expected and not state.usable and state.reason


def test_a_remote_url_is_probed_only_when_configured_explicitly(tmp_path: Path) -> None:
    probe = Probe(200)
    default = Settings(index_dir=tmp_path)
    unset = OpenAISettings.model_construct(_fields_set=set(), base_url="http://10.0.0.9/v1")  # a remote default
    assert gs.GeneratorStates(default.model_copy(update={"openai": unset}), probe=probe).check("openai").usable
    assert probe.urls == []
    explicit = Settings(index_dir=tmp_path, openai={"base_url": "http://10.0.0.9/v1"})
    gs.GeneratorStates(explicit, probe=probe).check("openai")
    assert probe.urls == ["http://10.0.0.9/v1/models"]


def test_blank_base_url_is_not_configured(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path, openai={"base_url": ""})
    state = gs.GeneratorStates(settings, probe=Probe(200)).check("openai")
    assert state.state == gs.NOT_CONFIGURED and "openai.base_url" in state.reason


def test_local_state_checks_the_file_without_loading_it(tmp_path: Path) -> None:
    missing = Settings(index_dir=tmp_path, local={"gguf_path": str(tmp_path / "absent.gguf")})
    state = gs.GeneratorStates(missing).check("local")
    assert state.state == gs.NOT_CONFIGURED and "absent.gguf" in state.reason
    extractive = gs.GeneratorStates(missing).check("extractive")
    assert extractive.usable and gs.choices([extractive, state]) == [
        ("extractive — ready", "extractive"), ("local — not configured", "local")]


# --- launch -----------------------------------------------------------------------------------------
class FakeBlocks:
    """Records launch() instead of serving."""

    launched: dict[str, Any] | None = None

    def queue(self, **options: Any) -> FakeBlocks:
        """Nothing to set up."""
        return self

    def launch(self, **options: Any) -> None:
        """Keep the options."""
        self.launched = options


@pytest.mark.parametrize("inbrowser", [True, False])
def test_launch_passes_inbrowser_and_prints_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], inbrowser: bool
) -> None:
    from assistant.interfaces.chat import app

    fake = FakeBlocks()
    monkeypatch.setattr(app, "build", lambda assistant: fake)
    monkeypatch.delenv("ASSISTANT_UI_USER", raising=False)
    monkeypatch.delenv("ASSISTANT_UI_PASSWORD", raising=False)
    owner = SimpleNamespace(settings=Settings(index_dir=tmp_path / "index", ui_port=7999))
    app.launch(owner, block=False, inbrowser=inbrowser)  # type: ignore[arg-type]
    assert fake.launched is not None and fake.launched["inbrowser"] is inbrowser
    assert "http://127.0.0.1:7999/" in capsys.readouterr().out
