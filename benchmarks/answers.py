"""The answer a reader sees first: fit the answer model and measure it within one document.

    python benchmarks/answers.py            # measure with cross-validation (grouped by article), print figures
    python benchmarks/answers.py --fit      # also fit on all data and write fundstelle/answer_model.json
    python benchmarks/answers.py --langs de # only the German questions (default: de,es,zh)

The job: each of XQuAD-de's 48 articles is one document (its paragraphs joined by a
blank line) and every question is asked of the index of all 48. Two sets:

- *full*: every paragraph kept; all 1,190 questions are answerable.
- *even*: only each article's paragraphs 0, 2, 4, … kept; questions about the odd ones
  are on topic but unanswerable there (the no-answer set).

For every question this script takes the sentences ``Index.ask`` chooses among
(``Index.answer_candidates``: all sentences of the top passages, with their features)
and the gold answers. A candidate is right when a gold answer string lies inside it.

Fitting, in two stages, every figure from held-out folds (6 folds grouped by article,
so no article's questions are both fitted and measured):

1. the sentence model, a logistic regression over the candidates' features (the
   questions of the full set, in every language of ``--langs``). Questions in the
   documents' language and the others (``fundstelle.answer.NATIVE_SHARE``) get a
   model each, in this stage and the next;
2. the confidence: a logistic regression from ``fundstelle.answer.CONFIDENCE_INPUTS``
   (the best candidate's score, its lead over the runner-up, how close the question
   comes to anything, how much it speaks the documents' language, …) to "the best
   candidate holds the answer" (both sets, every language, unanswerable questions
   counting as never right), fitted on the stage-1 scores of held-out folds;
3. the threshold: the lowest confidence that still rejects ``--reject`` (default 0.62)
   of the unanswerable questions of the even set, so that as many answerable questions
   as possible keep their answer (the issue asks for at least 0.60 rejected, 0.90 kept;
   the margin is for questions never seen).

Printed: answer@1 per language (a None answer counts as wrong), passage ceiling, what
``search()``'s first hit highlights (the answer before ``ask``), the
even set's kept/rejected shares and trade-off curve, the expected calibration error (10
bins) with the reliability table, and the answer phrase's share, exact match and F1.
``--fit`` writes the model fitted on all data, with the figures of this run, to
``fundstelle/answer_model.json``; results go to ``benchmarks/results/answers.json``.
Candidate features are cached per index version under ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from highlight import normalise, token_f1
from xquad import CACHE, Question, answerable_paragraphs, article_of_paragraph, articles_index, questions

from fundstelle import Index
from fundstelle.answer import (
    CONFIDENCE_INPUTS,
    FEATURES,
    MODEL_FILE,
    AnswerModel,
    Logistic,
    Profile,
    confidence_inputs,
    is_native,
    lacks_count,
)
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.index import ANSWER_PASSAGES
from fundstelle.phrase import answer_phrase
from fundstelle.question import Question as ReadQuestion
from fundstelle.question import question_type

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FOLDS = 6


@dataclass
class Asked:
    """One question asked of one index: its candidates' features and which hold a gold answer."""

    question: Question
    article: int
    answerable: bool
    texts: list[str]
    passages: np.ndarray  # rank (0-based) of each candidate's best passage
    matrix: np.ndarray
    right: np.ndarray


def holds_answer(text: str, answers: tuple[str, ...]) -> bool:
    """Does a gold answer string occur verbatim in ``text``?"""
    return any(answer in text for answer in answers)


def collect(index: Index, language: str, even_only: bool, limit: int, passages: int) -> list[Asked]:
    """Ask every question of ``index``; keep its candidates (cached per index version)."""
    name = f"answers-{'even' if even_only else 'full'}-{language}-{index.info.version}-{passages}-{limit}.json"
    cache = CACHE / name
    articles = article_of_paragraph()
    answerable = answerable_paragraphs(even_only)
    qs = questions(language)[: limit or None]
    if cache.exists():
        rows = json.loads(cache.read_text(encoding="utf-8"))
        if rows.get("features") == list(FEATURES):
            return [Asked(q, articles[q.paragraph], q.paragraph in answerable, texts, np.asarray(passages, dtype=int),
                          np.asarray(matrix).reshape(-1, len(FEATURES)), np.asarray(right, dtype=bool))
                    for q, (texts, passages, matrix, right) in zip(qs, rows["asked"])]
    asked = []
    started = time.perf_counter()
    for number, q in enumerate(qs, start=1):
        candidates = index.answer_candidates(q.text, passages=passages)
        texts = [c.text for c in candidates]
        matrix = np.stack([c.features for c in candidates]) if candidates else np.zeros((0, len(FEATURES)))
        right = np.asarray([holds_answer(t, q.answers) for t in texts], dtype=bool)
        ranks = np.asarray([c.passage for c in candidates], dtype=int)
        asked.append(Asked(q, articles[q.paragraph], q.paragraph in answerable, texts, ranks, matrix, right))
        if number % 200 == 0:
            print(f"  {name}: {number}/{len(qs)} questions, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cache.write_text(json.dumps({"features": list(FEATURES), "asked": [
        (a.texts, a.passages.tolist(), a.matrix.tolist(), a.right.tolist()) for a in asked]}), encoding="utf-8")
    return asked


# ------------------------------------------------------------------ fitting

def folds_of(asked: list[Asked]) -> np.ndarray:
    """The fold of each question: articles dealt round-robin into ``FOLDS`` folds."""
    return np.asarray([a.article % FOLDS for a in asked])


def fit_logistic(inputs: np.ndarray, labels: np.ndarray, c: float) -> Logistic:
    """A logistic regression on standardised ``inputs`` (scikit-learn), as a :class:`Logistic`."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=4000).fit((inputs - mean) / scale, labels)
    return Logistic(mean, scale, model.coef_[0], float(model.intercept_[0]))


def fit_sentences(asked: list[Asked], c: float) -> Logistic:
    """The sentence model: which candidates hold a gold answer, from their features."""
    return fit_logistic(np.concatenate([a.matrix for a in asked]), np.concatenate([a.right for a in asked]), c)


def top_outcomes(asked: list[Asked], scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: its confidence inputs, whether its best candidate is right, and whether it has candidates."""
    inputs, right, present = [], [], []
    for a, s in zip(asked, scores):
        present.append(len(s) > 0)
        inputs.append(confidence_inputs(s, a.matrix, ReadQuestion.of(a.question.text)) if len(s)
                      else np.zeros(len(CONFIDENCE_INPUTS)))
        right.append(bool(len(s) and a.answerable and a.right[int(np.argmax(s))]))
    return np.asarray(inputs), np.asarray(right), np.asarray(present)


def native(a: Asked) -> bool:
    """Is the question asked in the documents' language (which profile serves it)?"""
    return is_native(a.matrix)


def fit_confidence(sets: list[tuple[list[Asked], list[np.ndarray]]], in_native: bool,
                   exclude_fold: int | None = None) -> Logistic:
    """The confidence of one profile: does the best candidate hold the answer, from :func:`confidence_inputs`.

    Fitted on the questions of ``sets`` (each with its sentence scores) of that profile, outside ``exclude_fold``.
    """
    inputs, right = [], []
    for asked, scores in sets:
        i, r, present = top_outcomes(asked, scores)
        keep = present & (folds_of(asked) != exclude_fold) & np.asarray([native(a) == in_native for a in asked])
        inputs.append(i[keep])
        right.append(r[keep])
    return fit_logistic(np.concatenate(inputs), np.concatenate(right), 10.0)


def held_out_scores(train_on: list[Asked], apply_to: list[list[Asked]], c: float) -> list[list[np.ndarray]]:
    """Stage-1 scores of each set in ``apply_to``, by its profile's model fitted without the question's fold."""
    folds = folds_of(train_on)
    out: list[list[np.ndarray]] = [[np.zeros(0)] * len(s) for s in apply_to]
    for fold in range(FOLDS):
        models = {flag: fit_sentences([a for a, f in zip(train_on, folds) if f != fold and native(a) == flag], c)
                  for flag in (True, False)}
        for number, asked in enumerate(apply_to):
            for i, a in enumerate(asked):
                if a.article % FOLDS == fold and len(a.matrix):
                    out[number][i] = models[native(a)].logit(a.matrix)
    return out


def expected_calibration_error(probabilities: np.ndarray, right: np.ndarray, bins: int = 10) -> tuple[float, list]:
    """ECE over ``bins`` equal-width bins, and the table (bin, count, mean confidence, share right)."""
    table, error = [], 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = (probabilities >= low) & ((probabilities < high) if b < bins - 1 else (probabilities <= high))
        if not inside.any():
            continue
        mean, share = float(probabilities[inside].mean()), float(right[inside].mean())
        error += inside.sum() / len(probabilities) * abs(mean - share)
        table.append((round(low, 1), int(inside.sum()), round(mean, 3), round(share, 3)))
    return error, table


# ------------------------------------------------------------------ phrases

def phrase_figures(asked: list[Asked], scores: list[np.ndarray], answered: np.ndarray) -> dict[str, float]:
    """For the answered questions: share with a phrase, exact match and token F1 of those phrases."""
    shown, exact, f1 = 0, 0.0, 0.0
    total = int(answered.sum())
    for a, s, kept in zip(asked, scores, answered):
        if not kept or len(s) == 0:
            continue
        text = a.texts[int(np.argmax(s))]
        phrase = answer_phrase(ReadQuestion.of(a.question.text), text)
        if phrase is None:
            continue
        shown += 1
        exact += max(float(normalise(phrase.text) == normalise(g)) for g in a.question.answers)
        f1 += max(token_f1(phrase.text, g) for g in a.question.answers)
    return {"shown": shown / total if total else 0.0, "exact": exact / shown if shown else 0.0,
            "f1": f1 / shown if shown else 0.0, "answered": total}


def search_baseline(index: Index, asked: list[Asked]) -> float:
    """Share of questions whose first ``search()`` hit's highlighted sentence holds a gold answer."""
    right = 0
    for a in asked:
        hits = index.search(a.question.text, k=1)
        right += bool(hits and hits[0].answer and holds_answer(hits[0].answer.text, a.question.answers))
    return right / len(asked) if asked else 0.0


# ------------------------------------------------------------------ latency

def latency(index: Index, asked: list[str], rounds: int = 2) -> dict[str, float]:
    """Warm p50 of ``search(q, k=5)`` and ``ask(q, k=5)`` in ms, the two taking turns question by question.

    The models' question cache and the index's result cache are off: each call embeds its
    question and computes its result, as a new question would.
    """
    for embedder in index.embedders:
        embedder.query_cache_size = 0
    index.result_cache_size = 0
    for question in asked[:5]:
        index.search(question)
        index.ask(question)
    times: dict[str, list[float]] = {"search": [], "ask": []}
    for _ in range(rounds):
        for question in asked:
            for name, call in (("search", index.search), ("ask", index.ask)):
                started = time.perf_counter()
                call(question)
                times[name].append(1000 * (time.perf_counter() - started))
    return {name: round(statistics.median(values), 2) for name, values in times.items()}


# ------------------------------------------------------------------ main

def main() -> None:
    """Parse the options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", default="de,es,zh")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (a quick look)")
    parser.add_argument("--reject", type=float, default=0.62, help="share of unanswerable questions to reject")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation of the sentence model")
    parser.add_argument("--passages", type=int, default=ANSWER_PASSAGES,
                        help="candidates are the sentences of this many top passages")
    parser.add_argument("--fit", action="store_true", help=f"write the model fitted on all data to {MODEL_FILE}")
    args = parser.parse_args()
    run(args)


def run(args: argparse.Namespace | None = None) -> dict[str, object]:  # noqa: C901 - one report, top to bottom
    """Collect candidates, cross-validate, print and return the figures; with ``args.fit`` write the model."""
    args = args or argparse.Namespace(langs="de,es,zh", limit=0, reject=0.62, c=1.0, passages=ANSWER_PASSAGES,
                                      fit=False)
    started = time.perf_counter()
    langs = args.langs.split(",")
    full_index = articles_index(DEFAULT_MODEL)
    even_index = articles_index(DEFAULT_MODEL, even_only=True)
    full = {lang: collect(full_index, lang, False, args.limit, args.passages) for lang in langs}
    even = {lang: collect(even_index, lang, True, args.limit, args.passages) for lang in langs}
    # The same articles in every language: folds stay apart.
    train = [a for lang in langs for a in full[lang]]

    # Stage 1 held out: every set scored by models not fitted on its articles.
    sets = [full[lang] for lang in langs] + [even[lang] for lang in langs]
    held = held_out_scores(train, sets, args.c)
    full_scores = dict(zip(langs, held[:len(langs)]))
    even_scores = dict(zip(langs, held[len(langs):]))

    # Stage 2 held out: the confidence fitted on the other folds' questions (both sets, every language).
    calibration_sets = [pair for lang in langs for pair in ((full[lang], full_scores[lang]),
                                                            (even[lang], even_scores[lang]))]
    probabilities: dict[tuple[str, str], np.ndarray] = {}
    rights: dict[tuple[str, str], np.ndarray] = {}
    # What decides whether a question is answered: its confidence, or -1 where the
    # best sentence cannot answer it (fundstelle.answer.lacks_count).
    decisions: dict[tuple[str, str], np.ndarray] = {}
    for lang in langs:
        for name, asked, scores in (("full", full[lang], full_scores[lang]), ("even", even[lang], even_scores[lang])):
            inputs, right, present = top_outcomes(asked, scores)
            folds = folds_of(asked)
            p = np.zeros(len(asked))
            natives = np.asarray([native(a) for a in asked])
            for fold in range(FOLDS):
                for flag in (True, False):
                    here = (folds == fold) & present & (natives == flag)
                    if here.any():
                        calibration = fit_confidence(calibration_sets, flag, exclude_fold=fold)
                        p[here] = calibration.probability(inputs[here])
            probabilities[(name, lang)] = p
            rights[(name, lang)] = right
            lacking = np.asarray([len(s) > 0
                                  and lacks_count(ReadQuestion.of(a.question.text), a.texts[int(np.argmax(s))])
                                  for a, s in zip(asked, scores)])
            decisions[(name, lang)] = np.where(lacking, -1.0, p)

    # Threshold on the German even set: the lowest that rejects --reject of the unanswerable.
    answerable = np.asarray([a.answerable for a in even["de"]])
    p_unanswerable = np.sort(decisions[("even", "de")][~answerable])
    threshold = float(p_unanswerable[min(len(p_unanswerable) - 1, math.ceil(args.reject * len(p_unanswerable)))])

    results: dict[str, object] = {"threshold": round(threshold, 4), "reject_target": args.reject, "c": args.c}
    print(f"\nThreshold on confidence: {threshold:.3f} (rejects {args.reject:.0%} of the unanswerable German "
          "even-set questions, held-out folds)")
    print(f"\n{'language':8} {'answer@1':>9} {'top right':>9} {'answered':>9} {'ceiling':>8} {'search()':>9}"
          "   (full set, held out; search(): its first hit's sentence)")
    for lang in langs:
        p, right = decisions[("full", lang)], rights[("full", lang)]
        answered = p >= threshold
        ceiling = np.mean([a.right.any() for a in full[lang]])
        at1 = float((right & answered).mean())
        baseline = search_baseline(full_index, full[lang])
        print(f"{lang:8} {at1:9.3f} {right.mean():9.3f} {answered.mean():9.3f} {ceiling:8.3f} {baseline:9.3f}")
        results[f"full_{lang}"] = {"answer_at_1": round(at1, 4), "top_right": round(float(right.mean()), 4),
                                   "answered": round(float(answered.mean()), 4), "ceiling": round(float(ceiling), 4),
                                   "search_at_1": round(baseline, 4), "questions": len(full[lang])}

    print(f"\n{'language':8} {'kept':>6} {'rejected':>9} {'right|kept':>10}   (even set, held out)")
    curves = {}
    for lang in langs:
        p, right = decisions[("even", lang)], rights[("even", lang)]
        ok = np.asarray([a.answerable for a in even[lang]])
        answered = p >= threshold
        kept, rejected = float(answered[ok].mean()), float((~answered[~ok]).mean())
        right_kept = float(right[ok & answered].mean()) if (ok & answered).any() else 0.0
        print(f"{lang:8} {kept:6.3f} {rejected:9.3f} {right_kept:10.3f}")
        results[f"even_{lang}"] = {"kept": round(kept, 4), "rejected": round(rejected, 4),
                                   "right_among_kept": round(right_kept, 4),
                                   "answerable": int(ok.sum()), "unanswerable": int((~ok).sum())}
        grid = np.linspace(0, 1, 101)
        curves[lang] = [(round(float(t), 2), round(float((p[ok] >= t).mean()), 4), round(float((p[~ok] < t).mean()), 4))
                        for t in grid]
    results["tradeoff"] = curves

    pooled_p = np.concatenate([probabilities[("full", "de")], probabilities[("even", "de")]])
    pooled_r = np.concatenate([rights[("full", "de")], rights[("even", "de")]])
    ece, table = expected_calibration_error(pooled_p, pooled_r)
    print(f"\nExpected calibration error (German, both sets, held out): {ece:.4f}")
    print(f"  {'bin':>4} {'n':>5} {'confidence':>10} {'right':>6}")
    for low, n, mean, share in table:
        print(f"  {low:4.1f} {n:5d} {mean:10.3f} {share:6.3f}")
    results["calibration"] = {"ece": round(ece, 4), "table": table}
    for name in ("full", "even"):
        e, _ = expected_calibration_error(probabilities[(name, "de")], rights[(name, "de")])
        results["calibration"][f"ece_{name}"] = round(e, 4)  # type: ignore[index]
        print(f"  {name} set alone: {e:.4f}")

    answered = decisions[("full", "de")] >= threshold
    phrases = phrase_figures(full["de"], full_scores["de"], answered)
    print(f"\nAnswer phrase (German, full set, answered questions): shown {phrases['shown']:.3f}, "
          f"exact match {phrases['exact']:.3f}, token F1 {phrases['f1']:.3f}")
    results["phrase_de"] = {k: round(v, 4) for k, v in phrases.items()}

    kinds: dict[str, list[bool]] = {}
    for a, right in zip(full["de"], rights[("full", "de")] & answered):
        kinds.setdefault(question_type(a.question.text), []).append(bool(right))
    print("\nanswer@1 by question kind (German, full set): " + ", ".join(
        f"{kind} {np.mean(v):.3f} ({len(v)})" for kind, v in sorted(kinds.items(), key=lambda kv: -len(kv[1]))))

    timed = latency(full_index, [q.text for q in questions("de")[:200]])
    print(f"\nWarm p50 on the 48-article index (200 German questions, alternating): search {timed['search']:.1f} ms, "
          f"ask {timed['ask']:.1f} ms ({timed['ask'] - timed['search']:+.1f} ms)")
    results["latency_ms"] = timed

    if args.fit:
        profiles = {}
        for flag in (True, False):
            sentences = fit_sentences([a for a in train if native(a) == flag], args.c)
            confidence_model = fit_confidence([(asked, [sentences.logit(a.matrix) if len(a.matrix) else np.zeros(0)
                                                        for a in asked])
                                               for lang in langs for asked in (full[lang], even[lang])], flag)
            profiles[flag] = Profile(sentences, confidence_model)
        provenance = {
            "command": "python benchmarks/answers.py --fit" + (f" --c {args.c}" if args.c != 1.0 else ""),
            "data": "XQuAD (benchmarks/data/xquad/): the 48 German articles as documents, questions in "
                    f"{', '.join(langs)}; the full set for the sentence model, the full and even-paragraph "
                    "sets for the confidence",
            "model": DEFAULT_MODEL,
            "passages": args.passages,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "held_out": {k: v for k, v in results.items() if k != "tradeoff"},
        }
        model = AnswerModel(profiles[True], profiles[False], threshold, provenance)
        MODEL_FILE.write_text(json.dumps(model.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {MODEL_FILE}")
    results["seconds"] = round(time.perf_counter() - started)
    print(f"\n{results['seconds']} s")
    return results


if __name__ == "__main__":
    sys.exit(main())
