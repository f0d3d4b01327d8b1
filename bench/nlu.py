"""Benchmark of the NLU reader (adapters/nlu): training time, per-message latency, quality on eval.tsv.

Trains the intent classifier from the packaged corpus (reading train.tsv included) in this process and times
it, builds the language detector (lingua's four models preloaded, the corpus model trained), then classifies
every message of eval.tsv five times (QUICK=1: once), one call each, after a warm-up pass, and reads them
(language and intent, with the labelled language as the debtor's stored one). Last, the macro-F1 of the
intents on eval.tsv. Prints `name: value unit` lines on stdout; progress on stderr.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from cobro.adapters.nlu.classifier import DATA_DIR, TRAIN_FILE, IntentClassifier, read_examples
from cobro.adapters.nlu.evaluation import evaluate
from cobro.adapters.nlu.language import LanguageDetector
from cobro.adapters.nlu.reader import NluReader

QUICK = os.environ.get("QUICK", "") not in ("", "0")
PASSES = 1 if QUICK else 5


def log(message: str) -> None:
    """Progress for the person watching (stderr, never stdout)."""
    print(f"  [nlu] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float, unit: str = "", digits: int = 3) -> None:
    """One result line: `name: value unit`."""
    print(f"{name}: {value:.{digits}f} {unit}".rstrip(), flush=True)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `samples`, by the inclusive method."""
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q) - 1] if q < 100 else max(samples)


def timed_ms(call: object, texts: list[str], *args: object) -> list[float]:
    """Milliseconds of `call(text, *args)` for each text, one call at a time."""
    samples = []
    for text in texts:
        start = time.perf_counter_ns()
        call(text, *args)  # type: ignore[operator]
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def main() -> int:
    """Runs the benchmark; 0 when it completed."""
    start = time.perf_counter()
    classifier = IntentClassifier(read_examples(TRAIN_FILE)).train()
    train_seconds = time.perf_counter() - start
    log(f"classifier trained in {train_seconds:.2f} s")
    start = time.perf_counter()
    detector = LanguageDetector().build()
    detector_seconds = time.perf_counter() - start
    reader = NluReader(classifier, detector)

    examples = read_examples(DATA_DIR / "eval.tsv")
    texts = [e.text for e in examples] * PASSES
    timed_ms(classifier.classify, [e.text for e in examples])  # warm-up: caches, branch predictors
    classify = timed_ms(classifier.classify, texts)
    log(f"classified {len(classify)} messages")
    read = []
    for _ in range(PASSES):
        for e in examples:
            begin = time.perf_counter_ns()
            reader.read(e.text, e.language)
            read.append((time.perf_counter_ns() - begin) / 1e6)
    log(f"read {len(read)} messages")
    report = evaluate(examples, reader)

    figure("nlu_classify_p50", percentile(classify, 50), "ms")
    figure("nlu_classify_p99", percentile(classify, 99), "ms")
    figure("nlu_read_p50", percentile(read, 50), "ms")
    figure("nlu_read_p99", percentile(read, 99), "ms")
    figure("nlu_train_seconds", train_seconds, "s", digits=2)
    figure("nlu_language_build_seconds", detector_seconds, "s", digits=2)
    figure("nlu_eval_macro_f1", report.macro_f1)
    figure("nlu_eval_min_language_macro_f1", min(f.macro_f1 for f in report.by_language))
    figure("nlu_eval_language_accuracy", report.language_accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
