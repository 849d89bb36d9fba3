"""Subprocess entry point: ``python -m benchmarks.worker module:function PARAMS_JSON OUT_JSON``.

Kept free of heavy imports so that the measured process loads only what its system needs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    target, params_json, out_path = argv
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(f"benchmarks.{module_name}"), func_name)
    threads = os.environ.get("TSATTN_BENCH_THREADS")
    if threads and "torch" in sys.modules:
        # Only when the system uses torch: importing it here would inflate numpy-only peaks.
        sys.modules["torch"].set_num_threads(int(threads))
    result = func(**json.loads(params_json))
    Path(out_path).write_text(json.dumps(result, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
