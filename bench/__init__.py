"""FrontCounter's benchmarks: ``python -m bench [--quick] [--json FILE]``.

Every ``bench/bench_*.py`` module offers ``run(quick: bool) -> dict[str, dict]``; each figure is
measured against a floor taken in the same run on the same machine (a bare Qt window, a plain
query…), because shared machines are noisy and only ratios travel between them. The harness
(``bench/__main__.py``) runs each module in a process of its own, merges the figures, prints one
table and writes ``docs/PERFORMANCE.md``. Timing and memory helpers live in ``bench/harness.py``.
"""
