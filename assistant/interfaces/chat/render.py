"""HTML for the chat UI: answers, citation chips, sources, documents. Every document or model text is escaped here."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from assistant.models import Answer, Chunk, Citation

_MARKER = re.compile(r"\[(\d+)\]")
_BLANK_LINES = re.compile(r"[ \t]*\n\s*\n\s*")
_MANY_LINES = re.compile(r"[ \t]*\n\s*\n\s*\n\s*")
_VIEWER_LIMIT = 200_000  # characters of a document shown around the cited span

# Templating characters are escaped too: gr.HTML fills its template with ${value} and {{handlebars}}.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})


def esc(text: Any) -> str:
    """Escape document or model text for HTML, quotes and template characters included."""
    return html.escape(str(text or ""), quote=True).translate(_TEMPLATE_CHARS)


def tidy(text: str, paragraphs: bool = False) -> str:
    """Collapse runs of blank lines: to one newline (compact passages) or to one blank line (paragraphs)."""
    return _MANY_LINES.sub("\n\n", text) if paragraphs else _BLANK_LINES.sub("\n", text)


def plain(text: str) -> str:
    """Letters and digits only, lower-cased, without [n] markers: for comparing draft and answer."""
    return re.sub(r"[\W_]+", "", _MARKER.sub("", text)).lower()


def chip(turn: int, number: int) -> str:
    """A clickable citation marker that opens source `number` of answer `turn`."""
    return f'<a class="cite" href="#src-{turn}-{number}">[{number}]</a>'


def with_chips(text: str, turn: int, known: set[int]) -> str:
    """Escaped text whose [n] markers (for known citation ids) are chips."""

    def swap(match: re.Match[str]) -> str:
        """A chip for a known marker, the marker itself otherwise."""
        number = int(match.group(1))
        return chip(turn, number) if number in known else match.group(0)

    return _MARKER.sub(swap, esc(text))


def where(chunk: Chunk, section: str = "") -> str:
    """File name, plus the page for paged formats and the section path when known."""
    name = PurePath(chunk.source).name or chunk.source
    name = f"{name}, page {chunk.page}" if chunk.page else name
    return f"{name} › {section}" if section else name


def highlight(text: str, start: int | None, end: int | None, paragraphs: bool = False) -> str:
    """Escaped, trimmed text with text[start:end] wrapped in <mark> (offsets clamped; None means no mark)."""
    a = max(0, min(start, len(text))) if start is not None else 0
    b = max(0, min(end, len(text))) if end is not None else 0
    if start is None or end is None or b <= a:
        return esc(tidy(text.strip(), paragraphs))
    before, span, after = (tidy(part, paragraphs) for part in (text[:a], text[a:b], text[b:]))
    return f"{esc(before.lstrip())}<mark>{esc(span)}</mark>{esc(after.rstrip())}"


def passage(citation: Citation) -> str:
    """The cited passage with the supporting sentence highlighted (document offsets → passage offsets)."""
    chunk = citation.chunk
    if citation.quote_start is None or citation.quote_end is None:
        return highlight(chunk.text, None, None)
    return highlight(chunk.text, citation.quote_start - chunk.start, citation.quote_end - chunk.start)


def is_fallback(answer: Answer) -> bool:
    """True when the generator failed and the answer is quoted evidence instead."""
    return answer.fallback


def draft_differs(answer: Answer) -> bool:
    """True when the verified text is not what the generator drafted (markers and spacing aside)."""
    return bool(answer.draft.strip()) and plain(answer.draft) != plain(answer.answer)


def searched_for(answer: Answer) -> str:
    """A small 'searched for' line when the condensed question differs from what was typed."""
    standalone = (answer.standalone_question or "").strip()
    if not standalone or standalone.casefold() == answer.question.strip().casefold():
        return ""
    return f'<div class="searched">Searched for: “{esc(standalone)}”</div>'


def render_user(message: str) -> str:
    """A user turn: plain escaped text."""
    return f'<div class="q">{esc(message)}</div>'


def render_pending() -> str:
    """Shown while retrieval runs, before the first draft token."""
    return '<div class="ans pending"><div class="badge">Searching your documents…</div></div>'


def render_waiting() -> str:
    """Shown the moment a question is sent, until the answering queue takes it (another answer may be running)."""
    return '<div class="ans pending waiting"><div class="badge">Queued: waiting for the assistant…</div></div>'


def render_stopped() -> str:
    """A draft halted with Stop: nothing of it is kept."""
    return (
        '<div class="ans stopped"><div class="badge">■ Stopped.</div><p class="hint">The unfinished draft was '
        "discarded and nothing was saved. Regenerate asks this question again.</p></div>"
    )


def render_draft(draft: str) -> str:
    """A streaming draft: clearly marked as not yet checked."""
    return (
        '<div class="ans drafting"><div class="badge">Drafting… not yet checked against the sources</div>'
        f'<p class="draft-text">{esc(draft)}<span class="caret">▌</span></p></div>'
    )


def render_error(message: str) -> str:
    """A user-facing error as a plain message (never a stack trace)."""
    return f'<div class="ans error"><div class="badge">⚠ Could not answer</div><p>{esc(message)}</p></div>'


def _status(answer: Answer) -> tuple[str, str]:
    """CSS class and badge text for a non-abstained answer."""
    if is_fallback(answer):
        return "fallback", "⚠ The language model failed, so the best passage is quoted instead"
    if answer.notes or draft_differs(answer):
        return "edited", "✎ Checked and corrected: the draft was changed to match the sources"
    return "verified", "✓ Every sentence checked against the passage it cites"


def _notes(answer: Answer) -> str:
    """What the checker removed or replaced (or why the model failed), and the original draft when it differs."""
    parts = []
    if answer.notes:
        items = "".join(f"<li>{esc(note)}</li>" for note in answer.notes)
        title = "What went wrong" if is_fallback(answer) else "What the checker changed"
        parts.append(
            f'<details class="notes-box"><summary>{title} ({len(answer.notes)})</summary>'
            f'<ul class="notes">{items}</ul></details>'
        )
    if draft_differs(answer):
        parts.append(
            '<details class="draft-was"><summary>Show the unchecked draft</summary>'
            f'<p class="draft-text">{esc(answer.draft)}</p></details>'
        )
    return "".join(parts)


def _cite_list(answer: Answer, turn: int) -> str:
    """The short 'Sources' list under an answer: chip, title and file."""
    items = "".join(
        f'<li>{chip(turn, c.id)} {esc(c.chunk.title or where(c.chunk))} <span class="file">— '
        f"{esc(where(c.chunk, c.section))}</span></li>"
        for c in answer.citations
    )
    return f'<div class="cite-list"><strong>Sources</strong><ul>{items}</ul></div>' if items else ""


def render_abstained(answer: Answer) -> str:
    """'The documents don't say': distinct from an answer, with what to try next."""
    return (
        '<div class="ans abstained"><div class="badge">∅ The documents don\'t say</div>'
        f'{searched_for(answer)}<p class="answer-text">{esc(answer.answer)}</p>'
        '<p class="hint">Nothing was guessed. Try other words, or add a document that covers this.</p></div>'
    )


def render_answer(answer: Answer, turn: int) -> str:
    """The verified answer for chat turn `turn`, with chips, status, notes and a copy button."""
    if answer.abstained:
        return render_abstained(answer)
    kind, badge = _status(answer)
    known = {c.id for c in answer.citations}
    return (
        f'<div class="ans {kind}"><div class="badge">{esc(badge)}</div>{searched_for(answer)}'
        f'<p class="answer-text">{with_chips(answer.answer, turn, known)}</p>{_notes(answer)}'
        f'{_cite_list(answer, turn)}<div class="tools">'
        '<button type="button" class="copy-answer">Copy answer</button></div></div>'
    )


def _card(citation: Citation, turn: int) -> str:
    """One cited passage: title, date, file (and page), the passage with its span highlighted."""
    chunk = citation.chunk
    meta = " · ".join(esc(x) for x in (chunk.date, where(chunk, citation.section)) if x)
    start = citation.quote_start if citation.quote_start is not None else chunk.start
    end = citation.quote_end if citation.quote_end is not None else chunk.end
    return (
        f'<article class="src" id="src-{turn}-{citation.id}" tabindex="-1">'
        f'<header><span class="num">[{citation.id}]</span> <strong>{esc(chunk.title or where(chunk))}</strong>'
        '<button type="button" class="back-to-chat">↑ Back to the answer</button></header>'
        f'<div class="meta">{meta}</div><blockquote class="passage">{passage(citation)}</blockquote>'
        f'<button type="button" class="view-doc" data-source="{esc(chunk.source)}" data-start="{start}" '
        f'data-end="{end}">View whole document</button></article>'
    )


def _closest(answer: Answer, limit: int = 3) -> str:
    """For an abstention: the nearest passages that were searched but did not answer."""
    hits = answer.retrieved[:limit]
    if not hits:
        return ""
    items = "".join(
        f'<li><strong>{esc(h.chunk.title or where(h.chunk))}</strong> <span class="file">{esc(where(h.chunk))}'
        f'</span><blockquote class="passage">{esc(tidy(h.chunk.text))}</blockquote></li>'
        for h in hits
    )
    return f'<details class="closest"><summary>Closest passages searched</summary><ul>{items}</ul></details>'


def render_sources(answer: Answer, turn: int) -> str:
    """The sources section of one answer (one per chat turn; the panel shows the latest)."""
    head = f"<h3>Answer {turn}: “{esc(answer.question)}”</h3>"
    if answer.abstained:
        body = '<p class="empty">No passage answers this question, so nothing is cited.</p>' + _closest(answer)
    else:
        body = "".join(_card(c, turn) for c in answer.citations) or '<p class="empty">No citations.</p>'
    return f'<section class="turn" id="turn-{turn}" data-turn="{turn}">{head}{body}</section>'


def render_turn(answer: Answer, turn: int = 1) -> str:
    """An answer's chat HTML followed by its sources section."""
    return render_answer(answer, turn) + render_sources(answer, turn)


def render_panel(sections: Sequence[str]) -> str:
    """The sources panel: every turn's section, only the latest visible until a chip asks for another."""
    if not sections:
        return (
            '<div class="panel-empty"><h3>Sources</h3><p>Each answer lists the passages it rests on here. '
            'Click a <span class="cite">[1]</span> marker in an answer to jump to its passage.</p></div>'
        )
    latest = len(sections) - 1
    shown = [
        s if i == latest else s.replace('<section class="turn"', '<section hidden class="turn"', 1)
        for i, s in enumerate(sections)
    ]
    return '<h2 class="panel-title">Sources</h2>' + "".join(shown)


def render_document(doc: dict[str, Any] | None, start: int = -1, end: int = -1) -> str:
    """The whole extracted document for the viewer, with [start:end] highlighted."""
    if not doc:
        return '<div class="viewer-body"><p>This document is no longer indexed.</p>' + _close_button() + "</div>"
    text = str(doc.get("text", ""))
    lo, hi, note = 0, len(text), ""
    if len(text) > _VIEWER_LIMIT:
        centre = max(start, 0)
        lo = max(0, centre - _VIEWER_LIMIT // 2)
        hi = min(len(text), lo + _VIEWER_LIMIT)
        note = f'<p class="hint">Long document: showing characters {lo:,}–{hi:,} of {len(text):,}.</p>'
    body = highlight(text[lo:hi], start - lo if start >= 0 else None, end - lo if end >= 0 else None, True)
    meta = " · ".join(esc(x) for x in (doc.get("date"), PurePath(str(doc.get("source", ""))).name) if x)
    return (
        f'<div class="viewer-head"><strong>{esc(doc.get("title") or doc.get("source"))}</strong>'
        f'<span class="meta">{meta}</span>{_close_button()}</div>{note}<div class="viewer-body doc-text">{body}</div>'
    )


def _close_button() -> str:
    """The viewer's close button (Esc closes it too)."""
    return '<button type="button" class="close-viewer" autofocus>Close</button>'


def render_documents(docs: Sequence[dict[str, Any]]) -> str:
    """The indexed documents with view and remove buttons."""
    if not docs:
        return '<p class="empty">Nothing is indexed yet. Add .txt, .md, .html or .pdf files above.</p>'
    rows = []
    for doc in docs:
        source = str(doc.get("source", ""))
        name = PurePath(source).name
        meta = " · ".join(esc(x) for x in (doc.get("date"), name) if x)
        rows.append(
            f'<li><div class="doc-title">{esc(doc.get("title") or name)}</div><div class="meta">{meta}</div>'
            f'<div class="doc-actions"><button type="button" class="doc-view" data-source="{esc(source)}" '
            f'aria-label="View {esc(name)}">View</button>'
            f'<button type="button" class="doc-remove" data-source="{esc(source)}" '
            f'aria-label="Remove {esc(name)}">Remove</button></div></li>'
        )
    count = f"{len(docs)} document{'s' if len(docs) != 1 else ''} indexed"
    return f'<p class="doc-count">{count}</p><ul class="doc-list">{"".join(rows)}</ul>'


def render_status(lines: Sequence[str], kind: str = "info") -> str:
    """A status box for uploads and removals (each line escaped)."""
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="status {esc(kind)}" role="status">{items}</ul>'


def render_upload(step: str, done: Sequence[str], problems: Sequence[str], total: int) -> str:
    """Upload status: a progress bar while indexing, then what was indexed and what was not (and why)."""
    if step:
        return f'<progress max="{max(total, 1)}" value="{len(done)}"></progress>' + render_status([step], "busy")
    lines = [f"Indexed {len(done)} file{'s' if len(done) != 1 else ''}: {', '.join(done)}. Ask about them now."]
    return render_status((lines if done else []) + list(problems), "error" if problems else "ok")


def plain_answer(answer: Answer) -> str:
    """The answer as plain text with its numbered sources (the /ask API and copy/paste)."""
    if answer.abstained:
        return answer.answer
    lines = [answer.answer]
    if answer.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in answer.notes]
    lines += ["", "Sources"]
    for c in answer.citations:
        quote = c.quote()
        lines.append(
            f"[{c.id}] {c.chunk.title or where(c.chunk)} — {where(c.chunk)}: “{' '.join(quote.split())}” "
            f"(passage {c.chunk.source}[{c.chunk.start}:{c.chunk.end}])"
        )
    return "\n".join(lines)


EXAMPLE_ABOUT = "What is “{title}” about?"
EXAMPLE_PUBLISHED = "When was the article “{title}” published?"  # answered from the document's date


def example_questions(docs: Sequence[dict[str, Any]], limit: int = 4) -> list[tuple[str, str]]:
    """(question, short label) pairs from document titles: what each is about, and when the first was published."""
    titled = [doc for doc in docs if str(doc.get("title") or "").strip()]
    out: list[tuple[str, str]] = []
    for i, doc in enumerate(titled):
        title = str(doc["title"]).strip()
        templates = [EXAMPLE_ABOUT] + ([EXAMPLE_PUBLISHED] if i == 0 and str(doc.get("date") or "").strip() else [])
        out += [(t.format(title=title), t.format(title=shorten(title, 48))) for t in templates]
    return out[:limit]


def shorten(text: str, limit: int = 70) -> str:
    """Cut long text at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
