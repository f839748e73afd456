"""Fusion of retrieval signals: exact scores on tiny arrays, settings validation."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index.fusion import FusionSettings, fuse, ranks, zscore


def test_zscore_standardizes_and_maps_constant_to_zeros():
    assert zscore(np.array([1.0, 2.0, 3.0])) == pytest.approx([-1.2247449, 0.0, 1.2247449])
    assert zscore(np.array([5.0, 5.0, 5.0])).tolist() == [0.0, 0.0, 0.0]


def test_ranks_are_one_based_highest_first_ties_in_order():
    assert ranks(np.array([0.2, 0.9, 0.5, 0.9])).tolist() == [4.0, 1.0, 3.0, 2.0]


def test_weighted_fusion_adds_weighted_zscores():
    settings = FusionSettings(bm25_weight=1.0, dense_weight=2.0, sentence_bm25_weight=0.0)
    dense = np.array([0.1, 0.2, 0.3])
    bm25 = np.array([3.0, 2.0, 1.0])
    fused = fuse({"dense": dense, "bm25": bm25}, settings)
    # z(dense) = [-1.22, 0, 1.22], z(bm25) = [1.22, 0, -1.22]: dense wins by weight
    assert fused == pytest.approx([-1.2247449, 0.0, 1.2247449])
    assert int(np.argmax(fused)) == 2


def test_rrf_fusion_sums_weight_over_k_plus_rank():
    settings = FusionSettings(method="rrf", rrf_k=1, dense_weight=1.0, sentence_bm25_weight=0.0)
    fused = fuse({"dense": np.array([0.9, 0.1]), "bm25": np.array([0.0, 5.0])}, settings)
    assert fused == pytest.approx([1 / 2 + 1 / 3, 1 / 3 + 1 / 2])


def test_sentence_signal_counts_when_weighted():
    settings = FusionSettings(bm25_weight=0.0, dense_weight=0.0, sentence_bm25_weight=1.0)
    fused = fuse({"sentence_bm25": np.array([0.0, 4.0])}, settings)
    assert fused == pytest.approx([-1.0, 1.0])


def test_missing_weighted_signal_is_named():
    with pytest.raises(ValueError, match=r"needs the signals \['sentence_bm25'\]"):
        fuse({"dense": np.zeros(2), "bm25": np.zeros(2)}, FusionSettings(sentence_bm25_weight=0.5))


def test_signals_of_different_lengths_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        fuse({"dense": np.zeros(2), "bm25": np.zeros(3)}, FusionSettings(sentence_bm25_weight=0.0))


def test_single_keeps_only_one_signal():
    settings = FusionSettings.single("bm25", candidates=7)
    assert settings.weights() == {"bm25": 1.0, "dense": 0.0, "sentence_bm25": 0.0}
    assert settings.candidates == 7
    with pytest.raises(ValueError, match="signal must be one of .* got 'title'"):
        FusionSettings.single("title")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"method": "max"}, "fusion method must be 'weighted' or 'rrf', got 'max'"),
        ({"candidates": 0}, "candidates must be >= 1, got 0"),
        ({"rrf_k": -1}, "rrf_k must be >= 0, got -1"),
        ({"dense_weight": -0.5}, r"weights must be >= 0 and not all 0, got bm25=1.0, dense=-0.5"),
        (
            {"bm25_weight": 0.0, "dense_weight": 0.0, "sentence_bm25_weight": 0.0},
            "not all 0, got bm25=0.0, dense=0.0, sentence_bm25=0.0",
        ),
    ],
)
def test_settings_validation_names_the_bad_value(arguments, message):
    with pytest.raises(ValueError, match=message):
        FusionSettings(**arguments)


def test_settings_round_trip_through_dict():
    settings = FusionSettings(method="rrf", bm25_weight=0.7, candidates=50)
    assert FusionSettings(**settings.to_dict()) == settings
