"""Adapters: one file per vendor or model behind a core Protocol (embedder, vector store, generator).

Only these files import vendor SDKs (chromadb, langchain-*, sentence-transformers, xllamacpp). They are built
by name through the registries in `assistant.components`; they may import the core only.
"""
