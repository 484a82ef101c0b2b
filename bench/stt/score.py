#!/usr/bin/env python3
"""Scores bench/stt's runs: for each search limit, word error rate and sentences right (clean
16 kHz speech, G.711 calls and noisy narrowband calls apart), and decoding CPU per second of audio with its
ratio against the first run given (the reference).

  score.py reference.tsv limit_30000.json limit_3000.json ...
"""
import json
import os
import sys


def words(text):
    return text.lower().replace("'", "").split()


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def score(reference, results):
    by_kind = {}
    for r in results:
        name = os.path.splitext(os.path.basename(r["file"]))[0]
        kind = name.split("_", 1)[0]  # clean | g711 | noisy
        want = words(reference[name])
        errors = edit_distance(want, words(r["text"]))
        k = by_kind.setdefault(kind, {"errors": 0, "words": 0, "right": 0, "files": 0, "cpu": 0.0, "audio": 0.0})
        k["errors"] += errors
        k["words"] += len(want)
        k["right"] += errors == 0
        k["files"] += 1
        k["cpu"] += r["decode_cpu_seconds"]
        k["audio"] += r["seconds"]
    return by_kind


def main():
    reference = dict(line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]))
    runs = [(json.load(open(p))) for p in sys.argv[2:]]
    print("| max_hmms_per_frame | speech | WER | sentences right | CPU per audio second | CPU vs reference |")
    print("|---|---|---|---|---|---|")
    base = None
    for results in runs:
        limit = results[0]["max_hmms_per_frame"]
        for kind, k in sorted(score(reference, results).items()):
            cpu = k["cpu"] / k["audio"]
            if base is None:
                base = {}
            base.setdefault(kind, cpu)
            print(f"| {limit} | {kind} | {100 * k['errors'] / k['words']:.1f} % | {k['right']}/{k['files']} "
                  f"| {1000 * cpu:.0f} ms | {cpu / base[kind]:.2f} |")


if __name__ == "__main__":
    main()
