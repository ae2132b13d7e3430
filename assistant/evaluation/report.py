"""Write an evaluation report: report.json, report.md and a chart per question category."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evaluation.runner import Report


def write_report(report: Report, folder: Path) -> list[Path]:
    """Write the three files; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = report.to_json()
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    md_path = folder / "report.md"
    md_path.write_text(markdown(data), encoding="utf-8")
    png_path = folder / "by_category.png"
    chart(data, png_path)
    return [json_path, md_path, png_path]


def _cell(text: str, limit: int = 160) -> str:
    """Table-safe, shortened text."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown(data: dict) -> str:
    """A readable report: headline, per category, per question."""
    lines = [f"# Evaluation report — generator `{data['generator']}`, {data['questions']} questions", ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in data["headline"].items()]
    drafts = data.get("drafts") or {}
    if any(drafts.values()):
        lines += ["", "Drafts: " + ", ".join(f"{n} {what}" for what, n in drafts.items()) + "."]
    judge = data["judge"]
    lines += ["", f"Citation support judged by **{judge['name']}**: {judge['description']}.", ""]
    lines += ["## By category", ""]
    lines += ["| category | n | pass rate | citation recall |", "|---|---|---|---|"]
    for name, row in data["by_category"].items():
        recall = row["citation_recall"] if row.get("answer_sentences", 1) else "n/a"
        lines.append(f"| {name} | {row['n']} | {row['pass_rate']} | {recall} |")
    lines += ["", "## Questions", "", "| id | category | question | answer | citations | result |"]
    lines.append("|---|---|---|---|---|---|")
    for item in data["items"]:
        result = "pass" if item["passed"] else ("abstained" if item["abstained"] else "fail")
        cites = ", ".join(f"[{c}]" for c in item["citations"])
        lines.append(
            f"| {item['id']} | {item['category']} | {_cell(item['question'], 90)} | {_cell(item['answer'])} "
            f"| {cites} | {result} |"
        )
    return "\n".join(lines) + "\n"


def chart(data: dict, path: Path) -> None:
    """Bar chart of pass rate and citation recall per category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = data["by_category"]
    names = list(rows)
    fig, ax = plt.subplots(figsize=(max(6, len(names) * 1.2), 4.5), layout="constrained")
    xs = range(len(names))
    series = (
        ("pass rate (answered with citation / abstained)", "pass_rate", -0.2),
        ("citation recall", "citation_recall", 0.2),
    )
    for label, key, shift in series:
        applies = [key != "citation_recall" or rows[n].get("answer_sentences", 1) > 0 for n in names]
        values = [rows[n][key] if ok else 0.0 for n, ok in zip(names, applies, strict=True)]
        bars = ax.bar([x + shift for x in xs], values, width=0.4, label=label)
        labels = [f"{v:.2f}" if ok else "n/a" for v, ok in zip(values, applies, strict=True)]
        ax.bar_label(bars, labels=labels, fontsize=7, padding=1)  # n/a: nothing answered, so nothing cited
    ax.set_xticks(list(xs), [f"{n}\n(n={rows[n]['n']})" for n in names])
    ax.set_ylim(0, 1.12)
    ax.set_title(f"Evaluation by category — generator {data['generator']}")
    # below the axes, so it never covers a bar
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    fig.savefig(path, dpi=110)
    plt.close(fig)
