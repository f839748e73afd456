"""Training and fitting of every shipped model; the product never imports this package.

Commands (``rag train --help``), each also a module entry (``python -m rag.training.<module>``):

- ``rag train reader`` (alias ``rag train-reader``; ``reader``): the span reader in
  ``rag/reader/model/`` (``reader_settings``, ``batches``, ``negatives``, ``loss``,
  ``closed_eval``, ``squad``; ``export`` turns trained weights into the shipped int8 ONNX).
- ``rag train ranker`` (``ranker``): ``rag/qa/model.json``, the sentence ranker, confidence and
  span scorer (``ranker_records`` collects, ``ranker_fit`` fits, ``ranker_check`` checks).
- ``rag train reranker`` (``reranker``): ``rag/qa/reader_rank.json``, the reader re-ranker
  (``rerank_records`` collects, ``rerank_fit`` fits).
- ``rag train windows`` (``windows``): the reader's stage-2 training windows.

The fitters first write their records (features and labels) to a folder under
``benchmarks/.cache/training`` (``paths``; embeddings cached by ``vectors``), then fit from the
records alone: a refit from the same records writes a byte-identical model file. (Records
collected on another CPU kind differ in the last digits of the int8 models' outputs, so the
fit's discrete choices can differ there: see benchmarks/README.md, "Same answers on every CPU".)
"""
