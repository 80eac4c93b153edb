"""Saved quote baskets (service.baskets): files beside the index, ids, operations."""

from __future__ import annotations

from app import basket as app_basket
from core.config import load_config
from core.models import Citation
from service import baskets
from service.baskets import Basket, BasketItem


def _c(n: int, ref: str, start: int) -> Citation:
    return Citation(n=n, quote=f"引文{n}", doc_id="d", source="/x.txt", title="T",
                    section=("第二章", "第九条"), page=3, start=start, end=start + 3,
                    reference=ref)


def test_folder_is_beside_the_index_not_inside(tmp_path):
    config = load_config({}, index_dir=tmp_path / "kb" / "index")
    assert config.baskets == tmp_path / "kb" / "index-baskets"
    assert not config.baskets.is_relative_to(config.index_dir)
    assert load_config({"KB_BASKETS": str(tmp_path / "b")}).baskets == tmp_path / "b"


def test_save_load_round_trip_keeps_question_and_time(tmp_path):
    item = BasketItem(_c(1, "《甲》第三条", 0), "问题一", "2026-12-01T09:00:00")
    baskets.save(tmp_path, Basket("s-0123456789ab", "本次会话", (item,)))
    got = baskets.load(tmp_path, "s-0123456789ab")
    assert got.items == (item,) and got.items[0].citation.section == ("第二章", "第九条")
    assert baskets.load(tmp_path, "s-aaaaaaaaaaaa").items == ()  # never saved: empty
    (tmp_path / "s-bbbbbbbbbbbb.json").write_text("{broken", encoding="utf-8")
    assert baskets.load(tmp_path, "s-bbbbbbbbbbbb").items == ()
    assert not list(tmp_path.glob(".basket-*"))  # no temporary file left


def test_named_baskets_and_ids(tmp_path):
    nid = baskets.named_id("七一讲话稿")
    assert baskets.valid_id(nid) and nid == baskets.named_id(" 七一讲话稿 ")
    assert not baskets.valid_id("../../etc/passwd") and not baskets.valid_id(None)
    baskets.save(tmp_path, Basket(nid, "七一讲话稿"))
    baskets.save(tmp_path, Basket(baskets.named_id("述职报告"), "述职报告"))
    baskets.save(tmp_path, Basket(baskets.new_session_id(), "本次会话"))
    assert [b.name for b in baskets.named(tmp_path)] == ["七一讲话稿", "述职报告"]
    baskets.delete(tmp_path, nid)
    assert [b.name for b in baskets.named(tmp_path)] == ["述职报告"]


def test_operations_add_move_remove_merge():
    a, b, c = (BasketItem(_c(1, "《甲》第三条", 0)), BasketItem(_c(2, "《乙》第一条", 10)),
               BasketItem(_c(3, "《甲》第三条", 20)))
    items = baskets.added(baskets.added(baskets.added((), a), b), c)
    assert baskets.added(items, a) == items and all(i.added for i in items)
    assert [i.citation.n for i in baskets.merged(items)] == [1, 3, 2]
    assert [i.citation.n for i in baskets.moved(items, 2, -5)] == [3, 1, 2]
    assert [i.citation.n for i in baskets.removed(items, 1)] == [1, 3]
    assert [c.n for c in baskets.numbered(baskets.removed(items, 0))] == [1, 2]


def test_app_helpers_in_memory_state():
    state: dict = {app_basket.QUESTION_KEY: "问"}
    a, b = _c(1, "R", 0), _c(2, "R", 10)
    assert app_basket.add(a, state) and app_basket.add(b, state) and not app_basket.add(a, state)
    app_basket.move(1, -1, state)
    assert [c.n for c in app_basket.items(state)] == [2, 1]
    assert app_basket.entries(state)[0].question == "问"
    app_basket.remove(0, state)
    assert [c.n for c in app_basket.items(state)] == [1]
    app_basket.clear(state)
    assert app_basket.items(state) == []
