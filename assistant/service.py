"""The service layer: index documents and answer questions (condense → retrieve → generate → verify)."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from assistant import components  # noqa: F401 - registers the adapters
from assistant.answering.attach import abstention, finish
from assistant.answering.checking import check_reply
from assistant.answering.choices import choice_passages
from assistant.answering.conflicts import disagreement, disagreement_text
from assistant.answering.date_answers import answer_dates, citations
from assistant.answering.dates import DateAnswer, publication_date
from assistant.answering.evidence import Evidence, gather
from assistant.answering.publisher import answer_publisher
from assistant.answering.question import fix_question_words, respell
from assistant.answering.reading import passages_for
from assistant.answering.summary import (
    Overview,
    key_sentences,
    overview_request,
    overview_text,
    title_match,
    which_document,
)
from assistant.answering.verify import Verdict
from assistant.errors import (
    AssistantError,
    ConfigError,
    IndexDamagedError,
    IndexEmptyError,
    IngestError,
    QuestionError,
)
from assistant.ingest.consistency import (
    Repair,
    check_encoder,
    encoder_identity,
    ingest_lock,
    reconcile,
    wipe_index,
)
from assistant.ingest.pipeline import Ingestor, IngestReport
from assistant.models import Answer, GenerationInput, Hit
from assistant.protocols import Generator
from assistant.registry import EMBEDDERS, GENERATORS, STORES
from assistant.retrieval.condense import condense
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalIndex, damaged, is_damage
from assistant.retrieval.scope import resolve_sources
from assistant.settings import GeneratorProfile, Settings, load_settings
from assistant.text import plain_question, recase, strip_idioms

log = logging.getLogger(__name__)


class Assistant:
    """Grounded question answering over an index of documents."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = EMBEDDERS.create(settings.embedder, settings)
        self.store = STORES.create(settings.store, settings)
        self.lexical = LexicalIndex(settings.index_dir / "lexical.sqlite")
        self.retriever = HybridRetriever(
            self.embedder, self.store, self.lexical, settings.retrieval.candidates, settings.retrieval.rrf_k
        )
        self._generators: dict[str, Generator] = {}
        self._encoder_checked = False
        self._generation = self.lexical.generation()  # what the store showed when it was opened

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Build from settings (file + env), with optional overrides such as generator='extractive'."""
        if settings is not None and overrides:  # never drop what the caller asked for in silence
            raise ConfigError(f"give settings or overrides ({', '.join(overrides)}), not both")
        return cls(settings or load_settings(**overrides))

    @classmethod
    def for_rebuild(cls, settings: Settings) -> Assistant:
        """The index for ingest(rebuild=True): emptied in place when readable (readers see it), deleted if damaged."""
        try:
            assistant = cls(settings)
            assistant.lexical.check()
            assistant.store.ids()
            return assistant
        except IndexDamagedError as exc:
            log.warning("rebuild: %s; deleting the index files", exc)
        with ingest_lock(settings.index_dir, settings.ingest_lock_wait_s):
            embedded = settings.store == "chroma" and not settings.chroma_url
            deleted = wipe_index(settings.index_dir, embedded_store=embedded)
        log.info("rebuild: deleted %s", ", ".join(str(p) for p in deleted) or "nothing")
        return cls(settings)

    # --- indexing ---------------------------------------------------------------------------
    def ingestor(self) -> Ingestor:
        """The ingest pipeline bound to this assistant's indexes."""
        return Ingestor(self.settings, self.embedder, self.store, self.lexical, on_commit=self._saw_own_change)

    def _saw_own_change(self) -> None:
        """This process changed the index through its own store: current, unless another process wrote too."""
        if self.lexical.generation() == self._generation + 1:
            self._generation += 1
        else:
            self._follow_writers()

    def check_index(self) -> Repair | None:
        """Start-up check: finish interrupted removals, delete orphans, log what was repaired (None: busy ingest)."""
        try:
            with ingest_lock(self.settings.index_dir, 0.0):
                repair = reconcile(self.store, self.lexical)
        except IngestError:
            return None  # another process is ingesting; it reconciles when it starts and its writes are safe
        if repair:
            log.warning("repaired the index in %s: %s", self.settings.index_dir, repair)
        return repair

    def ingest(self, paths: Sequence[Path] | None = None, progress: bool = True, rebuild: bool = False) -> IngestReport:
        """Index files and folders (default: the seeds folder); rebuild empties the index first."""
        return self.ingestor().run(paths or [self.settings.seeds_dir], progress=progress, rebuild=rebuild)

    def documents(self) -> list[str]:
        """Sources in the index."""
        return self.lexical.sources()

    def catalog(self) -> list[tuple[str, str, str]]:
        """Each indexed document's source name, title and date (cheap: no document text is read)."""
        return self.lexical.catalog()

    def document(self, source: str) -> dict[str, Any] | None:
        """The extracted text and metadata of an indexed source."""
        return self.lexical.document(source)

    # --- answering --------------------------------------------------------------------------
    def generator(self, name: str | None = None) -> Generator:
        """A generator by name, built once."""
        name = name or self.settings.generator
        if name not in self._generators:
            self._generators[name] = GENERATORS.create(name, self.settings)
        return self._generators[name]

    def clean_question(self, question: str) -> str:
        """Validate a question: valid text, not empty, not too long; escapes and control characters dropped."""
        question = plain_question(question or "")
        if not question:
            raise QuestionError("Please type a question.")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"The question is too long ({len(question)} characters; the limit is "
                f"{self.settings.max_question_chars}).",
                "Shorten it, or raise the setting max_question_chars.",
            )
        return question

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str]] | None = None,
        generator: str | None = None,
        sources: Sequence[str] | None = None,
    ) -> Answer:
        """Answer a question (from the given documents only, when named); verified against its citations."""
        answer = None
        for event in self.ask_stream(question, history, generator, sources=sources):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def ask_stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] | None = None,
        generator: str | None = None,
        sources: Sequence[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield draft text pieces as the generator writes, then the verified Answer."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        question = self.clean_question(question)
        gen = self.generator(generator)
        named = self._named(sources)
        standalone = condense(question, history, self.embedder)
        base = Answer(question=question, answer="", abstained=True, backend=gen.name, standalone_question=standalone)
        if overview := overview_request(standalone):
            yield self._overview(base, overview, named)
            return
        scope = None if named is None else self.lexical.chunks_of(named)
        hits, cased, evidence = self.evidence(standalone, timings, scope)
        base.retrieved = hits
        profile = self.settings.profile(gen.name)
        if settled := self._settled(base, cased, evidence, scope, timings, start, profile):
            yield settled
            return
        data = self._input(cased, hits, evidence, history, profile)
        yield from self._generated(base, gen, data, evidence, timings, start, profile)

    def _input(
        self, question: str, hits: list[Hit], evidence: Evidence, history: Any, profile: GeneratorProfile
    ) -> GenerationInput:
        """What the generator reads: the best evidence sentences, and the whole passages when it reads them."""
        number_of = self._numbers(hits)
        best = evidence.sentences[: self.settings.retrieval.evidence_sentences]
        data = GenerationInput(
            question=question, evidence=[(number_of[s.hit.chunk.id], s.text) for s in best],
            kind=evidence.kind, history=list(history or []),
        )
        if profile.reads == "passages":
            data.passages = passages_for(hits, number_of, profile.passage_chars, profile.abstain_token)
        elif profile.reads == "choices":
            data.passages = choice_passages(evidence.sentences, profile.choices)
        return data

    def _named(self, sources: Sequence[str] | None) -> list[str] | None:
        """The indexed documents a question is limited to (None: all); an empty or unknown name is an error."""
        if sources is None:
            return None
        if not [s for s in sources if s.strip()]:
            raise QuestionError("sources must name at least one document (leave it out to search every document).")
        return resolve_sources(sources, self.lexical.sources())

    @staticmethod
    def _numbers(hits: list[Hit]) -> dict[str, int]:
        """Each retrieved chunk's citation number."""
        return {hit.chunk.id: n for n, hit in enumerate(hits, start=1)}

    def _settled(
        self, base: Answer, cased: str, evidence: Evidence, scope: set[str] | None, timings: dict, start: float,
        profile: GeneratorProfile,
    ) -> Answer | None:
        """The answer when no draft is needed: a computed date, an abstention, or two sources that disagree."""
        if dated := self._dated(cased, evidence, scope) or self._published(cased, evidence, scope):
            base.answer, base.citations = citations(dated)
            base.abstained, base.timings_ms = False, {**timings, "total": _ms(start)}
            return base
        floor = profile.abstain_threshold
        floor = self.settings.verify.abstain_threshold if floor is None else floor
        if not evidence.sentences or evidence.answerability < floor:
            base.answer = abstention(base.standalone_question)
            base.timings_ms = {**timings, "total": _ms(start)}
            return base
        if verdict := _disagreeing(cased, evidence, self._numbers(base.retrieved)):  # both sides shown, none chosen
            return finish(base, verdict, base.retrieved, "", {**timings, "total": _ms(start)})
        return None

    def _generated(
        self, base: Answer, gen: Generator, data: GenerationInput, evidence: Evidence, timings: dict, start: float,
        profile: GeneratorProfile,
    ) -> Iterator[str | Answer]:
        """Stream the generator's draft, then the draft verified against the evidence."""
        t = time.perf_counter()
        draft, failure = "", ""
        try:
            for piece in gen.stream(data):
                draft += piece
                if profile.reads != "choices":  # a choice's number is no draft to show
                    yield piece
        except AssistantError as exc:
            log.warning("generator %s failed: %s", gen.name, exc)
            draft, failure = "", f"{exc}; showing quoted evidence instead."  # a partial draft is not shown
        timings["generate"] = _ms(t)
        base.tokens, base.prompt_tokens, base.fallback = data.completion_tokens, data.prompt_tokens, bool(failure)
        t = time.perf_counter()
        number_of, options = self._numbers(base.retrieved), self.settings.verify
        verdict, outcome = check_reply(draft, data, evidence, self.embedder, options, number_of, profile)
        timings["verify"] = _ms(t)
        if verdict is None:  # the model's "not in the documents" is believed
            base.answer, base.draft, base.draft_outcome = abstention(base.standalone_question), draft, "abstained"
            base.notes = ["The model found no answer in what it read."]
            base.timings_ms = {**timings, "total": _ms(start)}
            yield base
            return
        if failure:
            verdict.notes.insert(0, failure)
        base.draft_outcome = "failed" if failure else outcome
        yield finish(base, verdict, base.retrieved, draft, {**timings, "total": _ms(start)})

    def evidence(
        self, standalone: str, timings: dict[str, float] | None = None, scope: set[str] | None = None
    ) -> tuple[list[Hit], str, Evidence]:
        """Retrieve for a standalone question and score the sentences; also the question re-cased by the hits."""
        self._check_encoder()
        self._follow_writers()
        try:
            hits = self._retrieve(strip_idioms(standalone), {} if timings is None else timings, scope)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):  # locked or busy
                raise
            raise damaged(self.lexical.path, exc) from None
        texts = [hit.chunk.text for hit in hits]
        cased = recase(respell(fix_question_words(standalone), texts), texts)  # "did berg" names Berg
        stored = self.lexical.sentence_vectors([hit.chunk.id for hit in hits])
        idf = self.lexical.term_weights(cased) if self.settings.retrieval.idf_weights else None
        evidence = gather(cased, hits, self.embedder, stored, idf)
        if self.settings.cache_sentence_vectors:
            fresh = {(s.hit.chunk.id, s.start - s.hit.chunk.start): s.vector for s in evidence.sentences}
            self.lexical.cache_sentence_vectors([(*key, v) for key, v in fresh.items() if key not in stored and len(v)])
        return hits, cased, evidence

    def _follow_writers(self) -> None:
        """When another process changed the index since the store was opened, reopen the store to see it."""
        generation = self.lexical.generation()
        if generation != self._generation:
            self.store.refresh()
            self._generation = generation

    def _check_encoder(self) -> None:
        """Once: the index must have been built by an encoder whose vectors match this one's."""
        if not self._encoder_checked:
            identity = encoder_identity(self.embedder, self.settings.embedder)
            check_encoder(self.lexical, self.store, identity, self.settings.index_dir)
            self._encoder_checked = True

    def _dated(self, question: str, evidence: Evidence, scope: set[str] | None) -> DateAnswer | None:
        """Date arithmetic (what date, which weekday, how many days) when the documents date the events."""
        return answer_dates(question, evidence.sentences, lambda text: self._search(text, scope))

    def _published(self, question: str, evidence: Evidence, scope: set[str] | None) -> DateAnswer | None:
        """The outlet that published a document, from its original web address."""
        return answer_publisher(question, evidence.sentences, lambda text: self._search(text, scope))

    def _search(self, text: str, scope: set[str] | None) -> list[Hit]:
        """The retriever's top-k, within the scope when there is one."""
        top_k = self.settings.retrieval.top_k
        return self.retriever.retrieve(text, top_k) if scope is None else self.retriever.retrieve(text, top_k, scope)

    def _retrieve(self, question: str, timings: dict[str, float], scope: set[str] | None = None) -> list[Hit]:
        """Hybrid retrieval; an empty index is a user-facing error that names the folder it looked in."""
        t = time.perf_counter()
        hits = self._search(question, scope)
        timings["retrieve"] = _ms(t)
        if not hits and not self.lexical.sources():
            raise self._nothing_indexed()
        return hits

    def _nothing_indexed(self) -> IndexEmptyError:
        """The empty-index error, naming the folder that was looked in."""
        return IndexEmptyError(f"Nothing is indexed yet in {self.settings.index_dir.resolve()}.")

    def _overview(self, base: Answer, overview: Overview, named: list[str] | None) -> Answer:
        """A summary or the main points of one document (or of the named ones), from their key sentences."""
        start = time.perf_counter()
        self._check_encoder()
        self._follow_writers()
        if not self.lexical.sources():
            raise self._nothing_indexed()
        chosen = named if named is not None else self._overview_source(overview, base.standalone_question)
        if not chosen:
            base.answer = which_document(self.lexical.sources(), self._titles())
        elif sentences := key_sentences(self.lexical.chunk_texts(self.lexical.chunks_of(chosen)), overview.count,
                                        self.embedder):
            base.answer, base.citations = citations(DateAnswer(overview_text(sentences, overview.points), sentences))
            base.abstained, base.retrieved = False, [s.hit for s in sentences]
        else:
            base.answer = "The document has no sentences that could summarise it (only code, lists or headings)."
        base.timings_ms = {"total": _ms(start)}
        return base

    def _overview_source(self, overview: Overview, question: str) -> list[str]:
        """The document an overview question is about: the only one, or the best match of its subject words."""
        known = self.lexical.sources()
        if len(known) <= 1:
            return known
        if not overview.subject:
            return []
        if titled := title_match(overview.subject, self._titles()):
            return [titled]
        hits = self._search(" ".join(overview.subject), None)
        return [hits[0].chunk.source] if hits else []

    def sources_dated(self, since: date | None = None, until: date | None = None) -> list[str]:
        """The documents whose own date falls in [since, until] (undated documents are left out)."""
        days = {source: publication_date(day) for source, _, day in self.catalog()}
        return [s for s, d in days.items() if d and (since is None or d >= since) and (until is None or d <= until)]

    def _titles(self) -> dict[str, str]:
        """Each indexed document's title (for naming documents in a message)."""
        return {source: title or Path(source).name for source, title, _ in self.catalog()}


def _disagreeing(question: str, evidence: Evidence, number_of: dict[str, int]) -> Verdict | None:
    """The answer citing both sides when two documents give different specifics for the question."""
    pair = disagreement(question, evidence.sentences, evidence.kind)
    if pair is None:
        return None
    notes = ["The retrieved documents disagree; both are cited."]
    return Verdict(disagreement_text(pair, number_of), list(pair), notes)


def _ms(start: float) -> float:
    """Milliseconds since start."""
    return (time.perf_counter() - start) * 1000
