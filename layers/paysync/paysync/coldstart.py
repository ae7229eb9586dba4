"""What a Lambda container's start is spared: the cyclic garbage collector's walks, and pydantic's
plugin lookup.

A cold start creates some 100 000 objects that live as long as the container (modules, classes,
botocore's service models, pydantic's validators) and almost no cyclic garbage: 700 to 1 200
objects, 200 to 300 kB, after the sample events' first invocations. CPython's collector still walks
the live ones over and over while they are created (some 200 collections, one of them full): 60 to
120 ms of every function's cold start, half of ``import boto3`` (``benchmarks/coldstart.py``).

So a handler module imports this module first, which pauses the collector, and decorates its
handler with :func:`resume_after_first_invocation`, which freezes what is alive once the first
invocation is over (``gc.freeze``: those objects are never walked again) and resumes collecting.
A collection before freezing would cost what the pause saves (50 to 80 ms measured), so the few
cycles left by the start stay in memory for the container's life, once.

pydantic looks its plugins up when it builds its first model, in a module (``pydantic.plugin.
_loader``) that imports ``importlib.metadata`` at its top, then reads ``PYDANTIC_DISABLE_PLUGINS``:
zipfile, tempfile, shutil, bz2, lzma, csv and more, some 5 ms of every cold start, for an answer
the template already gives (plugins disabled). So where that variable disables them all, this
module registers in that module's place one whose ``get_plugins`` answers what pydantic's would:
none (``tests/unit/test_coldstart.py`` holds both to that).

Only in a Lambda runtime: tests and the local stack import every handler into one long-lived
process, whose collector and pydantic stay as they are.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Set by Lambda in every runtime (and by benchmarks/coldstart.py, which starts functions the same way).
_IN_LAMBDA = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
_paused = [False]

if _IN_LAMBDA and gc.isenabled():
    gc.disable()
    _paused[0] = True


# pydantic's own spellings of "every plugin disabled" (pydantic/plugin/_loader.py)
PLUGINS_DISABLED = ("__all__", "1", "true")
PLUGIN_LOADER = "pydantic.plugin._loader"

if _IN_LAMBDA and os.environ.get("PYDANTIC_DISABLE_PLUGINS") in PLUGINS_DISABLED:
    _no_plugins = types.ModuleType(PLUGIN_LOADER, "pydantic's plugin loader with every plugin disabled")
    _no_plugins.get_plugins = tuple  # type: ignore[attr-defined]  # (): pydantic's answer then
    sys.modules.setdefault(PLUGIN_LOADER, _no_plugins)


def resume_collector() -> None:
    """Freeze what is alive and collect again (once; nothing to do outside Lambda)."""
    if _paused[0]:
        _paused[0] = False
        gc.freeze()
        gc.enable()


def resume_after_first_invocation(handler: F) -> F:
    """The handler, resuming the collector when its first invocation ends (however it ends)."""

    @functools.wraps(handler)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            resume_collector()

    return invoke  # type: ignore[return-value]
