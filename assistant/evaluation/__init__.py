"""Evaluation: measure the assistant on question sets.

Owns the runner that asks every question and scores it (`runner`), the metrics (accuracy, token F1, recall@k,
MRR, ALCE citation recall and precision), the citation judges, the report writer (JSON, Markdown, chart) and the
drafting of candidate questions from a user's documents (`drafts`). May import the core, `assistant.answering`
(the verifier is a judge) and `assistant.ingest` (drafts read documents); it receives the assistant as a
callable, so it never imports the service or the interfaces.
"""
