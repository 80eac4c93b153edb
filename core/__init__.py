"""Base layer: the data model, errors, configuration and the Chinese text rules.

Imports nothing from the rest of the project (docs/CONTRACTS.md, "Layers").
"""
