"""The conversations sidebar: saved conversations newest first (open, rename, export as Markdown, delete after a
confirmation), "New conversation", and the current conversation restored when the page is reloaded."""

from __future__ import annotations

import logging
import time
from typing import Any

import gradio as gr

from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.conversations import Conversation, file_name
from assistant.interfaces.chat.documents import document_rows, examples
from assistant.interfaces.chat.session import OUTPUTS, ChatState, Services, controls, emit, messages, panel, user_of

log = logging.getLogger(__name__)
FOCUS_BOX = "() => { document.querySelector('#question textarea')?.focus(); }"

STORAGE_KEY = "askdocs-conversation"  # where the browser keeps the id of the conversation on screen
EMPTY = '<p class="empty conv-empty">No saved conversations yet. Each answered question is saved here.</p>'


def when(stamp: float, now: float | None = None) -> str:
    """A short local time: the hour today, else the date."""
    now = time.time() if now is None else now
    local = time.localtime(stamp)
    same_day = time.strftime("%Y-%m-%d", local) == time.strftime("%Y-%m-%d", time.localtime(now))
    return time.strftime("%H:%M" if same_day else "%Y-%m-%d", local)


def render_conversations(conversations: list[Conversation], current: str | None) -> str:
    """The list of saved conversations with open, rename, export and delete (every title escaped)."""
    if not conversations:
        return EMPTY
    items = []
    for c in conversations:
        title, key = r.esc(c.title), r.esc(c.id)
        mark = ' aria-current="true"' if c.id == current else ""
        items.append(
            f'<li class="conv{" current" if c.id == current else ""}" data-id="{key}" data-title="{title}">'
            f'<button type="button" class="conv-open" data-id="{key}"{mark} title="{title}">'
            f'<span class="conv-title">{title}</span><span class="conv-when">{r.esc(when(c.updated))}</span></button>'
            f'<div class="conv-actions"><button type="button" class="conv-rename" aria-label="Rename {title}">'
            f'Rename</button><button type="button" class="conv-export" aria-label="Export {title}">Export</button>'
            f'<button type="button" class="conv-delete" aria-label="Delete {title}">Delete</button></div></li>'
        )
    return f'<ul class="conv-list">{"".join(items)}</ul>'


def conversation_list(services: Services, user: str, current: str | None) -> str:
    """The sidebar list for a user."""
    return render_conversations(services.store.conversations(user), current)


def fresh(services: Services, user: str) -> tuple[Any, ...]:
    """An empty conversation on screen (nothing is saved until its first answer)."""
    state = ChatState()
    rows = document_rows(services.assistant)
    return emit(
        chat=gr.Chatbot(value=[], examples=examples(rows) or None), sources=panel(state), state=state, current=None,
        convs=conversation_list(services, user, None), **controls(state, busy=False, box_value=""),
    )


def opened(services: Services, conversation_id: str | None, user: str) -> tuple[Any, ...]:
    """A saved conversation on screen (a fresh one when it is not the user's or is gone)."""
    conversation = services.store.get(conversation_id, user)
    if conversation is None:
        return fresh(services, user)
    state = ChatState(conversation=conversation.id, turns=list(conversation.turns))
    return emit(
        chat=gr.Chatbot(value=messages(state)), sources=panel(state), state=state, current=conversation.id,
        convs=conversation_list(services, user, conversation.id), **controls(state, busy=False, box_value=""),
    )


def renamed(services: Services, state: ChatState, conversation_id: str, title: str, user: str) -> str:
    """Rename a conversation; the list again."""
    services.store.rename(conversation_id, user, title)
    return conversation_list(services, user, state.conversation)


def deleted(services: Services, state: ChatState, conversation_id: str, user: str) -> tuple[Any, ...]:
    """Delete a conversation (confirmed on the page); the one on screen is replaced by a fresh one."""
    services.store.delete(conversation_id, user)
    if conversation_id == state.conversation:
        return fresh(services, user)
    return emit(convs=conversation_list(services, user, state.conversation))


def exported(services: Services, conversation_id: Any, user: str) -> dict[str, str] | None:
    """A conversation as a Markdown download ({name, text}); None when it is not the user's."""
    conversation = services.store.get(str(conversation_id or ""), user)
    if conversation is None:
        return None
    return {"name": file_name(conversation), "text": services.store.export_markdown(conversation.id, user) or ""}


def wire(services: Services, ui: dict[str, Any], running: list[Any]) -> None:
    """New conversation, the list's open/rename/delete, and restoring the conversation on page load."""
    outputs = [ui[name] for name in OUTPUTS]
    quick = {"outputs": outputs, "queue": False, "show_progress": "hidden", "api_visibility": "private"}

    def new(request: gr.Request) -> tuple[Any, ...]:
        """Start a new conversation."""
        return fresh(services, user_of(request))

    def restore(current: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The conversation this browser had on screen, reloaded from the store (the box opens either way)."""
        try:
            return opened(services, current, user_of(request))
        except Exception:  # noqa: BLE001 - the page must still be usable
            log.exception("restoring the conversation failed")
            return emit(**controls(ChatState(), busy=False, box_value=""))

    def open_conversation(evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        """Open the clicked conversation."""
        return opened(services, str(getattr(evt, "id", "") or ""), user_of(request))

    def rename(state: ChatState, evt: gr.EventData, request: gr.Request) -> str:
        """Rename the conversation whose new title was entered."""
        return renamed(services, state, str(getattr(evt, "id", "")), str(getattr(evt, "title", "")), user_of(request))

    def delete(state: ChatState, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        """Delete the conversation whose deletion was confirmed."""
        return deleted(services, state, str(getattr(evt, "id", "") or ""), user_of(request))

    ui["new"].click(new, None, cancels=running, **quick)
    ui["chat"].clear(new, None, cancels=running, **quick)
    ui["convs"].open_conv(open_conversation, None, cancels=running, **quick)
    ui["convs"].rename_conv(rename, [ui["state"]], ui["convs"], queue=False, api_visibility="private")
    ui["convs"].delete_conv(delete, [ui["state"]], cancels=running, **quick)
    restored = ui["app"].load(restore, [ui["current"]], **quick)
    restored.then(None, js=FOCUS_BOX, api_visibility="private")  # the box was locked until now: focus it again


def export_function(services: Services) -> Any:
    """The server function the list's Export buttons call (the logged-in user's conversations only)."""

    def export_conversation(conversation_id: str, request: gr.Request) -> dict[str, str] | None:
        """The conversation as Markdown for a download."""
        return exported(services, conversation_id, user_of(request))

    return export_conversation
