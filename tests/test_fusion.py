from index.fusion import rrf


def test_rrf_rewards_agreement():
    fused = rrf([["a", "b", "c"], ["b", "c", "a"]])
    assert [cid for cid, _ in fused][0] == "b"
    assert {cid for cid, _ in fused} == {"a", "b", "c"}


def test_rrf_weights_and_determinism():
    fused = rrf([["a"], ["b"]], weights=[1.0, 2.0])
    assert fused[0][0] == "b"
    # equal scores: best single rank, then first appearance
    assert [c for c, _ in rrf([["x", "y"], ["y", "x"]])] == ["x", "y"]


def test_rrf_rejects_wrong_weight_count():
    import pytest

    with pytest.raises(ValueError):
        rrf([["a"]], weights=[1.0, 2.0])


def test_score_fusion_normalises_each_list():
    from index.fusion import score_fusion

    bm25 = [("a", 12.0), ("b", 6.0), ("c", 0.0)]
    vec = [("c", 0.95), ("b", 0.94), ("a", 0.90)]
    fused = dict(score_fusion([bm25, vec], [1.0, 1.0]))
    # min-max puts each list on [0, 1]: b is middling in both, a and c top one list each
    assert fused["a"] == 1.0 and fused["c"] == 1.0 and abs(fused["b"] - 1.3) < 1e-9
    assert score_fusion([bm25, vec], [1.0, 0.0])[0][0] == "a"
    z = dict(score_fusion([bm25, []], [1.0, 1.0], method="zscore"))
    assert z["a"] > z["b"] > z["c"] == 0.0
