"""The index records its encoder; a mismatched one stops with a message; sentence vectors are stored at ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.ingest.consistency import ENCODER_KEY, LEGACY_ENCODER
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import SEED_FILE, FakeEmbedder


class NamedEmbedder(FakeEmbedder):
    """The fake vectors under a chosen identity, recording what it is asked to embed."""

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.calls: list[list[str]] = []

    def identity(self) -> dict[str, str]:
        return {"model": "fake-minilm", "precision": self.precision, "weights_sha256": "abc"}

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return super().embed(texts)


def _assistant(settings: Settings, precision: str, name: str = "fake") -> Assistant:
    assistant = Assistant(settings.model_copy(update={"embedder": "fake"}))
    assistant.embedder = NamedEmbedder(precision)
    assistant.settings = assistant.settings.model_copy(update={"embedder": name})
    return assistant


def test_the_index_records_the_encoder_that_built_it(fake_settings: Settings) -> None:
    assistant = _assistant(fake_settings, "fp32")
    assistant.ingest([SEED_FILE], progress=False)
    record = json.loads(assistant.lexical.meta(ENCODER_KEY) or "{}")
    assert record == {"embedder": "fake", "model": "fake-minilm", "precision": "fp32", "weights_sha256": "abc"}


def test_another_encoder_stops_with_how_to_reindex(fake_settings: Settings) -> None:
    _assistant(fake_settings, "fp32").ingest([SEED_FILE], progress=False)
    other = _assistant(fake_settings, "int8", name="fake-int8")
    for action in (lambda: other.ask("Who leads the delegation?"), lambda: other.ingest([SEED_FILE], progress=False)):
        with pytest.raises(ConfigError) as failure:
            action()
        message = str(failure.value)
        assert "fake-minilm, fp32" in message and "fake-minilm, int8" in message, message
        assert "assistant ingest --rebuild" in message and 'embedder = "fake"' in message, message
    report = other.ingest([SEED_FILE], progress=False, rebuild=True)
    assert report.indexed == 1 and json.loads(other.lexical.meta(ENCODER_KEY) or "{}")["precision"] == "int8"
    assert other.store.ids() == other.lexical.ids() and other.store.count() == report.chunks


def test_an_unrecorded_index_with_chunks_is_the_legacy_encoder(fake_settings: Settings) -> None:
    first = _assistant(fake_settings, "fp32")
    first.ingest([SEED_FILE], progress=False)
    first.lexical.set_meta(ENCODER_KEY, None)
    first.lexical.commit()
    with pytest.raises(ConfigError, match="minilm"):
        _assistant(fake_settings, "fp32").ask("Who leads the delegation?")
    assert json.loads(first.lexical.meta(ENCODER_KEY) or "{}") == LEGACY_ENCODER


def test_answering_reads_sentence_vectors_instead_of_embedding_sentences(fake_settings: Settings) -> None:
    assistant = _assistant(fake_settings.model_copy(update={"ingest_sentence_vectors": True}), "fp32")
    report = assistant.ingest([SEED_FILE], progress=False)
    stored = assistant.lexical.sentence_vectors(sorted(assistant.lexical.ids()))
    assert len(stored) > report.chunks  # several sentences a chunk
    embedder = assistant.embedder
    embedder.calls.clear()
    question = "Who leads the Russian delegation at the talks?"
    hits, cased, evidence = assistant.evidence(question)
    assert evidence.sentences and hits
    texts = [t for call in embedder.calls for t in call]
    sentences = {s.text for s in evidence.sentences}
    assert not sentences & set(texts), "a stored sentence was embedded again"
    assert all(t in (question, cased, question.rstrip("?")) or " " not in t.strip() for t in texts), texts


def test_answering_stores_the_sentence_vectors_it_embeds_once(fake_settings: Settings) -> None:
    assistant = _assistant(fake_settings, "fp32")  # the default: nothing embedded at ingest, cached on first use
    assistant.ingest([SEED_FILE], progress=False)
    assert assistant.lexical.sentence_vectors(sorted(assistant.lexical.ids())) == {}
    question = "Who leads the Russian delegation at the talks?"
    _, _, first = assistant.evidence(question)
    sentences = {s.text for s in first.sentences}
    assert sentences <= {t for call in assistant.embedder.calls for t in call}
    assert len(assistant.lexical.sentence_vectors(sorted(assistant.lexical.ids()))) == len(first.sentences)
    assistant.embedder.calls.clear()
    _, _, again = assistant.evidence(question)
    assert not sentences & {t for call in assistant.embedder.calls for t in call}, "embedded twice"
    assert [s.text for s in again.sentences] == [s.text for s in first.sentences]
    assert [round(s.score, 6) for s in again.sentences] == [round(s.score, 6) for s in first.sentences]


def test_without_stored_vectors_sentences_are_embedded(fake_settings: Settings, tmp_path: Path) -> None:
    settings = fake_settings.model_copy(update={"ingest_sentence_vectors": False, "cache_sentence_vectors": False})
    assistant = _assistant(settings, "fp32")
    assistant.ingest([SEED_FILE], progress=False)
    assert assistant.lexical.sentence_vectors(sorted(assistant.lexical.ids())) == {}
    assistant.embedder.calls.clear()
    _, _, evidence = assistant.evidence("Who leads the Russian delegation at the talks?")
    assert {s.text for s in evidence.sentences} <= {t for call in assistant.embedder.calls for t in call}


def test_cli_rebuild_replaces_an_index_built_by_another_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.interfaces import cli
    from assistant.retrieval.lexical import LexicalIndex

    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    index = tmp_path / "index"
    assert cli.main(["--index-dir", str(index), "ingest", "--quiet", str(SEED_FILE)]) == 0
    lexical = LexicalIndex(index / "lexical.sqlite")
    lexical.set_meta(ENCODER_KEY, json.dumps({"embedder": "other", "model": "other-model", "precision": "int8"}))
    lexical.commit()
    capsys.readouterr()
    assert cli.main(["--index-dir", str(index), "ingest", "--quiet", str(SEED_FILE)]) != 0
    err = capsys.readouterr().err
    assert "other-model, int8" in err and "--rebuild" in err and "Traceback" not in err, err
    assert cli.main(["--index-dir", str(index), "ingest", "--quiet", "--rebuild", str(SEED_FILE)]) == 0
    assert "1 indexed" in capsys.readouterr().out
    lexical = LexicalIndex(index / "lexical.sqlite")  # the rebuild replaced the file the old handle had open
    assert json.loads(lexical.meta(ENCODER_KEY) or "{}")["embedder"] == "fake"


class QuantisedEmbedder(NamedEmbedder):
    """An int8 encoder that names its quantisation recipe (or none, as before recipes were recorded)."""

    def __init__(self, recipe: str | None) -> None:
        super().__init__("int8")
        self.recipe = recipe

    def identity(self) -> dict[str, str]:
        return {**super().identity(), **({"quantisation": self.recipe} if self.recipe else {})}


def test_another_quantisation_of_the_same_model_is_another_vector_space(fake_settings: Settings) -> None:
    old = _assistant(fake_settings, "int8", name="fake-int8")
    old.embedder = QuantisedEmbedder(None)
    old.ingest([SEED_FILE], progress=False)
    new = _assistant(fake_settings, "int8", name="fake-int8")
    new.embedder = QuantisedEmbedder("s8, feed-forward output fp32")
    with pytest.raises(ConfigError) as failure:
        new.ask("Who leads the delegation?")
    message = str(failure.value)
    assert "an earlier quantisation" in message and "s8, feed-forward output fp32" in message, message
    assert new.ingest([SEED_FILE], progress=False, rebuild=True).indexed == 1
    again = _assistant(fake_settings, "int8", name="fake-int8")
    again.embedder = QuantisedEmbedder("s8, feed-forward output fp32")
    assert again.ask("Who leads the delegation?").answer  # same recipe: no mismatch


class CountingEmbedder(NamedEmbedder):
    """Counts the longest text as the fewest 'tokens', so that characters and its counts order texts oppositely."""

    def token_counts(self, texts: list[str]) -> list[int]:
        return [-len(t) for t in texts]


def test_ingest_batches_texts_by_the_embedders_token_counts(fake_settings: Settings) -> None:
    assistant = _assistant(fake_settings.model_copy(update={"embed_batch_size": 2}), "fp32")
    assistant.embedder = CountingEmbedder("fp32")
    assistant.ingest([SEED_FILE], progress=False)
    batches = [batch for batch in assistant.embedder.calls if len(batch) > 1]
    lengths = [len(t) for batch in batches for t in batch]
    assert len(batches) >= 3 and lengths == sorted(lengths, reverse=True)  # fewest of its tokens first
