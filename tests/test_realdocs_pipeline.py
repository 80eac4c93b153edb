"""Every real document through the whole ingest path (load, normalise, metadata, chunk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import LoadError
from ingest.chunking import ChunkSettings, chunk_document
from ingest.files import build_document, check_chunks, content_hash
from ingest.loaders import is_sidecar, supported_suffixes


@pytest.mark.slow
def test_every_realdocs_file_chunks_with_exact_offsets(realdocs: Path) -> None:
    settings = ChunkSettings()
    files = [f for f in sorted(realdocs.rglob("*"))
             if f.is_file() and f.suffix.lower() in supported_suffixes() and not is_sidecar(f)]
    assert len(files) > 80
    pdf_pages = 0
    for f in files:
        try:
            doc = build_document(f, content_hash(f))
        except LoadError as exc:  # allowed, but must name the file and say why
            assert exc.path == str(f) and exc.reason
            continue
        chunks = chunk_document(doc, settings)
        assert chunks, f
        check_chunks(doc, chunks)  # doc.text[c.start:c.end] == c.text
        assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in doc.text), f
        if f.suffix == ".pdf":
            assert doc.page_starts and all(c.pages for c in chunks), f
            pdf_pages += len(doc.page_starts)
    assert pdf_pages > 9
