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
