"""Ingest: turn files into indexed chunks.

Owns the loaders (`loaders` dispatches by suffix: text, Markdown of every dialect in `markdown`, HTML in
`html_text`, PDF with size limits and OCR of scanned pages in `pdf`/`ocr`, DOCX and PPTX in `office`, CSV/TSV
and XLSX rows in `tables`, EPUB in `epub`, zip checks before parsing in `archive`, shared cleaning in
`document`), the document structure they find (`structure`: headings as section paths, markup remnants removed,
PDF layout mended), the sentence-aware splitter, the incremental pipeline (load → split → embed chunks and their
sentences → upsert, by content hash; `workers` parse in background processes; `progress` its bar; `watch` for
--watch), the record
of the encoder that built the index, and the crash-safe consistency of the vector store, the lexical index and
the manifest (`consistency`: write-ahead delete intents, start-up repair, rebuild). May import the core
(`assistant.models`, `protocols`, `settings`, `errors`, `text`) and `assistant.retrieval.lexical`, the index it
writes; never answering, interfaces or the service.
"""
