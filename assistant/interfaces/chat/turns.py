"""Asking, stopping, regenerating and editing: each question starts at once (the box locks, a visible 'Answering…'),
then its answer streams on the shared answering queue and is saved when it is verified. A stopped draft is
never saved."""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.conversations import Turn
from assistant.interfaces.chat.session import (
    OUTPUTS,
    ChatState,
    Services,
    controls,
    emit,
    messages,
    panel,
    user_of,
)
from assistant.models import Answer

log = logging.getLogger(__name__)

SERIAL = "assistant"  # one queue for answering: the CPU is the limit (indexing has its own, see documents.py)
GENERIC_ERROR = "Something went wrong while answering; the error was logged. Please try again."
NO_FILTER = "Answering from chosen documents only is not available in this version; clear the document filter."


def begin(services: Services, state: ChatState, question: str, generator: str) -> tuple[Any, ...]:
    """Show the question at once with a 'waiting' answer and lock the box; a generator that cannot answer refuses."""
    state = replace(state, pending=question, editing=False, asking=True, ask_id=uuid.uuid4().hex)
    generator_state = services.states.check(generator) if generator else None
    if generator_state is not None and not generator_state.usable:
        state = replace(state, asking=False)
        tail = r.render_error(generator_state.refusal())
        return emit(chat=messages(state, tail), state=state, **controls(state, busy=False, box_value=""))
    return emit(chat=messages(state, r.render_waiting()), state=state, **controls(state, busy=True, box_value=""))


def ask(services: Services, message: str, state: ChatState, generator: str) -> tuple[Any, ...]:
    """A typed (or example) question: a new turn, or with Edit the replacement of the last one."""
    if not (message or "").strip() or state.asking:
        return emit()
    replacing = state.replacing if state.pending else bool(state.editing and state.turns)
    return begin(services, replace(state, replacing=replacing), message, generator)


def regenerate(services: Services, state: ChatState, generator: str) -> tuple[Any, ...]:
    """Ask the last question again (with the generator chosen now); its answer replaces the last one."""
    if state.asking or not state.last_question:
        return emit()
    replacing = state.replacing if state.pending else True
    return begin(services, replace(state, replacing=replacing), state.last_question, generator)


def edit_last(state: ChatState) -> tuple[Any, ...]:
    """Put the last question back in the box to edit and resend (pressed again: cancel the edit)."""
    if state.asking or not state.last_question:
        return emit()
    state = replace(state, editing=not state.editing)
    return emit(state=state, **controls(state, busy=False, box_value=state.last_question if state.editing else ""))


def stopped(state: ChatState, services: Services | None = None) -> tuple[Any, ...]:
    """After Stop: the draft is dropped (nothing saved) and 'Stopped.' shown; Regenerate asks again."""
    if services is not None and state.ask_id:
        services.halted.add(state.ask_id)  # the stream shows nothing more and ends at its next piece
    state = replace(state, asking=False)
    return emit(chat=messages(state, r.render_stopped()), state=state, **controls(state, busy=False))


def supports_filter(assistant: Any) -> bool:
    """Whether ask_stream takes `sources` (answers from chosen documents only)."""
    try:
        return "sources" in inspect.signature(assistant.ask_stream).parameters
    except (TypeError, ValueError):
        return False


def stream(services: Services, state: ChatState, generator: str, sources: Sequence[str]) -> Iterator[str | Answer]:
    """The assistant's events for the pending question (draft pieces, then the Answer)."""
    options: dict[str, Any] = {}
    if sources:
        if not supports_filter(services.assistant):
            raise FilterUnavailable(NO_FILTER)
        options["sources"] = list(sources)
    yield from services.assistant.ask_stream(state.pending, state.history, generator or None, **options)


class FilterUnavailable(AssistantError):
    """The service cannot restrict answers to chosen documents."""


def answer(
    services: Services, state: ChatState, generator: str, sources: Sequence[str] | None, request: gr.Request
) -> Iterator[tuple[Any, ...]]:
    """Stream the pending question's answer: searching, draft, then the verified answer, saved."""
    if not state.asking:
        yield emit()
        return
    yield emit(chat=messages(state, r.render_pending()))
    final, tail = None, ""
    try:
        final = yield from _drafts(services, state, generator, sources or [])
    except AssistantError as exc:
        tail = r.render_error(exc.user_message())
    except Exception:  # noqa: BLE001 - never a stack trace in the chat
        log.exception("answering failed")
        tail = r.render_error(GENERIC_ERROR)
    if state.ask_id in services.halted:
        services.halted.discard(state.ask_id)
        yield stopped(state)
        return
    if final is None:
        state = replace(state, asking=False)
        yield emit(chat=messages(state, tail), state=state, **controls(state, busy=False))
        return
    state = save(services, state, final, user_of(request))
    from assistant.interfaces.chat.sidebar import conversation_list  # the sidebar imports this module

    yield emit(
        chat=messages(state), sources=panel(state), state=state, current=state.conversation,
        convs=conversation_list(services, user_of(request), state.conversation), **controls(state, busy=False),
    )


def _drafts(
    services: Services, state: ChatState, generator: str, sources: Sequence[str]
) -> Generator[tuple[Any, ...], None, Answer | None]:
    """Yield the growing draft; return the Answer, or None once Stop was pressed (the stream is closed then)."""
    draft = ""
    with closing(stream(services, state, generator, sources)) as events:
        for event in events:
            if state.ask_id in services.halted:
                return None
            if isinstance(event, Answer):
                return event
            draft += event
            yield emit(chat=messages(state, r.render_draft(draft)))
    return None


def save(services: Services, state: ChatState, final: Answer, user: str) -> ChatState:
    """Store the verified answer as a turn (replacing the last one when regenerating); the new state."""
    number = state.turn
    turn = Turn.from_answer(state.pending, final, r.render_answer(final, number), r.render_sources(final, number))
    turns = state.shown + [turn]
    store, conversation = services.store, state.conversation
    try:
        if conversation and store.add_turn(conversation, user, turn, replace_last=state.replacing):
            return ChatState(conversation=conversation, turns=turns)
        conversation = store.create(user, turns[0].question).id  # a first answer, or the conversation was deleted
        for each in turns:
            store.add_turn(conversation, user, each)
    except Exception:  # noqa: BLE001 - the answer is still shown; only saving failed
        log.exception("saving the conversation failed")
    return ChatState(conversation=conversation, turns=turns)


def wire(services: Services, ui: dict[str, Any]) -> list[Any]:
    """Ask (Enter, Ask, examples), Regenerate, Edit and Stop; the answering events (for others to cancel)."""

    def asked(message: str, state: ChatState, generator: str) -> tuple[Any, ...]:
        """A typed or picked question."""
        return ask(services, message, state, generator)

    def again(state: ChatState, generator: str) -> tuple[Any, ...]:
        """Regenerate."""
        return regenerate(services, state, generator)

    def answering(
        state: ChatState, generator: str, sources: list[str] | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """The answer of the question just asked."""
        yield from answer(services, state, generator, sources, request)

    outputs = [ui[name] for name in OUTPUTS]
    quick = {"outputs": outputs, "queue": False, "show_progress": "hidden", "api_visibility": "private"}
    streamed = {
        "fn": answering,
        "inputs": [ui["state"], ui["gen"], ui["filter"]],
        "outputs": outputs,
        "show_progress": "hidden",
        "concurrency_id": SERIAL,
        "concurrency_limit": 1,
        "api_visibility": "private",
    }
    question = [ui["box"], ui["state"], ui["gen"]]
    typed = ui["box"].submit(asked, question, trigger_mode="once", **quick)
    example = ui["chat"].example_select(_example_text, None, ui["box"], api_visibility="private", queue=False)
    picked = example.then(asked, question, **quick)
    regenerated = ui["regen"].click(again, [ui["state"], ui["gen"]], **quick)
    ui["edit"].click(edit_last, [ui["state"]], **quick)
    running = [event.then(**streamed) for event in (typed, picked, regenerated)]
    def halt(state: ChatState) -> tuple[Any, ...]:
        """Stop."""
        return stopped(state, services)

    halted = ui["stop"].click(halt, [ui["state"]], cancels=running, **quick)
    halted.then(stopped, [ui["state"]], **quick)  # once more after the cancel: a piece in flight may have landed
    return running


def _example_text(evt: gr.SelectData) -> str:
    """The question of a clicked example."""
    value = getattr(evt, "value", None)
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")
