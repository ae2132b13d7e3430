"""Retrieval: find the passages a question needs.

Owns the hybrid retriever (BM25 and dense search fused by reciprocal rank), the persistent lexical index (SQLite
FTS5, with the ingest manifest), the documents a question is limited to (`scope`) and the condensing of a
follow-up into a standalone question. May import the core only; ingest and answering import from here, never the
other way.
"""
