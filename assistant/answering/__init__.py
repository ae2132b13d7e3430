"""Answering: read the question, score the evidence, write and check the answer.

Owns what a question asks (`question`), the scoring of retrieved sentences (`evidence`, `sentence_checks`,
`soft_match`, `entities`; `context` reads a sentence with the one it leans on), yes/no polarity (`yesno`), date
arithmetic (`dates`, `date_answers`), answers read from a document's address (`publisher`), summaries and main
points from a document's key sentences (`summary`), the extractive generator (`extractive`; `trim` cuts a long
quote to the clause that answers) and the verifier that checks every answer sentence against the passage it
cites (`verify`). May import the core and `assistant.retrieval`; never ingest, evaluation, interfaces or the
service.
"""
