"""The Store contract, run against embedded Chroma and a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.adapters.chroma_store import ChromaStore
from assistant.errors import ConfigError
from assistant.interfaces.cli import _parser, _settings
from assistant.models import Chunk
from assistant.service import Assistant
from assistant.settings import Settings
from tests.integration.servers import free_port

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"  # console script installed with chromadb



def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server started for these tests, stopped at the end; yields its URL."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    cmd = [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder / "db")]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 600
        while not _heartbeat(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ChromaStore:
    """A fresh collection in either deployment."""
    name = f"contract-{uuid.uuid4().hex[:12]}"
    if request.param == "server":
        return ChromaStore(name, url=request.getfixturevalue("chroma_server"))
    return ChromaStore(name, path=tmp_path / "chroma")


def _unit(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _chunk(n: int, **extra: object) -> Chunk:
    fields: dict = {"id": f"id-{n}", "source": f"docs/f{n}.txt", "text": f"passage number {n}", "start": 10 * n,
                    "end": 10 * n + 17, "title": f"Title {n}", "date": "2026-11-28", "url": f"https://example.org/{n}"}
    return Chunk(**{**fields, **extra})


VECTORS = [_unit([math.cos(n * 0.4), math.sin(n * 0.4), 0.1 * n, 1.0]) for n in range(8)]
QUERY = _unit([1.0, 0.0, 0.0, 1.0])


def _fill(store: ChromaStore) -> list[Chunk]:
    chunks = [_chunk(n) for n in range(len(VECTORS))]
    store.upsert(chunks, VECTORS)
    return chunks


def test_search_orders_by_cosine_similarity(store: ChromaStore) -> None:
    _fill(store)
    expected = sorted(range(len(VECTORS)), key=lambda n: -_cos(QUERY, VECTORS[n]))[:5]
    hits = store.search(QUERY, 5)
    assert [h.chunk.id for h in hits] == [f"id-{n}" for n in expected]
    for hit, n in zip(hits, expected, strict=True):
        assert hit.dense == pytest.approx(_cos(QUERY, VECTORS[n]), abs=1e-4)
    assert [h.dense for h in hits] == sorted((h.dense for h in hits), reverse=True)


def test_ids_count_and_delete(store: ChromaStore) -> None:
    assert store.count() == 0 and store.ids() == set() and store.search(QUERY, 3) == []
    _fill(store)
    assert store.count() == len(VECTORS) and store.ids() == {f"id-{n}" for n in range(len(VECTORS))}
    store.delete(["id-0", "id-1", "id-missing"])
    assert store.count() == len(VECTORS) - 2 and "id-0" not in store.ids()
    assert {"id-0", "id-1"}.isdisjoint(h.chunk.id for h in store.search(QUERY, 20))
    store.delete([])
    assert store.count() == len(VECTORS) - 2


def test_reupsert_of_the_same_ids_is_idempotent(store: ChromaStore) -> None:
    chunks = _fill(store)
    _fill(store)
    assert store.count() == len(chunks)
    replaced = _chunk(3, text="passage number 3, rewritten")
    elsewhere = [0.0, 0.0, 1.0, 0.0]  # far from every other stored vector
    store.upsert([replaced], [elsewhere])
    assert store.count() == len(chunks)
    best = store.search(elsewhere, 1)[0]
    assert best.chunk == replaced and best.dense == pytest.approx(1.0, abs=1e-4)


def test_metadata_round_trips_into_the_chunk(store: ChromaStore) -> None:
    paged = _chunk(0, title="Überblick — “quotes” 東京", page=7)
    plain = _chunk(1, date="", url="")
    store.upsert([paged, plain], [QUERY, _unit([0.0, 1.0, 0.0, 0.0])])
    found = {h.chunk.id: h.chunk for h in store.search(QUERY, 2)}
    assert found == {paged.id: paged, plain.id: plain}
    assert found[plain.id].page is None and found[paged.id].page == 7


def test_search_with_k_larger_than_the_collection(store: ChromaStore) -> None:
    _fill(store)
    hits = store.search(QUERY, 100)
    assert len(hits) == len(VECTORS) and len({h.chunk.id for h in hits}) == len(VECTORS)
    assert store.search(QUERY, 0) == []


def test_stored_vectors_come_back_by_id(store: ChromaStore) -> None:
    _fill(store)
    got = store.vectors(["id-2", "id-5", "id-missing"])
    assert set(got) == {"id-2", "id-5"} and store.vectors([]) == {}
    assert got["id-5"] == pytest.approx(VECTORS[5], abs=1e-6)


def test_many_rows_are_upserted_in_batches(store: ChromaStore) -> None:
    store._max_batch = 7  # force several round trips
    chunks = [_chunk(n) for n in range(30)]
    store.upsert(chunks, [_unit([1.0, n / 30, 0.0, 0.5]) for n in range(30)])
    assert store.count() == 30
    store.delete([c.id for c in chunks[:20]])
    assert store.ids() == {c.id for c in chunks[20:]}


# --- wiring: flag, environment variable, store factory, unreachable server ---------------------------------
def test_flag_and_environment_select_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for command in (["ingest"], ["ask", "q"], ["chat"], ["serve"], ["eval", "q.jsonl"]):
        args = _parser().parse_args([*command, "--chroma-url", "http://127.0.0.1:9"])
        assert _settings(args).chroma_url == "http://127.0.0.1:9"
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "http://127.0.0.1:10")
    assert Settings().chroma_url == "http://127.0.0.1:10"
    assert _settings(_parser().parse_args(["ask", "q"])).chroma_url == "http://127.0.0.1:10"
    monkeypatch.delenv("ASSISTANT_CHROMA_URL")
    assert Settings().chroma_url is None


def test_assistant_in_server_mode_keeps_vectors_in_the_server(
    chroma_server: str, fake_settings: Settings, seed_copy: Path
) -> None:
    import chromadb

    collection = f"wired-{uuid.uuid4().hex[:8]}"
    settings = fake_settings.model_copy(update={"chroma_url": chroma_server, "collection": collection})
    assistant = Assistant(settings)
    report = assistant.ingest([seed_copy], progress=False)
    assert report.indexed == 1 and report.chunks > 0
    assert not (settings.index_dir / "chroma").exists()
    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    assert client.get_collection(collection).count() == report.chunks == assistant.lexical.count()
    answer = assistant.ask("Who will lead their respective delegations?", generator="extractive")
    assert not answer.abstained and "Darchiyev" in answer.answer


def test_unreachable_server_is_a_plain_config_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError) as err:
        ChromaStore("nowhere", url=url)
    assert url in str(err.value) and "chroma run" in err.value.user_message()
