"""One browser session's conversation state and what the page shows for it (chat, sources, turn controls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.conversations import ConversationStore, Turn, turns_history
from assistant.interfaces.chat.generators import GeneratorStates

if TYPE_CHECKING:
    from assistant.service import Assistant

QUESTION_PLACEHOLDER = "Ask a question about your documents…"
LOADING_PLACEHOLDER = "Loading…"  # until the page's conversation is restored (a question asked sooner would be lost)
BUSY_PLACEHOLDER = "Answering… press Stop to halt it, or wait to ask the next question."
BUSY_NOTE = (
    '<p class="turn-note busy" role="status"><span class="spinner" aria-hidden="true"></span>Answering… '
    "The question box is locked until this answer is done; Stop halts it.</p>"
)
EDIT_NOTE = (
    '<p class="turn-note editing" role="status">Editing your last question: change it and press Enter; '
    "its answer will be replaced.</p>"
)
EDIT_LABELS = {False: "Edit last question", True: "Cancel edit"}
# The outputs of every turn event, in this order (a handler fills the ones it changes, the rest are skipped).
OUTPUTS = ("chat", "sources", "state", "box", "stop", "regen", "edit", "note", "current", "convs")


@dataclass
class Services:
    """What every handler needs: the assistant, the saved conversations and the generators' states."""

    assistant: Assistant
    store: ConversationStore
    states: GeneratorStates
    halted: set[str] = field(default_factory=set)  # asks whose Stop was pressed: their stream ends at its next piece


@dataclass
class ChatState:
    """The conversation on screen: its saved turns, plus the question being (or last) asked without an answer."""

    conversation: str | None = None
    turns: list[Turn] = field(default_factory=list)
    pending: str = ""  # asked and not answered: drafting now, stopped, refused or failed
    replacing: bool = False  # the pending question replaces the last turn (regenerate, edit-and-resend)
    editing: bool = False  # the question box holds the last question, to be edited and sent again
    asking: bool = False  # an answer for `pending` is due: the answering event runs it
    ask_id: str = ""  # names the ask in flight, so that Stop reaches its stream

    @property
    def shown(self) -> list[Turn]:
        """The turns on screen (a turn being replaced is hidden while its new answer is made)."""
        return self.turns[:-1] if self.replacing and self.pending and self.turns else list(self.turns)

    @property
    def history(self) -> list[dict[str, str]]:
        """The follow-up history for the pending question."""
        return turns_history(self.shown)

    @property
    def turn(self) -> int:
        """The number of the answer being made (citation chips and source cards are numbered with it)."""
        return len(self.shown) + 1

    @property
    def last_question(self) -> str:
        """The question Regenerate and Edit act on."""
        return self.pending or (self.turns[-1].question if self.turns else "")


def messages(state: ChatState, tail: str | None = None) -> list[dict[str, str]]:
    """The chat: every shown turn, then the pending question with `tail` (pending, draft, stopped, error)."""
    chat: list[dict[str, str]] = []
    for turn in state.shown:
        chat += [{"role": "user", "content": r.render_user(turn.question)},
                 {"role": "assistant", "content": turn.answer_html}]
    if state.pending and tail is not None:
        chat += [{"role": "user", "content": r.render_user(state.pending)}, {"role": "assistant", "content": tail}]
    return chat


def panel(state: ChatState) -> str:
    """The sources panel for the shown turns."""
    return r.render_panel([turn.sources_html for turn in state.shown])


def emit(**values: Any) -> tuple[Any, ...]:
    """A full output tuple in OUTPUTS order; what is not given is left as it is."""
    unknown = set(values) - set(OUTPUTS)
    if unknown:
        raise KeyError(f"not an output: {sorted(unknown)}")
    return tuple(values.get(name, gr.skip()) for name in OUTPUTS)


def controls(state: ChatState, busy: bool, box_value: str | None = None) -> dict[str, Any]:
    """The question box, Stop, Regenerate, Edit and the note under them, for a busy or an idle session."""
    has_last = bool(state.last_question)
    box = {"interactive": not busy, "placeholder": BUSY_PLACEHOLDER if busy else QUESTION_PLACEHOLDER}
    if box_value is not None:
        box["value"] = box_value
    note = BUSY_NOTE if busy else (EDIT_NOTE if state.editing else "")
    return {
        "box": gr.Textbox(**box),
        "stop": gr.Button(visible=busy),
        "regen": gr.Button(visible=has_last and not busy),
        "edit": gr.Button(visible=has_last and not busy, value=EDIT_LABELS[state.editing]),
        "note": note,
    }


def user_of(request: gr.Request | None) -> str:
    """The logged-in user ("" without a login): conversations belong to them."""
    return str(getattr(request, "username", None) or "")
