"""Interfaces: how people and programs reach the assistant.

Owns the command line (`cli`, with `eval_cli` for `assistant eval`), the OpenAI-compatible HTTP API (`api`, with
its front door in `api_guard` and its wire format in `api_format`) and the Gradio chat UI (`chat`). Each talks
to `assistant.service.Assistant` and the core; nothing below the interfaces imports from here.
"""
