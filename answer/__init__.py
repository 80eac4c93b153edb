"""The answer stage: extractive answers with verified, formally cited quotes (`kb ask`).

Callers get an answerer from the service layer (`service.wiring.make_answerer`).
"""
