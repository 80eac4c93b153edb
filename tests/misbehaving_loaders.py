"""Loaders that misbehave on purpose, registered on import (the reading subprocess imports
this module too, as it imports the module of every registered loader)."""

from __future__ import annotations

import time

from ingest.loaders import Loader, register_loader


def _forever(data: bytes):
    time.sleep(3600)
    return "", (), {}


def _greedy(data: bytes):
    # One 4 GiB request: refused at once under the address-space limit (no page filling).
    hog = bytearray(4 * 1024 * 1024 * 1024)
    return str(len(hog)), (), {}


def _crash(data: bytes):
    import os

    os._exit(7)


def _sometimes(data: bytes):
    if b"SLEEP" in data:
        time.sleep(3600)
    return data.decode("utf-8"), (), {}


register_loader(Loader("forever", (".forever",), _forever))
register_loader(Loader("sometimes", (".sometimes",), _sometimes))
register_loader(Loader("greedy", (".greedy",), _greedy))
register_loader(Loader("crash", (".crash",), _crash))
