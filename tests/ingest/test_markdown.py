"""Markdown dialects (MyST, GitHub): the syntax goes, the content, the code and the sections stay."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.loaders import load
from assistant.ingest.splitter import split
from assistant.models import Document
from assistant.text import sentence_spans

MB = 2**20

MYST = """\
(repeatability)=
# Repeatable builds

<!-- TODO: rewrite this page -->
A build is repeatable when {ref}`the same inputs <inputs>` give the same bytes; see {py:func}`~hashlib.sha256`
and {term}`lockfile` for *how* to **check** it, or [the guide](https://example.org/guide).

```{note}
Pin every dependency.
```

:::{warning}
:class: dropdown
Never trust the network.
:::

````{admonition} Why it matters
:class: tip
Auditors compare the hashes.
````

```{code-block} python
:caption: checking a hash
def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()
```

```{toctree}
:maxdepth: 2
setup
usage
```

% a MyST comment line

(inputs)=
## Inputs

<!--
a comment over
several lines
-->
Inputs are listed in `requirements.lock` and `__init__.py`.
"""

GITHUB = """\
<h1 align="center">Widget</h1>
<p align="center"><img src="logo.png" alt="logo"></p>

> [!NOTE]
> Widget needs **Python 3.11**.

- [x] fast
- [ ] small

| Option | Default | Meaning |
|--------|:-------:|---------|
| `--depth` | 3 | how deep to recurse |
| `--glob` | `*.md` | which files \\| to read |

See [zlib] and the [manual][man] for details; 2 \\* 3 is not emphasis.

```sh
# not a heading
widget --depth 5   **not bold**   <div>kept</div>
```

[zlib]: https://zlib.net
[man]: https://example.org/man
"""


def _load(tmp_path: Path, name: str, text: str) -> Document:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path, name, MB)


def test_myst_label_is_not_the_title_and_roles_give_their_text(tmp_path: Path) -> None:
    doc = _load(tmp_path, "builds.md", MYST)
    assert doc.title == "Repeatable builds"
    assert [(level, t) for _, level, t in doc.headings] == [(1, "Repeatable builds"), (2, "Inputs")]
    assert ("A build is repeatable when the same inputs give the same bytes; see sha256\n"
            "and lockfile for how to check it, or the guide.") in doc.text
    for remnant in ("(repeatability)=", "(inputs)=", "{ref}", "{py:func}", "`", "**", "](", "TODO", "several lines",
                    "% a MyST", "<!--", "-->"):
        assert remnant not in doc.text, remnant


def test_a_myst_source_saved_as_text_is_read_as_markdown(tmp_path: Path) -> None:
    doc = _load(tmp_path, "builds.md.txt", MYST)  # how Sphinx publishes a MyST page's source
    assert doc.title == "Repeatable builds" and "(repeatability)=" not in doc.text
    assert [t for _, _, t in doc.headings] == ["Repeatable builds", "Inputs"]
    plain = _load(tmp_path, "notes.txt", "(intro)=\nRelease notes for the spring build.\n")
    assert plain.title == "Release notes for the spring build."


def test_myst_directives_keep_their_content_without_fences_or_options(tmp_path: Path) -> None:
    doc = _load(tmp_path, "builds.md", MYST)
    for kept in ("Pin every dependency.", "Never trust the network.", "Why it matters", "Auditors compare the hashes."):
        assert kept in doc.text, kept
    for remnant in ("```", "````", ":::", "{note}", "{warning}", "{admonition}", ":class:", ":caption:", ":maxdepth:"):
        assert remnant not in doc.text, remnant
    assert "setup\nusage" not in doc.text  # a toctree lists files, not prose


def test_code_stays_verbatim_without_its_fence_lines(tmp_path: Path) -> None:
    doc = _load(tmp_path, "builds.md", MYST)
    assert "def digest(path):\n    return hashlib.sha256(path.read_bytes()).hexdigest()" in doc.text
    assert "Inputs are listed in requirements.lock and __init__.py." in doc.text  # inline code untouched
    readme = _load(tmp_path, "README.md", GITHUB)
    assert "# not a heading\nwidget --depth 5   **not bold**   <div>kept</div>" in readme.text
    assert "not a heading" not in [t for _, _, t in readme.headings]


def test_front_matter_gives_the_title_or_is_dropped(tmp_path: Path) -> None:
    titled = _load(tmp_path, "a.md", "---\ntitle: 'Release checklist'\ntags: [ops]\n---\n\n# Steps\n\nTag it.\n")
    assert titled.title == "Release checklist"
    assert "tags" not in titled.text and "---" not in titled.text and titled.text.startswith("Steps")
    untitled = _load(tmp_path, "b.md", "---\nlayout: post\nx: y\n---\n(steps)=\n# Steps\n\nTag it.\n")
    assert untitled.title == "Steps" and "layout" not in untitled.text
    assert [t for _, _, t in untitled.headings] == ["Steps"]  # 'x: y' over '---' is no setext heading
    toml = _load(tmp_path, "c.md", '+++\ntitle = "Hugo page"\n+++\n\nBody text.\n')
    assert toml.title == "Hugo page" and "+++" not in toml.text


def test_github_markdown_html_alerts_tasks_and_links(tmp_path: Path) -> None:
    doc = _load(tmp_path, "README.md", GITHUB)
    assert doc.title == "Widget" and doc.headings[0][1:] == (1, "Widget")
    assert "Widget needs Python 3.11." in doc.text
    assert "- fast\n- small" in doc.text
    assert "See zlib and the manual for details; 2 * 3 is not emphasis." in doc.text
    for remnant in ("<h1", "<img", "<p", "[!NOTE]", "> ", "[x]", "[ ]", "https://zlib.net", "[zlib]"):
        assert remnant not in doc.text, remnant


def test_github_tables_become_one_sentence_per_row(tmp_path: Path) -> None:
    doc = _load(tmp_path, "README.md", GITHUB)
    rows = ["Option: --depth; Default: 3; Meaning: how deep to recurse.",
            "Option: --glob; Default: *.md; Meaning: which files | to read."]
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert all(row in sentences for row in rows), sentences
    assert "|---" not in doc.text and "| Option |" not in doc.text


def test_sections_of_a_myst_page_reach_the_chunks(tmp_path: Path) -> None:
    doc = _load(tmp_path, "builds.md", MYST)
    chunks = split(doc, size=120, overlap=0)
    at = doc.text.index("Inputs are listed")
    chunk = next(c for c in chunks if c.start <= at < c.end)
    assert chunk.section_at(at) == "Repeatable builds › Inputs"
    assert all(doc.text[offset:].startswith(title) for offset, _, title in doc.headings)


def test_heading_attributes_and_unclosed_fences(tmp_path: Path) -> None:
    doc = _load(tmp_path, "x.md", "# Setup {#setup .big}\n\nText.\n\n```\nstill code at the end\n")
    assert [t for _, _, t in doc.headings] == ["Setup"]
    assert doc.text.endswith("still code at the end") and "{#setup" not in doc.text


def test_a_list_item_keeps_its_indented_line(tmp_path: Path) -> None:
    """A numbered step and the command indented under it are one unit; a fenced block is left alone."""
    from assistant.ingest.markdown import load_markdown

    text = (
        "# Steps\n\n1. Build the index\n\n   `tool --build docs/`\n\n2. Ask\n\n"
        "```\n3. not an item\n\n   kept apart\n```\n"
    )
    doc = load_markdown(tmp_path / "a.md", text.encode(), "a.md")
    assert "1. Build the index tool --build docs/" in doc.text
    assert "2. Ask" in doc.text and "3. not an item\n\n   kept apart" in doc.text
