"""Saved quote baskets (引文篮): one JSON file per basket in `Config.baskets`.

The folder lies beside the index (`<index>-baskets`), so `kb ingest --rebuild` and
deleting the index keep it. A basket is either a browser session's (id `s-<hex>`, kept
in the page address as `?basket=<id>`) or named by its user (one per draft, id
`n-<sha1(name)>`). Each quote keeps the question it answered and when it was added.
Every change rereads the file and replaces it atomically (two tabs on one basket lose
no quote to each other's stale copy, except in a race of the same instant).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from core.config import Config
from core.errors import PermissionDenied
from core.models import LEVELS, Citation, User, level_sees

ID_RE = re.compile(r"^[sn]-[0-9a-f]{12}$")
SESSION_NAME = "本次会话"


@dataclass(frozen=True)
class BasketItem:
    """A quote in a basket, the question it answered, and when it was added (ISO)."""

    citation: Citation
    question: str = ""
    added: str = ""

    @property
    def ident(self) -> tuple[str, int, int]:
        c = self.citation
        return (c.doc_id, c.start, c.end)


@dataclass(frozen=True)
class Basket:
    basket_id: str
    name: str
    items: tuple[BasketItem, ...] = ()
    # The account it belongs to (set when a signed-in user first saves it); None: made
    # before accounts existed, or in single-user mode.
    owner: str | None = None


def new_session_id() -> str:
    return "s-" + secrets.token_hex(6)


def named_id(name: str, owner: str | None = None) -> str:
    """The id of a named basket; each account has its own namespace of names."""
    key = name.strip() if owner is None else f"{owner}\n{name.strip()}"
    return "n-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def valid_id(basket_id: str | None) -> bool:
    return bool(basket_id) and ID_RE.fullmatch(basket_id) is not None


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _path(folder: Path, basket_id: str) -> Path:
    if not valid_id(basket_id):
        raise ValueError(f"bad basket id {basket_id!r}")
    return folder / f"{basket_id}.json"


def _citation(d: dict) -> Citation:
    return Citation(**{**d, "section": tuple(d.get("section") or ())})


def _read(folder: Path, basket_id: str, default: str) -> Basket:
    try:
        data = json.loads(_path(folder, basket_id).read_text(encoding="utf-8"))
        items = tuple(BasketItem(_citation(i["citation"]), i.get("question", ""),
                                 i.get("added", "")) for i in data.get("items", []))
        return Basket(basket_id, data.get("name") or default, items, data.get("owner"))
    except (OSError, ValueError, KeyError, TypeError):
        return Basket(basket_id, default)


def _check_owner(basket: Basket, viewer: User | None) -> None:
    if viewer is not None and basket.owner is not None and basket.owner != viewer.name:
        raise PermissionDenied(f"引文篮 {basket.basket_id} 属于账号 {basket.owner}，"
                               f"{viewer.name} 不能打开或修改它")


def load(folder: Path, basket_id: str, name: str | None = None, *,
         viewer: User | None = None, levels: Mapping[str, str] | None = None) -> Basket:
    """The basket `basket_id` (empty when it was never saved or cannot be read).

    With a `viewer`: another account's basket raises PermissionDenied, and a quote of
    a document the viewer may not read (by `levels`, doc_id -> visibility; a document
    no longer there counts as the highest level) is left out.
    """
    basket = _read(folder, basket_id, name or SESSION_NAME)
    _check_owner(basket, viewer)
    if viewer is None or levels is None:
        return basket
    return replace(basket, items=visible_items(basket.items, viewer, levels))


def visible_items(items: tuple[BasketItem, ...], viewer: User | None,
                  levels: Mapping[str, str]) -> tuple[BasketItem, ...]:
    """The items whose document `viewer` may read (all for None)."""
    if viewer is None:
        return items
    return tuple(i for i in items
                 if level_sees(viewer.level, levels.get(i.citation.doc_id, LEVELS[-1])))


def save(folder: Path, basket: Basket, *, viewer: User | None = None) -> None:
    """Write the basket atomically (temporary file + rename).

    With a `viewer`, the basket becomes theirs (when it had no owner); another account's
    basket is refused (PermissionDenied), whatever the page believed.
    """
    if viewer is not None:
        _check_owner(_read(folder, basket.basket_id, basket.name), viewer)
        _check_owner(basket, viewer)
        basket = replace(basket, owner=viewer.name)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"id": basket.basket_id, "name": basket.name, "owner": basket.owner,
            "items": [{"citation": asdict(i.citation), "question": i.question,
                       "added": i.added} for i in basket.items]}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".basket-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, _path(folder, basket.basket_id))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def named(folder: Path, viewer: User | None = None) -> list[Basket]:
    """The named baskets, by name (a viewer's own and those without owner)."""
    out = []
    for p in sorted(folder.glob("n-*.json")) if folder.is_dir() else []:
        b = _read(folder, p.stem, SESSION_NAME)
        if viewer is None or b.owner in (None, viewer.name):
            out.append(b)
    return sorted(out, key=lambda b: b.name)


def delete(folder: Path, basket_id: str, *, viewer: User | None = None) -> None:
    _check_owner(_read(folder, basket_id, SESSION_NAME), viewer)
    _path(folder, basket_id).unlink(missing_ok=True)


def export(config: Config, items: tuple[BasketItem, ...], fmt: str, *,
           viewer: User | None = None, levels: Mapping[str, str] | None = None,
           title: str = "引文汇编", notes: tuple[str, ...] = (),
           reference_list: bool = False) -> bytes:
    """The quotes as Word (`fmt` \"docx\") or Markdown (\"md\", UTF-8), numbered in
    basket order; with a viewer, only quotes they may read, and an audit entry."""
    from answer.basket import export_docx, export_markdown
    from service import audit
    from service.accounts import require

    require(viewer, "export")
    if viewer is not None:
        items = visible_items(items, viewer, levels or {})
    cits = numbered(items)
    if fmt == "docx":
        data = export_docx(cits, title, notes=notes, reference_list=reference_list)
    elif fmt == "md":
        data = export_markdown(cits, title).encode("utf-8")
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    if viewer is not None:
        audit.record(config, viewer, "export", what="basket", format=fmt,
                     quotes=[c.reference for c in cits],
                     doc_ids=list(dict.fromkeys(c.doc_id for c in cits)))
    return data


# pure operations on the items --------------------------------------------------------
def added(items: tuple[BasketItem, ...], item: BasketItem) -> tuple[BasketItem, ...]:
    """`items` plus `item` at the end, unless the same quote is already there."""
    if any(i.ident == item.ident for i in items):
        return items
    return (*items, replace(item, added=item.added or now()))


def removed(items: tuple[BasketItem, ...], index: int) -> tuple[BasketItem, ...]:
    return items[:index] + items[index + 1:] if 0 <= index < len(items) else items


def moved(items: tuple[BasketItem, ...], index: int, delta: int) -> tuple[BasketItem, ...]:
    if not 0 <= index < len(items):
        return items
    lst = list(items)
    target = max(0, min(len(lst) - 1, index + delta))
    lst.insert(target, lst.pop(index))
    return tuple(lst)


def merged(items: tuple[BasketItem, ...]) -> tuple[BasketItem, ...]:
    """Quotes of one reference brought together (at the place of the first), so the
    export gives them one footnote; otherwise the order is kept."""
    groups: dict[str, list[BasketItem]] = {}
    for i in items:
        groups.setdefault(i.citation.reference, []).append(i)
    return tuple(i for g in groups.values() for i in g)


def numbered(items: tuple[BasketItem, ...]) -> list[Citation]:
    """The citations renumbered 1..n in basket order (for export)."""
    return [replace(i.citation, n=k) for k, i in enumerate(items, start=1)]
