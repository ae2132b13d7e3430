"""Markdown dialects (CommonMark, GitHub, MyST) to plain text with sections: the syntax goes, the content stays.

Front matter gives the title or is dropped; MyST labels, roles and directive fences, HTML comments and tags go;
GitHub tables become one 'Header: value' unit per row; code (fenced or inline) is kept verbatim but without its
fences, protected from every cleaning step by placeholders that are put back just before headings are extracted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from assistant.ingest.document import clean_text, decode_text, metadata, row_line
from assistant.ingest.structure import clean_markdown, dehyphenate, extract_headings, mark_text_headings
from assistant.models import Document
from assistant.wordlists import word_set

_FRONT = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\.\.\.|\+\+\+)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE = re.compile(r"^title\s*[:=]\s*(.+?)\s*$", re.M)
_FRONT_DATE = re.compile(r"^date\s*[:=]\s*(.+?)\s*$", re.M)
_TICK_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*?)\s*$")
_COLON_FENCE = re.compile(r"^\s*(:{3,})\s*(?:\{([\w:.-]+)\}|([A-Za-z][\w-]*))?\s*(.*?)\s*$")
_DIRECTIVE = re.compile(r"^\{([\w:.-]+)\}\s*(.*)$")
_OPTION = re.compile(r"^\s*:[\w-]+:(?:\s.*)?$")
_LABEL = re.compile(r"^\s*\([^()\s]+\)=\s*$")
_ROLE = re.compile(r"(?:\{[\w:.+-]+\}|(?<![\w`]):[\w-]+(?::[\w-]+)?:)`([^`\n]+)`")
_INLINE = re.compile(r"``(?!`)(.+?)``|(?<!`)`([^`\n]+)`(?!`)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_TABLE_DELIM = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_ATX_ATTRS = re.compile(r"^(\s*#{1,6}\s.*?)\s*\{[#.][^{}]*\}\s*$")
_HTML_HEADING = re.compile(r"^\s*<h([1-6])(?:\s[^<>]*)?>(.*?)</h\1>\s*$", re.I)
_BARE_COLONS = re.compile(r"^\s*:{3,}\s*$")
_ALERT = re.compile(r"^\s*\[!\w+\]\s*$")
_QUOTE = re.compile(r"^ {0,3}(?!>>>)(?:> ?)+")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\](?::\s*)?")
_TASK = re.compile(r"^(\s*[-*+]\s+)\[[ xX]\]\s+")
_MYST_SIGNS = re.compile(r"^\s*\([^()\s]+\)=\s*$|^\s*(?:`{3,}|:{3,})\s*\{|\{[\w:.-]+\}`", re.M)
_CODE, _INLINE_CODE = "\ue010", "\ue012"  # placeholders: mark + index + \ue011
_REF_DEF = re.compile(r"^ {0,3}\[([^\]\n^]+)\]:\s*\S+", re.M)
_BROKEN_LINK = re.compile(r"\[([^\]\n]+)\n([^\]\n]+)\](?=[(\[])")  # link text wrapped onto a second line
_SLOT = re.compile("([\ue010\ue012])(\\d+)\ue011")
_ESCAPED = {ch: chr(0xE020 + i) for i, ch in enumerate("\\`*_{}[]()#+-.!|<>~")}


@cache
def _words(key: str) -> frozenset[str]:
    """A list of names from assistant/data/markup.toml."""
    return frozenset(word_set("markup", key))


@cache
def _html_tag() -> re.Pattern[str]:
    """Opening and closing tags of the HTML elements GitHub renders inside Markdown."""
    names = "|".join(sorted(_words("html_tags"), key=len, reverse=True))
    return re.compile(rf"</?(?:{names})(?:\s[^<>]*)?/?>", re.I)


def front_matter(text: str) -> tuple[str, str, str]:
    """The text without its YAML/TOML front matter, and the title and date the front matter gives ('' if none)."""
    m = _FRONT.match(text)
    if not m:
        return text, "", ""
    title, day = _FRONT_TITLE.search(m.group(2)), _FRONT_DATE.search(m.group(2))
    value = title.group(1).strip().strip("'\"").strip() if title else ""
    return text[m.end() :], value, day.group(1).strip().strip("'\"").strip() if day else ""


@dataclass
class _Fence:
    """An open fence: the characters that close it, and what its body is (code, prose or hidden)."""

    char: str
    length: int
    kind: str
    lines: list[str] = field(default_factory=list)


class _Reader:
    """One pass over the lines: fences, directives, tables, comments and HTML resolved; code set aside."""

    def __init__(self, myst: bool) -> None:
        self.myst = myst
        self.out: list[str] = []
        self.code: list[str] = []
        self.stack: list[_Fence] = []
        self.inline: list[str] = []
        self.in_comment = False
        self.skip_options = False  # just after a directive's fence: its ':key: value' options come first
        self.in_yaml = False  # inside a directive's '---' option block

    def run(self, lines: list[str]) -> str:
        """The Markdown with every block construct resolved."""
        i = 0
        while i < len(lines):
            i = self._table(lines, i) if not self._in_code() else i
            if i < len(lines):
                self._line(lines[i])
                i += 1
        while self.stack:  # an unclosed fence ends with the file
            self._close()
        return "\n".join(self.out)

    def _in_code(self) -> bool:
        """Inside a code or hidden body, where lines are not Markdown."""
        return bool(self.stack) and self.stack[-1].kind in ("code", "hidden")

    def _line(self, line: str) -> None:
        """Handle one line."""
        if self._in_code():
            top = self.stack[-1]
            if _closes(line, top):
                self._close()
            elif not self._option(line) and top.kind == "code":
                top.lines.append(line)
            return
        if self.stack and _closes(line, self.stack[-1]):
            self._close()
        elif not self._option(line) and not self._open(line):
            self._prose(line)

    def _option(self, line: str) -> bool:
        """Whether the line is one of a directive's options (':key: value', or a '---' block), which are dropped."""
        if self.in_yaml:
            self.in_yaml = line.strip() != "---"
            return True
        if not self.skip_options:
            return False
        if line.strip() == "---":
            self.in_yaml = True
            return True
        self.skip_options = bool(_OPTION.match(line))
        return self.skip_options

    def _open(self, line: str) -> bool:
        """Open a code fence, a directive fence or a colon fence; False when the line opens none."""
        if m := _TICK_FENCE.match(line):
            fence, info = m.group(1), m.group(2)
            if fence[0] == "`" and "`" in info:
                return False  # inline code, not a fence
            name, argument = (d.group(1).lower(), d.group(2)) if (d := _DIRECTIVE.match(info)) else ("", "")
            self._push(fence[0], len(fence), name, argument, code=not name)
            return True
        if (m := _COLON_FENCE.match(line)) and (m.group(2) or m.group(3)):
            self._push(":", len(m.group(1)), (m.group(2) or m.group(3)).lower(), m.group(4), code=False)
            return True
        return False

    def _push(self, char: str, length: int, name: str, argument: str, code: bool) -> None:
        """Start a fence's body."""
        kind = "code" if code or name in _words("code_directives") else "prose"
        kind = "hidden" if name in _words("hidden_directives") else kind
        self.stack.append(_Fence(char, length, kind))
        self.skip_options = bool(name)
        if kind == "prose" and argument and name in _words("titled_directives"):
            self.out.extend(["", self._inline_text(argument), ""])

    def _close(self) -> None:
        """End the innermost fence; a code body becomes a placeholder paragraph."""
        fence = self.stack.pop()
        self.skip_options = self.in_yaml = False
        if fence.kind == "code" and any(line.strip() for line in fence.lines):
            self.code.append("\n".join(fence.lines).strip("\n"))
            self.out.extend(["", f"{_CODE}{len(self.code) - 1}\ue011", ""])
        elif fence.kind == "prose":
            self.out.append("")

    def _prose(self, line: str) -> None:
        """A Markdown line: comments, labels, quotes, HTML and MyST comments resolved, inline code set aside."""
        line = self._uncomment(line)
        if line is None:
            return
        line = _QUOTE.sub("", line)
        if _LABEL.match(line) or _ALERT.match(line) or _BARE_COLONS.match(line) or self.myst and _myst_comment(line):
            return
        if m := _HTML_HEADING.match(line):
            line = "#" * int(m.group(1)) + " " + m.group(2)
        self.out.append(self._inline_text(_ATX_ATTRS.sub(r"\1", _TASK.sub(r"\1", line))))

    def _inline_text(self, line: str) -> str:
        """Roles to their text; inline code and escapes to placeholders; footnote marks and HTML tags dropped."""
        line = _protect_inline(_ROLE.sub(_role_text, line), self.inline)
        return _html_tag().sub("", _FOOTNOTE.sub("", line))

    def _uncomment(self, line: str) -> str | None:
        """The line without HTML comments (which may span lines); None when nothing of it is left."""
        if self.in_comment:
            end = line.find("-->")
            if end < 0:
                return None
            line, self.in_comment = line[end + 3 :], False
        line = re.sub(r"<!--.*?-->", "", line)
        if (start := line.find("<!--")) >= 0:
            line, self.in_comment = line[:start], True
            return line if line.strip() else None
        return line

    def _table(self, lines: list[str], i: int) -> int:
        """A GitHub table starting at line i becomes one paragraph per row; the index of the line after it."""
        if "|" not in lines[i] or i + 1 >= len(lines) or "|" not in lines[i + 1] or "-" not in lines[i + 1]:
            return i
        if not _TABLE_DELIM.match(lines[i + 1]):
            return i
        headers = [self._inline_text(cell) for cell in _cells(lines[i])]
        j = i + 2
        while j < len(lines) and "|" in lines[j] and lines[j].strip():
            self.out.extend(["", self._inline_text(row_line(headers, _cells(lines[j]))), ""])
            j += 1
        return j


def _closes(line: str, fence: _Fence) -> bool:
    """Whether the line closes the fence (only its characters, at least as many)."""
    text = line.strip()
    return len(text) >= fence.length and set(text) == {fence.char}


def _myst_comment(line: str) -> bool:
    """A MyST comment line ('% ...') or notebook cell break ('+++')."""
    text = line.lstrip()
    return text.startswith("% ") or text == "%" or text.startswith("+++")


def _cells(line: str) -> list[str]:
    """The cells of a table row (escaped pipes and pipes inside code kept in their cell)."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    cells, current, ticks = [], [], False
    for index, ch in enumerate(text):
        if ch == "`":
            ticks = not ticks
        if ch == "|" and not ticks and (index == 0 or text[index - 1] != "\\"):
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    cells.append("".join(current).strip())
    return [cell.replace("\\|", "|") for cell in cells]


def _role_text(m: re.Match[str]) -> str:
    """A role's visible text: 'text <target>' gives text, '~a.b.c' gives c, a leading '!' goes."""
    body = m.group(1).strip()
    if (target := re.fullmatch(r"(.*?)\s*<([^<>]+)>", body)) and target.group(1):
        return target.group(1)
    body = target.group(2) if target else body
    body = body.lstrip("!")
    return body.rsplit(".", 1)[-1] if body.startswith("~") else body


def _protect_inline(text: str, store: list[str]) -> str:
    """Inline code and backslash escapes to placeholders, so no cleaning step touches them."""

    def keep(m: re.Match[str]) -> str:
        store.append(m.group(1).strip() if m.group(1) is not None else m.group(2))
        return f"{_INLINE_CODE}{len(store) - 1}\ue011"

    text = _INLINE.sub(keep, text)
    return _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], text)


def _shortcut_links(text: str) -> str:
    """Shortcut reference links ('[zlib]' with a '[zlib]: url' definition) to their text."""
    labels = {label.strip().lower() for label in _REF_DEF.findall(text)}
    if not labels:
        return text
    pattern = re.compile(r"(?<![\]!\\])\[([^\]\n]+)\](?![(\[:])")
    return pattern.sub(lambda m: m.group(1) if m.group(1).strip().lower() in labels else m.group(0), text)


def _restore(text: str, code: list[str], inline: list[str]) -> str:
    """Put code, inline code and escaped characters back."""
    text = _SLOT.sub(lambda m: (code if m.group(1) == _CODE else inline)[int(m.group(2))], text)
    for ch, slot in _ESCAPED.items():
        text = text.replace(slot, ch)
    return text


_PRIVATE = re.compile("[\ue000-\ue0ff]")
_LIST_ITEM = re.compile(r"^(\s*)(?:\d{1,3}[.)]|[-*+])\s+\S")


def _keep_items_whole(lines: list[str]) -> list[str]:
    """A list item followed by one indented line of its own ("1. Create it" then "   `make it`"): one unit."""
    out: list[str] = []
    fenced, i = False, 0
    while i < len(lines):
        line = lines[i]
        fenced ^= bool(_TICK_FENCE.match(line))
        item = None if fenced else _LIST_ITEM.match(line)
        if item and i + 2 < len(lines) and not lines[i + 1].strip() and _lone_continuation(lines, i + 2, item):
            out.append(f"{line.rstrip()} {lines[i + 2].strip()}")
            i += 3
            continue
        out.append(line)
        i += 1
    return out


def _lone_continuation(lines: list[str], j: int, item: re.Match[str]) -> bool:
    """Line j is indented under the item, is neither a fence nor another item, and stands alone."""
    line, indent = lines[j], len(item.group(1)) + 2
    alone = j + 1 >= len(lines) or not lines[j + 1].strip()
    plain = not _TICK_FENCE.match(line) and not _LIST_ITEM.match(line)
    return alone and plain and len(line) - len(line.lstrip(" ")) >= indent and bool(line.strip())


def load_markdown(path: Path, data: bytes, source: str) -> Document:
    """Markdown of any common dialect: title from front matter or the first top-level heading."""
    text = decode_text(data, source).replace("\r\n", "\n").replace("\r", "\n")
    text = _PRIVATE.sub("", text)  # the reader's own placeholders are private-use characters
    text, title, day = front_matter(text)
    reader = _Reader(myst=bool(_MYST_SIGNS.search(text)))
    lines = _keep_items_whole(text.split("\n"))
    resolved = _shortcut_links(_BROKEN_LINK.sub(r"[\1 \2]", reader.run(lines)))
    marked = mark_text_headings(resolved, markdown=True)
    cleaned = clean_text(dehyphenate(clean_markdown(marked)))
    doc = Document(source=source, text="", title=title[:200], date=day[:60])
    doc.text, doc.headings = extract_headings(_restore(cleaned, reader.code, reader.inline))
    return metadata(doc.text, doc)
