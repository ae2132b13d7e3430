"""Interfaces: how people and programs reach the assistant.

Owns the command line (`cli`, with `eval_cli` for `assistant eval` and `serve_model` for `assistant serve-model`),
the OpenAI-compatible HTTP API (`api` routes, its front door in `api_guard`, its wire format in `api_format`, the
answer queue and incremental streams in `api_answer`) and the Gradio chat UI (`chat`). Each talks
to `assistant.service.Assistant` and the core; nothing below the interfaces imports from here.
"""
