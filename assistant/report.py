"""Write an evaluation report: report.json, report.md and a chart per question category."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evaluate import Report


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
    lines += ["", f"Citation support judged by {data['judge']}.", "", "## By category", ""]
    lines += ["| category | n | pass rate | citation recall |", "|---|---|---|---|"]
    for name, row in data["by_category"].items():
        lines.append(f"| {name} | {row['n']} | {row['pass_rate']} | {row['citation_recall']} |")
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

    names = list(data["by_category"])
    passed = [data["by_category"][n]["pass_rate"] for n in names]
    recall = [data["by_category"][n]["citation_recall"] for n in names]
    fig, ax = plt.subplots(figsize=(max(6, len(names) * 1.2), 4))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], passed, width=0.4, label="pass rate (answered with citation / abstained)")
    ax.bar([x + 0.2 for x in xs], recall, width=0.4, label="citation recall")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Seed evaluation by category — generator {data['generator']}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
