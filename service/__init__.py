"""Service layer: the one place that wires the stages (ingest, index, answer) together.

Interfaces (cli/, app/, evals/) call this layer; stages never import it.
"""
