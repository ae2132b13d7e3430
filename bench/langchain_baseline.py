"""Benchmark: a plain LangChain RAG against this assistant, same embedder, same LLM, same questions, same scoring.

Usage: .venv/bin/python bench/langchain_baseline.py [--docs-pages 30] [--torch-threads 0]
Baseline: RecursiveCharacterTextSplitter(500, 50) → Chroma (LangChain defaults) with all-MiniLM-L6-v2 through
langchain_huggingface → top-4 → one "stuff" prompt → SmolLM2-135M GGUF through the same llama.cpp binding
(its OpenAI-compatible endpoint on 127.0.0.1, via ChatOpenAI). Both read text with assistant.loaders, so only
the RAG differs. Scored by assistant.evaluate on tests/eval/seed_questions.jsonl; then one off-topic question
against an index of Python docs pages (needs `apt-get install -y python3.11-doc`).
Writes the `langchain` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchkit import ROOT, copy_files, doc_files, load_average, offline, run_header, write_section

from assistant.adapters.llamacpp_generator import LlamaCppServer
from assistant.adapters.minilm_embedder import packaged_model_path
from assistant.answering.verify import make_judge
from assistant.evaluation.runner import Report, evaluate, load_questions
from assistant.ingest.loaders import load
from assistant.ingest.pipeline import IngestReport, discover, source_name
from assistant.models import Answer, Chunk, Citation, Hit
from assistant.service import Assistant
from assistant.settings import LocalLLMSettings, Settings
from assistant.text import sentence_spans

QUESTIONS = ROOT / "tests" / "eval" / "seed_questions.jsonl"
OFF_TOPIC = "What is the recommended dose of ibuprofen for an adult?"
DOSE = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:-|to|–)?\s*\d*\s*(?:mg|milligrams?|g|grams?|tablets?|pills?)\b", re.I)
REFUSAL = re.compile(r"don'?t know|do not know|not (?:contain|provide|mention|say)|no information|cannot answer"
                     r"|can't answer|doesn'?t say|not enough information|unable to", re.I)
SYSTEM = (
    "You are an assistant for question-answering tasks. Use only the following numbered pieces of retrieved "
    "context to answer the question. If the context does not contain the answer, say \"I don't know.\" "
    "Cite the pieces you use with their numbers, like [1]. Use three sentences maximum and keep the answer "
    "concise.\n\nContext:\n{context}"
)


class PlainRag:
    """The LangChain tutorial RAG: split, embed, store, retrieve k, stuff into one prompt, generate."""

    def __init__(self, folders: list[Path], persist: Path, llm: LlamaCppServer, k: int = 4) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        docs = []
        for path in discover(folders, IngestReport()):
            doc = load(path, source_name(path), 50 * 2**20)
            docs.append(Document(page_content=doc.text, metadata={"source": doc.source, "title": doc.title}))
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True)
        embeddings = HuggingFaceEmbeddings(
            model_name=packaged_model_path(), model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True},
        )
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.PersistentClient(path=str(persist), settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma.from_documents(splitter.split_documents(docs), embeddings, client=client)
        self.retriever = self.store.as_retriever(search_kwargs={"k": k})
        self.chain = self._chain(llm)
        self.answers = self.with_markers = 0

    def _chain(self, llm: LlamaCppServer) -> Any:
        """prompt | ChatOpenAI (llama.cpp's endpoint on 127.0.0.1) | string."""
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
        from langchain_openai import ChatOpenAI

        prompt = ChatPromptTemplate.from_messages(
            [("system", SYSTEM), MessagesPlaceholder("history"), ("human", "{question}")]
        )
        model = ChatOpenAI(base_url=llm.base_url, api_key="local", model=llm.model_id, temperature=0.0,
                           max_tokens=LocalLLMSettings().max_tokens, seed=0, max_retries=0, timeout=120)
        return prompt | model | StrOutputParser()

    def ask(self, question: str, history: list[dict[str, str]]) -> Answer:
        """Retrieve on the question as typed, stuff, generate; scored like our answers."""
        docs = self.retriever.invoke(question)
        context = "\n\n".join(f"[{n}] {d.page_content}" for n, d in enumerate(docs, start=1))
        turns = [(m["role"] if m["role"] != "user" else "human", m["content"]) for m in history]
        text = self.chain.invoke({"context": context, "question": question, "history": turns}).strip()
        chunks = [
            Chunk(id=f"lc-{n}", source=str(d.metadata.get("source", "")), text=d.page_content,
                  start=int(d.metadata.get("start_index", 0)),
                  end=int(d.metadata.get("start_index", 0)) + len(d.page_content), title=str(d.metadata.get("title")))
            for n, d in enumerate(docs, start=1)
        ]
        hits = [Hit(chunk=c, score=0.0) for c in chunks]
        abstained = bool(REFUSAL.search(text)) or not text
        if abstained:
            return Answer(question, text, True, backend="langchain", retrieved=hits)
        self.answers += 1
        self.with_markers += bool(re.search(r"\[\d+\]", text))
        if not re.search(r"\[\d+\]", text):  # no markers: it cites everything it was given, on every sentence
            marks = "".join(f"[{n}]" for n in range(1, len(chunks) + 1))
            text = " ".join(f"{text[s:e]} {marks}" for s, e in sentence_spans(text))
        citations = [Citation(id=n, chunk=c, score=0.0) for n, c in enumerate(chunks, start=1)]
        return Answer(question, text, False, citations=citations, backend="langchain", retrieved=hits)


def run_set(name: str, ask: Callable[[str, list[dict[str, str]]], Answer], judge: Any) -> Report:
    """Every seed question through one system."""
    report = evaluate(ask, load_questions(QUESTIONS), judge, name, progress=False)
    print(name, report.headline(), flush=True)
    return report


def off_topic(name: str, answer: Answer) -> str:
    """One row for the off-topic question."""
    states_dose = bool(DOSE.search(answer.answer)) and not answer.abstained
    text = " ".join(answer.answer.split())[:160].replace("|", "/")
    return f"| {name} | {'yes' if answer.abstained else 'no'} | {'**yes**' if states_dose else 'no'} | {text} |"


def section(args: argparse.Namespace, load_before: str, reports: dict[str, Report], rows: list[str],
            marked: str) -> str:
    """The RESULTS.md section."""
    pages = args.docs_pages
    lines = ["## Plain LangChain RAG vs this assistant", ""]
    lines += run_header(f".venv/bin/python bench/langchain_baseline.py --docs-pages {pages} --torch-threads "
                        f"{args.torch_threads}", load_before)
    lines += [
        "- both: all-MiniLM-L6-v2, SmolLM2-135M-Instruct Q4_1 via llama.cpp (2 threads, greedy, 96 new tokens), "
        f"embedder torch threads {args.torch_threads or 'default'} for both; "
        "text extracted by `assistant.ingest.loaders`; questions: all 62 of `tests/eval/seed_questions.jsonl`; scored "
        "by `assistant.evaluation.runner` with the project's judge.",
        "- baseline: `RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)` → `Chroma.from_documents` "
        "(LangChain defaults) → `as_retriever(k=4)` → stuff prompt (LangChain's RAG prompt + \"cite [n]\") → "
        "`ChatOpenAI` on llama.cpp's endpoint. History goes into the prompt; retrieval uses the question as "
        "typed. Abstained = the reply says it doesn't know (regex). Replies without `[n]` markers "
        f"({marked}) get markers for all 4 retrieved chunks on every sentence before scoring (they cite "
        "everything they were shown); replies with markers are scored as written.",
        "- ours: `Assistant` with the default settings (`local` generator) on an index of seeds/.",
        "- caveat: the judge behind citation precision/recall is the project's verifier (names, numbers, content "
        "words, semantic closeness), the same checks that filter our answers before they are shown, so our "
        "citation scores are high partly by construction; accuracy (an accepted answer in the reply), "
        "abstention and the off-topic test do not depend on it.",
        "",
        "| system | accuracy (answerable) | answered + cited | abstained on unanswerable | wrong abstentions "
        "| citation precision | citation recall | latency p50 (s) | p95 (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, report in reports.items():
        h = report.headline()
        lines.append(
            f"| {name} | {h['accuracy']} | {h['answered_with_citation']} | {h['abstain_recall']} | "
            f"{h['wrong_abstain_rate']} | {h['citation_precision']} | {h['citation_recall']} | "
            f"{h['latency_p50_s']} | {h['latency_p95_s']} |"
        )
    lines += [
        "",
        f"Off-topic question against an index of {pages} Python docs pages: \"{OFF_TOPIC}\"",
        "",
        "| system | abstained | states a dose | reply (start) |",
        "|---|---|---|---|",
        *rows,
    ]
    return "\n".join(lines)


def main() -> None:
    """Run both systems and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs-pages", type=int, default=30)
    parser.add_argument("--torch-threads", type=int, default=0, help="embedder threads for both (0 = default)")
    args = parser.parse_args()
    offline()
    load_before = load_average()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    server = LlamaCppServer(LocalLLMSettings())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = Assistant(Settings(index_dir=work / "ours"))
        ours.ingest([ROOT / "seeds"], progress=False)
        judge = make_judge(ours.embedder, ours.settings.verify)
        baseline = PlainRag([ROOT / "seeds"], work / "lc", server)
        baseline.ask("Who leads the Russian delegation?", [])  # warm-up
        ours.ask("Who leads the Russian delegation?")
        reports = {"plain LangChain RAG": run_set("langchain", baseline.ask, judge),
                   "this assistant": run_set("ours", ours.ask, judge)}
        pages = doc_files(args.docs_pages)
        docs = copy_files(pages, work / "pydocs")
        lc_docs = PlainRag([docs], work / "lc-docs", server)
        ours_docs = Assistant(Settings(index_dir=work / "ours-docs"))
        ours_docs.ingest([docs], progress=False)
        rows = [off_topic("plain LangChain RAG", lc_docs.ask(OFF_TOPIC, [])),
                off_topic("this assistant", ours_docs.ask(OFF_TOPIC))]
        marked = f"{baseline.answers - baseline.with_markers} of {baseline.answers} non-abstaining replies"
    text = section(args, load_before, reports, rows, marked)
    print(text)
    write_section("langchain", text)


if __name__ == "__main__":
    main()
