"""The quote basket (引文篮) of this browser session, saved beside the index.

The basket in use is named in the page address (`?basket=<id>`), so a reload (F5) or a
bookmark finds it again; its quotes live in `Config.baskets` (service.baskets). A plain
dict passed as `state` keeps a basket in memory only (for tests of the helpers).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import streamlit as st

from core.errors import PermissionDenied
from core.models import Citation
from service import baskets
from service.baskets import BasketItem

KEY = "basket"  # in-memory items (a dict state, or no usable basket folder)
ID_KEY = "basket-id"
PARAM = "basket"
QUESTION_KEY = "basket-question"  # the question whose citations the page shows

State = MutableMapping[str, Any] | None


def saved_folder() -> Path | None:
    from app.resources import current_config

    try:
        return current_config().baskets
    except Exception:  # a bad setting is reported by the page itself
        return None


def current_id() -> str:
    """The id of this session's basket: the address's `?basket=` wins (a reload, a
    bookmark), else the session's, else a new one; the address is kept in step."""
    ss = st.session_state
    wanted = st.query_params.get(PARAM)
    if baskets.valid_id(wanted):
        ss[ID_KEY] = wanted
    elif not baskets.valid_id(ss.get(ID_KEY)):
        ss[ID_KEY] = baskets.new_session_id()
    if wanted != ss[ID_KEY]:
        st.query_params[PARAM] = ss[ID_KEY]
    return ss[ID_KEY]


def choose(basket_id: str) -> None:
    """Switch this session to another saved basket."""
    st.session_state[ID_KEY] = basket_id
    st.query_params[PARAM] = basket_id


def current() -> baskets.Basket:
    """The basket in use, as saved."""
    folder = saved_folder()
    if folder is None:
        return baskets.Basket("s-000000000000", baskets.SESSION_NAME,
                              tuple(st.session_state.get(KEY, ())))
    from app.auth import levels, service_viewer

    try:
        return baskets.load(folder, current_id(), viewer=service_viewer(), levels=levels())
    except PermissionDenied:  # another account's basket in the address: start a new one
        choose(baskets.new_session_id())
        st.toast("该引文篮属于其他账号，已为您新建引文篮")
        return baskets.load(folder, current_id(), viewer=service_viewer(), levels=levels())


def entries(state: State = None) -> tuple[BasketItem, ...]:
    """The basket's quotes with their questions and times, in order."""
    if state is not None:
        return tuple(state.get(KEY, ()))
    return current().items


def _update(change: Callable[[tuple[BasketItem, ...]], tuple[BasketItem, ...]],
            state: State) -> None:
    if state is not None:
        state[KEY] = change(entries(state))
        return
    folder = saved_folder()
    if folder is None:
        st.session_state[KEY] = change(tuple(st.session_state.get(KEY, ())))
        return
    from app.auth import service_viewer

    # Reread: another tab may have added meanwhile (all items, also any the viewer's level
    # no longer covers, so that a change here never drops them).
    b = baskets.load(folder, current_id(), viewer=service_viewer())
    baskets.save(folder, baskets.Basket(b.basket_id, b.name, change(b.items)),
                 viewer=service_viewer())


def items(state: State = None) -> list[Citation]:
    """The basket's citations in their current order."""
    return [i.citation for i in entries(state)]


def contains(citation: Citation, state: State = None) -> bool:
    """Whether the same quote (document and span) is already in the basket."""
    ident = (citation.doc_id, citation.start, citation.end)
    return any(i.ident == ident for i in entries(state))


def add(citation: Citation, state: State = None, *, question: str | None = None) -> bool:
    """Append `citation` (with the question it answered) unless the same quote is
    there; True if added."""
    if contains(citation, state):
        return False
    if question is None:
        question = (state if state is not None else st.session_state).get(QUESTION_KEY, "")
    _update(lambda it: baskets.added(it, BasketItem(citation, question or "")), state)
    return True


def remove(index: int, state: State = None) -> None:
    """Drop the quote at `index` (ignored when out of range)."""
    _update(lambda it: baskets.removed(it, index), state)


def move(index: int, delta: int, state: State = None) -> None:
    """Move the quote at `index` by `delta` places (clamped to the ends)."""
    _update(lambda it: baskets.moved(it, index, delta), state)


def merge(state: State = None) -> None:
    """Bring quotes of one reference together (one footnote in the export)."""
    _update(baskets.merged, state)


def clear(state: State = None) -> None:
    """Empty the basket."""
    _update(lambda it: (), state)


def save_as(name: str) -> str:
    """Copy this basket's quotes into the named basket `name` (added to what it holds)
    and switch to it; returns its id."""
    folder = saved_folder()
    name = name.strip()
    if folder is None or not name:
        return current_id()
    from app.auth import service_viewer

    viewer = service_viewer()
    target = baskets.named_id(name, viewer.name if viewer else None)
    old = baskets.load(folder, target, name, viewer=viewer)
    merged = old.items
    for i in entries():
        merged = baskets.added(merged, i)
    baskets.save(folder, baskets.Basket(target, name, merged), viewer=viewer)
    choose(target)
    return target


def numbered(citations: list[Citation]) -> list[Citation]:
    """The citations renumbered 1..n in basket order (for export)."""
    return baskets.numbered(tuple(BasketItem(c) for c in citations))
