"""The answer a reader sees first: fit the answer model and measure it on every dev set.

    python benchmarks/answers.py                  # measure (held-out folds), print and save the figures
    python benchmarks/answers.py --fit            # also fit on all fitting data and write fundstelle/answer_model.json
    python benchmarks/answers.py --sets xquad     # only sets whose name starts so (a quicker look)

The sets are ``benchmarks/answer_sets.py``'s: XQuAD-de within one document (``full``), with
only even paragraphs (``even``), with answer sentences deleted (``deleted-a``/``-b``);
the same on GermanQuAD (native German questions); the bundled article's own questions
and the short documents that name their subject by pronoun — the last two written before
any tuning and never fitted on. Spanish and Chinese questions (XQuAD's, over the German
articles) fit and measure the profile for questions in another language than the
documents'.

For every question the script runs the query path as ``Index.ask`` does
(``fundstelle.query.retrieve`` → ``candidates``) and marks the candidates that hold a gold
answer. The question vectors are kept under ``benchmarks/.cache/`` so a second run embeds
nothing; everything after the embedding is computed anew by the library's code.

Fitting, every figure from held-out folds (6 folds by article, the same article in every
set and language in the same fold):

1. the sentence scorer, a conditional logit (which of a question's candidates holds the
   answer) over ``fundstelle.answer.FEATURES``, on the answerable questions of the
   fitting sets' ``full`` variants; German questions and the others
   (``fundstelle.answer.NATIVE_SHARE``) get a scorer each;
2. the confidence, a logistic regression from ``fundstelle.answer.CONFIDENCE_INPUTS`` to
   "the chosen sentence holds the answer", on every fitting set (unanswerable questions
   count as never right), fitted on the stage-1 scores of held-out folds;
3. the threshold: the highest confidence that still answers ``--keep`` (0.93) of the
   fitting sets' answerable questions (held out; an answer lacking the asked kind is
   never given and does not count).

Printed per set: answer@1 (a None answer counts as wrong) and the first ``search()``
hit's sentence for comparison, kept / rejected, right among the kept, wrong answers
given at confidence ≥ 0.8, the expected calibration error, the mean answer length.
``--fit`` writes the model fitted on all fitting data, with this run's figures, to
``fundstelle/answer_model.json``; results go to ``benchmarks/results/answers.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import statistics
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from answer_sets import CACHE, DevSet, SetQuestion, all_sets, translated
from measure import uncached

from fundstelle import Index, answering, query
from fundstelle.answer import (
    FEATURES,
    MODEL_FILE,
    NATIVE_SHARE,
    UNMET_CEILING,
    AnswerModel,
    Candidate,
    Logistic,
    Profile,
    choose,
    confidence_inputs,
)
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.index import ANSWER_PASSAGES
from fundstelle.offers import TYPED_KINDS
from fundstelle.question import Question

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FOLDS = 6
HIGH = 0.8  # "sehr sicher" on the page


class RememberedQuestions:
    """An index model whose question vectors are kept on disk (the benchmark's only shortcut: no re-embedding)."""

    def __init__(self, inner: object, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.vectors: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}
        self.added = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """The question vectors, from disk where known."""
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            for text, vector in zip(missing, self.inner.embed_queries(missing)):  # type: ignore[attr-defined]
                self.vectors[text] = vector
            self.added += len(missing)
        return np.stack([self.vectors[t] for t in texts])

    def save(self) -> None:
        """Write the vectors if any are new."""
        if self.added:
            self.path.write_bytes(pickle.dumps(self.vectors))
            self.added = 0


@dataclass
class Asked:
    """One question asked of one set's index: its candidates, which hold a gold answer, what search() showed."""

    set: str
    question: SetQuestion
    found: query.Retrieval | None
    candidates: list[Candidate]
    matrix: np.ndarray
    right: np.ndarray
    search_right: bool

    @property
    def read(self) -> Question:
        """The question as the query path read it."""
        assert self.found is not None
        return self.found.question

    @property
    def native(self) -> bool:
        """Is the question asked in the documents' language (which profile serves it)?"""
        return len(self.matrix) > 0 and float(self.matrix[0, FEATURES.index("language")]) >= NATIVE_SHARE

    @property
    def fold(self) -> int:
        """The cross-validation fold of the question's article."""
        return zlib.crc32(self.question.group.encode()) % FOLDS


def holds_answer(text: str, answers: tuple[str, ...]) -> bool:
    """Does a gold answer string occur verbatim in ``text``?"""
    return any(answer in text for answer in answers)


def ask_all(dev: DevSet, index: Index) -> list[Asked]:
    """Run the query path for every question of ``dev``; mark the right candidates."""
    snapshot = index.snapshot
    lang = dev.questions[0].lang if dev.questions else "de"
    models = [RememberedQuestions(e, CACHE / f"vectors-{lang}-{e.spec}.pkl") for e in index.embedders]
    asked = []
    started = time.perf_counter()
    for number, q in enumerate(dev.questions, start=1):
        found = query.retrieve(snapshot, models, q.text, ANSWER_PASSAGES, "hybrid", index.fusion)  # type: ignore[arg-type]
        candidates = answering.candidates(found)
        first = query.highlighted_hits(query.retrieve(snapshot, models, q.text, 1, "hybrid", index.fusion))  # type: ignore[arg-type]
        right = np.asarray([q.answerable and holds_answer(c.text, q.answers) for c in candidates], dtype=bool)
        matrix = np.stack([c.features for c in candidates]) if candidates else np.zeros((0, len(FEATURES)))
        asked.append(Asked(dev.name, q, found, candidates, matrix, right,
                           q.answerable and bool(first) and holds_answer(first[0].answer.text, q.answers)))
        if number % 300 == 0:
            print(f"  {dev.name} ({lang}): {number}/{len(dev.questions)}, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
    for model in models:
        model.save()
    return asked


# ------------------------------------------------------------------ fitting

def standardise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of each column (scale 1 where a column does not vary)."""
    mean, scale = matrix.mean(axis=0), matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_scorer(asked: list[Asked], l2: float) -> Logistic:
    """The conditional logit: weights that give a question's right candidates the most softmax probability."""
    from scipy.optimize import minimize

    useful = [a for a in asked if a.right.any()]
    mean, scale = standardise(np.concatenate([a.matrix for a in useful]))
    inputs = [(a.matrix - mean) / scale for a in useful]
    rights = [a.right.astype(np.float64) for a in useful]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = 0.0, np.zeros_like(weights)
        for x, right in zip(inputs, rights):
            scores = x @ weights
            shares = np.exp(scores - scores.max())
            shares /= shares.sum()
            held = max(float(shares @ right), 1e-12)
            total -= math.log(held)
            gradient -= x.T @ (shares * right / held - shares)
        return (total + 0.5 * l2 * weights @ weights) / len(inputs), (gradient + l2 * weights) / len(inputs)

    weights = minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    return Logistic(mean, scale, weights, 0.0)


def fit_logistic(inputs: np.ndarray, labels: np.ndarray, c: float = 1.0) -> Logistic:
    """A logistic regression on standardised ``inputs`` (scikit-learn), as a :class:`Logistic`."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = standardise(inputs)
    model = LogisticRegression(C=c, max_iter=4000).fit((inputs - mean) / scale, labels)
    return Logistic(mean, scale, model.coef_[0], float(model.intercept_[0]))


@dataclass
class Outcome:
    """What the answer model made of one question: the chosen candidate, its confidence inputs, right or not."""

    chosen: int
    inputs: np.ndarray
    right: bool
    offers: bool


def outcome(a: Asked, scorer: Logistic) -> Outcome | None:
    """The choice ``Index.ask`` makes with this scorer (None without candidates)."""
    if not a.candidates:
        return None
    scores = scorer.logit(a.matrix)
    chosen = choose(a.candidates, scores, a.read)
    offers = a.read.kind not in TYPED_KINDS or a.candidates[chosen].offers
    text = answer_text(a, chosen)
    right = a.question.answerable and holds_answer(text, a.question.answers)
    return Outcome(chosen, confidence_inputs(scores, a.candidates, chosen, a.read), right, offers)


def answer_text(a: Asked, chosen: int) -> str:
    """The answer's text as ``Index.ask`` gives it (the sentence, or with the one before it continues)."""
    sentence = a.candidates[chosen].sentence
    assert a.found is not None
    start = answering.answer_start(a.found, sentence)
    return a.found.snapshot.documents[sentence.doc_id].text[start:sentence.end]


def held_out(sets: dict[str, list[Asked]], fit_on: list[str], l2: float) -> dict[str, list[Outcome | None]]:
    """Stage 1 held out: each question's outcome under scorers fitted without its fold."""
    out: dict[str, list[Outcome | None]] = {name: [None] * len(asked) for name, asked in sets.items()}
    for fold in range(FOLDS):
        training = [a for name in fit_on for a in sets[name] if a.fold != fold]
        scorers = {flag: fit_scorer([a for a in training if a.native == flag], l2) for flag in (True, False)}
        for name, asked in sets.items():
            for i, a in enumerate(asked):
                if a.fold == fold and a.candidates:
                    out[name][i] = outcome(a, scorers[a.native])
    return out


def fit_confidence(sets: dict[str, list[Asked]], outcomes: dict[str, list[Outcome | None]], fit_on: list[str],
                   native: bool, exclude_fold: int | None = None) -> Logistic:
    """The confidence of one profile, from the (held-out) outcomes of the fitting sets."""
    inputs, labels = [], []
    for name in fit_on:
        for a, o in zip(sets[name], outcomes[name]):
            if o is not None and a.native == native and a.fold != exclude_fold:
                inputs.append(o.inputs)
                labels.append(o.right)
    return fit_logistic(np.asarray(inputs), np.asarray(labels), 1.0)


def confidences(sets: dict[str, list[Asked]], outcomes: dict[str, list[Outcome | None]],
                fit_on: list[str]) -> dict[str, np.ndarray]:
    """Stage 2 held out: each question's confidence (0 without candidates), capped where the asked kind is unmet."""
    out = {name: np.zeros(len(asked)) for name, asked in sets.items()}
    for fold in range(FOLDS):
        models = {flag: fit_confidence(sets, outcomes, fit_on, flag, fold) for flag in (True, False)}
        for name, asked in sets.items():
            for i, (a, o) in enumerate(zip(asked, outcomes[name])):
                if o is not None and a.fold == fold:
                    p = float(models[a.native].probability(o.inputs))
                    out[name][i] = p if o.offers else min(p, UNMET_CEILING)
    return out


def expected_calibration_error(probabilities: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width bins."""
    error = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = (probabilities >= low) & ((probabilities < high) if b < bins - 1 else (probabilities <= high))
        if inside.any():
            error += inside.sum() / len(probabilities) * abs(float(probabilities[inside].mean())
                                                            - float(right[inside].mean()))
    return error


# ------------------------------------------------------------------ the report

def figures(asked: list[Asked], outcomes: list[Outcome | None], confidence: np.ndarray,
            threshold: float) -> dict[str, float]:
    """One set's figures (see the module docstring)."""
    answerable = np.asarray([a.question.answerable for a in asked])
    right = np.asarray([o is not None and o.right for o in outcomes])
    met = np.asarray([o is not None and o.offers for o in outcomes])
    given = (confidence >= threshold) & met
    n_ok, n_not = int(answerable.sum()), int((~answerable).sum())
    high = given & (confidence >= HIGH)
    lengths = [len(answer_text(a, o.chosen)) for a, o, g in zip(asked, outcomes, given) if g and o is not None]
    return {
        "questions": len(asked), "answerable": n_ok, "unanswerable": n_not,
        "answer_at_1": float((right & given)[answerable].mean()) if n_ok else math.nan,
        "chosen_right": float(right[answerable].mean()) if n_ok else math.nan,
        "search_at_1": float(np.mean([a.search_right for a, ok in zip(asked, answerable) if ok])) if n_ok else math.nan,
        "kept": float(given[answerable].mean()) if n_ok else math.nan,
        "rejected": float((~given[~answerable]).mean()) if n_not else math.nan,
        "right_among_kept": float(right[answerable & given].mean()) if (answerable & given).any() else math.nan,
        "wrong_at_high": float((~right[high]).mean()) if high.any() else 0.0,
        "given_at_high": int(high.sum()),
        "ece": expected_calibration_error(confidence, right),
        "mean_answer_chars": float(np.mean(lengths)) if lengths else 0.0,
    }


def line(name: str, row: dict[str, float]) -> str:
    """One printed row of the table."""
    return (f"{name:22} {row['questions']:5.0f} {row['answer_at_1']:8.3f} {row['search_at_1']:7.3f} "
            f"{row['chosen_right']:7.3f} {row['kept']:6.3f} {row['rejected']:8.3f} {row['right_among_kept']:10.3f} "
            f"{row['wrong_at_high']:6.3f}/{row['given_at_high']:<3.0f}{row['ece']:6.3f} "
            f"{row['mean_answer_chars']:6.0f}")


def main() -> None:
    """Parse the options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="", help="only sets whose name starts with one of these (comma-separated)")
    parser.add_argument("--keep", type=float, default=0.93,
                        help="share of answerable questions (whose answer offers what is asked) to answer")
    parser.add_argument("--l2", type=float, default=1.0, help="regularisation of the sentence scorer")
    parser.add_argument("--foreign", default="xquad-full,xquad-even",
                        help="sets also asked in Spanish and Chinese (comma-separated)")
    parser.add_argument("--fit", action="store_true", help=f"write the model fitted on all data to {MODEL_FILE}")
    args = parser.parse_args()
    run(args)


def load_sets(prefixes: list[str], foreign: tuple[str, ...] = ("xquad-full", "xquad-even")) -> dict[str, list[Asked]]:
    """Ask every question of every wanted set (those named in ``foreign`` also in Spanish and Chinese)."""
    sets: dict[str, list[Asked]] = {}
    for dev in all_sets():
        if prefixes and not any(dev.name.startswith(p) for p in prefixes):
            continue
        index = uncached(dev.index(DEFAULT_MODEL), question_vectors=False)
        languages = ["de", "es", "zh"] if dev.name in foreign else ["de"]
        for lang in languages:
            asked = ask_all(dev if lang == "de" else translated(dev, lang), index)
            sets[dev.name if lang == "de" else f"{dev.name}:{lang}"] = asked
    return sets


def run(args: argparse.Namespace | None = None) -> dict[str, object]:
    """Collect, cross-validate, print and return the figures; with ``args.fit`` write the model."""
    args = args or argparse.Namespace(sets="", foreign="xquad-full,xquad-even", keep=0.93, l2=1.0, fit=False)
    started = time.perf_counter()
    sets = load_sets([p for p in args.sets.split(",") if p], tuple(args.foreign.split(",")))
    fitting = [name for name in sets if not name.startswith(("article", "pronoun"))]
    scorer_sets = [name for name in fitting if name.split(":")[0].endswith("full")]
    outcomes = held_out(sets, scorer_sets, args.l2)
    confidence = confidences(sets, outcomes, fitting)

    threshold = choose_threshold(sets, outcomes, confidence, fitting, args.keep)
    results: dict[str, object] = {"threshold": round(threshold, 4), "keep_target": args.keep, "l2": args.l2}
    print(f"\nThreshold {threshold:.3f}: keeps {args.keep:.0%} of the answerable questions of the fitting sets whose "
          "answer offers what is asked (held out)\n")
    header = (f"{'set':22} {'n':>5} {'answer@1':>8} {'search':>7} {'chosen':>7} {'kept':>6} {'rejected':>8} "
              f"{'right|kept':>10} {'wrong@0.8':>9} {'ECE':>6} {'chars':>6}")
    print(header)
    for name, asked in sets.items():
        row = figures(asked, outcomes[name], confidence[name], threshold)
        results[name] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
        print(line(name, row))
        for lang in ("de", "en"):
            part = [i for i, a in enumerate(asked) if a.question.lang == lang]
            if name in ("article", "pronoun") and part and len(part) < len(asked):
                sub = figures([asked[i] for i in part], [outcomes[name][i] for i in part], confidence[name][part],
                              threshold)
                results[f"{name}-{lang}"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in sub.items()}
                print(line(f"  {lang}", sub))
    for name in [n for n in sets if "deleted-a" in n]:
        both = name.replace("deleted-a", "deleted-b")
        if both in sets:
            joined = sets[name] + sets[both]
            row = figures(joined, outcomes[name] + outcomes[both],
                          np.concatenate([confidence[name], confidence[both]]), threshold)
            results[name.replace("-a", "")] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
            print(line(name.replace("-a", ""), row))
    timed = latency(sets)
    if timed:
        print(f"\nWarm p50 on the XQuAD index (alternating): search {timed['search']:.1f} ms, "
              f"ask {timed['ask']:.1f} ms")
        results["latency_ms"] = timed

    if args.fit:
        write_model(sets, scorer_sets, fitting, threshold, args, results)
    results["seconds"] = round(time.perf_counter() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answers.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n{results['seconds']} s")
    return results


def choose_threshold(sets: dict[str, list[Asked]], outcomes: dict[str, list[Outcome | None]],
                     confidence: dict[str, np.ndarray], fitting: list[str], keep: float) -> float:
    """The highest confidence that still answers ``keep`` of the fitting sets' answerable questions.

    Only answers that offer what is asked count (the others are never given). Chosen on
    the answerable side because a no-answer rule that withholds real answers is worse
    for a reader than an honest "Vielleicht" (the page words answers below 0.5 so).
    """
    given = np.concatenate([confidence[name][[a.question.answerable and o is not None and o.offers
                                              for a, o in zip(sets[name], outcomes[name])]] for name in fitting])
    if not len(given):
        return 0.5
    return float(np.sort(given)[max(0, math.floor((1 - keep) * len(given)) - 1)])


def write_model(sets: dict[str, list[Asked]], scorer_sets: list[str], fitting: list[str], threshold: float,
                args: argparse.Namespace, results: dict[str, object]) -> None:
    """Fit on all fitting data and write ``answer_model.json``."""
    training = [a for name in scorer_sets for a in sets[name]]
    scorers = {flag: fit_scorer([a for a in training if a.native == flag], args.l2) for flag in (True, False)}
    outcomes = {name: [outcome(a, scorers[a.native]) for a in asked] for name, asked in sets.items()}
    profiles = {flag: Profile(scorers[flag], fit_confidence(sets, outcomes, fitting, flag)) for flag in (True, False)}
    provenance = {
        "command": "python benchmarks/answers.py --fit" + (f" --keep {args.keep}" if args.keep != 0.93 else ""),
        "data": "benchmarks/answer_sets.py: sentence scorer on " + ", ".join(scorer_sets)
                + "; confidence on " + ", ".join(fitting) + " (never on the article's or the pronoun set)",
        "model": DEFAULT_MODEL,
        "passages": ANSWER_PASSAGES,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "held_out": {k: v for k, v in results.items() if isinstance(v, dict)},
    }
    model = AnswerModel(profiles[True], profiles[False], threshold, provenance)
    MODEL_FILE.write_text(json.dumps(model.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {MODEL_FILE}")


def latency(sets: dict[str, list[Asked]], count: int = 150) -> dict[str, float]:
    """Warm p50 of ``search(q, k=5)`` and ``ask(q, k=5)`` in ms on the XQuAD index, the two taking turns."""
    asked = sets.get("xquad-full")
    if not asked or not MODEL_FILE.exists():
        return {}
    index = next(dev for dev in all_sets() if dev.name == "xquad-full").index(DEFAULT_MODEL)
    uncached(index)
    questions = [a.question.text for a in asked[:count]]
    try:
        for question in questions[:5]:
            index.search(question)
            index.ask(question)
    except ValueError:  # a model file of other features: measured after --fit
        return {}
    times: dict[str, list[float]] = {"search": [], "ask": []}
    for question in questions:
        for name, call in (("search", index.search), ("ask", index.ask)):
            begun = time.perf_counter()
            call(question)
            times[name].append(1000 * (time.perf_counter() - begun))
    return {name: round(statistics.median(values), 2) for name, values in times.items()}


if __name__ == "__main__":
    sys.exit(main())
