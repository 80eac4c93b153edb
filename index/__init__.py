"""Hybrid index: Chroma vectors (via llama-index), jieba BM25, fusion and exact matching."""
