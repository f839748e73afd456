"""The shipped scoring models: sentence ranker, confidence calibration and span scorer.

All three are tiny and stored as plain numbers in ``rag/qa/model.json`` (written by
``rag train ranker``, see ``rag.training.ranker``); scoring is numpy only. A model file whose
feature names differ from this code's is refused with a message saying how to refit it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PATH = Path(__file__).with_name("model.json")
MODEL_FORMAT = 1
REFIT_HINT = "refit it with: rag train ranker"


#: Logits are clipped to this magnitude before the logistic function (exp overflows past ~709).
LOGIT_CLIP = 40.0
#: Probabilities turned back into logits are kept this far from 0 and 1.
PROBABILITY_FLOOR = 1e-6


def sigmoid(values: np.ndarray | float) -> np.ndarray:
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.clip(values, -LOGIT_CLIP, LOGIT_CLIP)))


#: Significant digits kept when writing weights (keeps the file small; scores move < 1e-5).
SIGNIFICANT_DIGITS = 7


def _rounded(values: np.ndarray) -> Any:
    return np.vectorize(lambda value: float(f"{value:.{SIGNIFICANT_DIGITS}g}"), otypes=[float])(
        values
    ).tolist()


@dataclass(frozen=True)
class Scorer:
    """A standardized linear model, optionally with one hidden ReLU layer, giving a logit per row.

    ``logit = w2 · relu(W1 · z + b1) + b2`` (or ``w · z + b`` without a hidden layer), where
    ``z = (x - mean) / scale``.
    """

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def logits(self, features: np.ndarray) -> np.ndarray:
        if features.ndim != 2 or features.shape[1] != len(self.feature_names):
            raise ValueError(
                f"expected rows of {len(self.feature_names)} features, got shape {features.shape}"
            )
        values = (features - self.mean) / self.scale
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            values = values @ weight + bias
            if layer < len(self.weights) - 1:
                values = np.maximum(values, 0.0)
        return values.reshape(-1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "weights": [_rounded(weight) for weight in self.weights],
            "biases": [_rounded(bias) for bias in self.biases],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorer:
        weights = tuple(np.asarray(weight, dtype=np.float64) for weight in data["weights"])
        biases = tuple(np.asarray(bias, dtype=np.float64).reshape(-1) for bias in data["biases"])
        weights = tuple(weight.reshape(weight.shape[0], -1) for weight in weights)
        return cls(
            feature_names=tuple(data["feature_names"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=weights,
            biases=biases,
        )


@dataclass(frozen=True)
class QAModel:
    """Everything fitted: how to rank sentences, how sure to be, where the span is.

    Attributes:
        sentences: logit that a candidate sentence holds the answer.
        confidence: logit that the top sentence is right, from :data:`CONFIDENCE_FEATURES`-style
            summaries of the ranking (see ``rag.qa.calibration``).
        spans: logit that a span candidate is the answer.
        min_score: confidence below which the answerer abstains (``found=False``).
        info: how and on what the model was fitted (free-form, for humans).
    """

    sentences: Scorer
    confidence: Scorer
    spans: Scorer
    min_score: float
    info: dict[str, Any]

    def check(
        self,
        sentence_features: tuple[str, ...],
        confidence_features: tuple[str, ...],
        span_features: tuple[str, ...],
    ) -> None:
        """Raise ValueError when the stored feature names differ from this code's."""
        for label, scorer, expected in (
            ("sentence", self.sentences, sentence_features),
            ("confidence", self.confidence, confidence_features),
            ("span", self.spans, span_features),
        ):
            if scorer.feature_names != expected:
                missing = sorted(set(expected) - set(scorer.feature_names))
                extra = sorted(set(scorer.feature_names) - set(expected))
                raise ValueError(
                    f"{label} model features differ from the code (missing {missing[:5]}, unknown {extra[:5]}, "
                    f"or another order); {REFIT_HINT}"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "min_score": self.min_score,
            "info": self.info,
            "sentences": self.sentences.to_dict(),
            "confidence": self.confidence.to_dict(),
            "spans": self.spans.to_dict(),
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


def read_model(path: str | Path) -> QAModel:
    """Read a model file.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a model of this format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"QA model file not found: {path}; {REFIT_HINT}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, this code reads {MODEL_FORMAT}")
        return QAModel(
            sentences=Scorer.from_dict(data["sentences"]),
            confidence=Scorer.from_dict(data["confidence"]),
            spans=Scorer.from_dict(data["spans"]),
            min_score=float(data["min_score"]),
            info=dict(data.get("info", {})),
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path} is not a usable QA model ({type(error).__name__}: {error}); {REFIT_HINT}"
        ) from error


@lru_cache(maxsize=4)
def shipped_model(path: str = str(MODEL_PATH)) -> QAModel:
    """The model shipped with the package (read once per process)."""
    return read_model(path)
