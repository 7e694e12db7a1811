"""A stand-in benchmark module for the harness's own tests; ``FAKE_BENCH_MODE`` picks its behaviour."""

from __future__ import annotations

import os
import time
from typing import Any


def run(quick: bool) -> Any:
    mode = os.environ.get("FAKE_BENCH_MODE", "ok")
    if mode == "raise":
        raise RuntimeError("the fake benchmark broke")
    if mode == "hang":
        time.sleep(120)
    if mode == "exit":
        os._exit(7)  # a crash that leaves no result behind (as a segfault in Qt would)
    if mode == "malformed":
        return {"figure without a value": {"unit": "ms"}}
    return {"fake figure": {"value": 12.0, "unit": "ms", "floor": 10.0, "ratio": 1.2,
                            "target": "<= 15 ms", "quick": quick}}
