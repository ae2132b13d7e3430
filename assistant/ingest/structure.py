"""Document structure at load time: headings found in any format, markup remnants removed, PDF layout mended.

Loaders mark a heading as a line starting with HEADING_MARK and its level digit; `extract_headings` removes the
marks after the text is cleaned and returns each heading's offset, so chunks and sentences can carry the section
they sit in ("Tutorial › Modules › Packages").
"""

from __future__ import annotations

import re
from collections import Counter

HEADING_MARK, _HEADING_END = "\ue000", "\ue001"  # the end mark stops clean_text joining the next line to a heading
_MARKED = re.compile(HEADING_MARK + r"([1-6]) ?([^\n\ue001]*)\ue001?")
_UNDERLINE = re.compile(r"^([=\-~*^#+`'\"])\1{2,}\s*$")
_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CAPS = re.compile(r"^[A-Z][A-Z0-9 ,/&()'-]{1,40}$")


def mark(level: int, title: str) -> str:
    """A heading line as loaders emit it (its own paragraph)."""
    return f"\n\n{HEADING_MARK}{min(max(level, 1), 6)} {' '.join(title.split())}{_HEADING_END}\n\n"


def mark_text_headings(text: str, markdown: bool) -> str:
    """Mark headings of plain text and Markdown: ATX (#), setext/reST underlines, short upper-case lines."""
    lines = text.split("\n")
    out: list[str] = []
    levels: dict[str, int] = {}  # underline character → level, in order of first use (reST style)
    fenced, i = False, 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        if not fenced and title and (u := _UNDERLINE.match(nxt)) and len(nxt.strip()) >= 0.6 * len(title):
            level = levels.setdefault(u.group(1), len(levels) + 1)
            out.append(mark(level, title))
            i += 2
            continue
        if not fenced and markdown and (m := _ATX.match(line)):
            out.append(mark(len(m.group(1)), m.group(2)))
        elif not fenced and not markdown and _caps_heading(line, out):
            out.append(mark(2, title))
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def _caps_heading(line: str, before: list[str]) -> bool:
    """A short upper-case line at the left margin after a blank line (man pages: NAME, RETURN VALUE)."""
    if not _CAPS.match(line) or len(line.split()) > 5 or sum(c.isalpha() for c in line) < 3:
        return False
    return not before or not before[-1].strip()


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINKED_IMAGE = re.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*\S+.*$", re.M)
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_MD_STRONG = re.compile(
    r"(\*\*)(?=\S)((?:(?!\*\*)[^\n])+?)(?<=\S)\*\*|(?<!\w)(__)(?=\S)((?:(?!__)[^\n])+?)(?<=\S)__(?!\w)"
)
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MYST_LABEL = re.compile(r"^\([\w.:-]+\)=\s*$", re.M)
_REST_ROLE = re.compile(r":[\w-]+(?::[\w-]+)?:`~?([^`<]+?)(?:\s*<[^>]*>)?`")
_REST_LITERAL = re.compile(r"``(.+?)``")
_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_FENCE_LINE = re.compile(r"^\s*(```|~~~).*$", re.M)


def clean_markdown(text: str) -> str:
    """Markdown and reST inline markup to plain text: links keep their words, emphasis and code marks go."""
    text = _HTML_COMMENT.sub("", text)
    text = _FENCE_LINE.sub("", text)  # the code stays, a paragraph of its own
    text = _MYST_LABEL.sub("", text)
    text = _MD_REF_DEF.sub("", text)
    text = _MD_LINKED_IMAGE.sub("", text)  # badges
    text = _MD_IMAGE.sub(lambda m: m.group(1), text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _MD_REF_LINK.sub(lambda m: m.group(1), text)
    text = _MD_AUTOLINK.sub(lambda m: m.group(1), text)
    text = clean_rest(text)
    text = _INLINE_CODE.sub(lambda m: m.group(1), text)
    text = _MD_STRONG.sub(lambda m: m.group(2) or m.group(4), text)
    return _MD_EM.sub(lambda m: m.group(1) or m.group(2), text)


def clean_rest(text: str) -> str:
    """reST roles (:class:`deque`) and literals (``x``) to their text."""
    text = _REST_ROLE.sub(lambda m: m.group(1), text)
    return _REST_LITERAL.sub(lambda m: m.group(1), text)


_SOFT_HYPHEN = re.compile(r"(?<=[^\W\d_])[\u2010\u00ad][ \t]*\n[ \t]*(?=[^\W\d_])")
_LINE_HYPHEN = re.compile(r"(?<=[a-z]{2})-[ \t]*\n[ \t]*(?=[a-z]{2})")


def dehyphenate(text: str, ascii_hyphens: bool = False) -> str:
    """Join words broken at a line end: typographic hyphens always, ASCII ones too for PDFs (con-\\nducted)."""
    text = _SOFT_HYPHEN.sub("", text)
    return _LINE_HYPHEN.sub("", text) if ascii_hyphens else text


def extract_headings(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Remove heading marks; (offset, level, title) of each heading in the returned text."""
    parts: list[str] = []
    headings: list[tuple[int, int, str]] = []
    cursor = length = 0
    for m in _MARKED.finditer(text):
        parts.append(text[cursor : m.start()])
        length += m.start() - cursor
        title = m.group(2).strip().rstrip("¶").strip()
        if title:
            headings.append((length, int(m.group(1)), title))
        parts.append(title)
        length += len(title)
        cursor = m.end()
    parts.append(text[cursor:])
    return "".join(parts), headings


def running_lines(pages: list[str], least: int = 3) -> set[str]:
    """Lines that open or close several pages (running headers and footers), with page numbers ignored."""
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.split("\n") if ln.strip()]
        counts.update({_shape(ln) for ln in lines[:1] + lines[-1:]})
    return {shape for shape, n in counts.items() if n >= least and len(pages) > least}


def _shape(line: str) -> str:
    """A line with its digits blurred, so 'Chapter 8: Lists 37' and 'Chapter 8: Lists 38' are one line."""
    return re.sub(r"\d+", "#", line.strip())


def drop_running_lines(page: str, running: set[str]) -> str:
    """A page without its running header/footer lines and bare page numbers at its edges."""
    lines = page.strip().split("\n")
    edge = {0, len(lines) - 1}
    return "\n".join(ln for i, ln in enumerate(lines) if not (i in edge and _running(ln, running)))


def _running(line: str, running: set[str]) -> bool:
    """A running header/footer line, or a bare page number (12, xi, Page 3)."""
    return _shape(line) in running or bool(re.fullmatch(r"\s*(page\s*)?(\d{1,4}|[ivx]{1,5})\s*", line, re.I))
