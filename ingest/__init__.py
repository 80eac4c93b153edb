"""Turning files into normalised, chunked documents."""
