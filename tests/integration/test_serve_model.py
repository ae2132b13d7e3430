"""`assistant serve-model` as a user runs it: the packaged GGUF served on 127.0.0.1, asked once, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from assistant.adapters.llamacpp_generator import SMOLLM2_FILE
from assistant.interfaces import cli
from tests.conftest import ROOT
from tests.integration.servers import free_port

pytestmark = pytest.mark.integration
HANG_GUARD = 600.0  # seconds for the model to load and answer: only ever reached when something hangs
MODEL_ID = SMOLLM2_FILE.removesuffix(".gguf")


def _wait_for_models(proc: subprocess.Popen[str], url: str) -> dict:
    """GET /v1/models until the server answers (the model loads first)."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        try:
            response = httpx.get(f"{url}/models", timeout=30)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("serve-model did not answer /v1/models")


def test_serve_model_answers_openai_requests() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "assistant.interfaces.cli", "serve-model", "--port", str(port), "--ctx", "512"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        models = _wait_for_models(proc, url)
        assert MODEL_ID in [m["id"] for m in models["data"]]
        reply = httpx.post(f"{url}/chat/completions", timeout=HANG_GUARD, json={
            "model": MODEL_ID, "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 4,
        })
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert isinstance(body["choices"][0]["message"]["content"], str)
        assert 0 < body["usage"]["completion_tokens"] <= 4
        # the printed settings work: `assistant backends` finds the model at that address
        assert cli.main(["backends", "--llm", "openai", "--base-url", url, "--model", MODEL_ID]) == 0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert f"Serving {MODEL_ID} at {url}" in out and f'    base_url = "{url}"' in out
    assert '    generator = "openai"' in out and out.rstrip().endswith("stopped")
