"""The production server's settings (config/server.py, issue 16): once Django is loaded in the master, its objects
leave the collector's generations before the workers are forked."""

from __future__ import annotations

import gc
import importlib


def test_the_master_freezes_what_loading_made_before_the_fork() -> None:
    server = importlib.import_module("config.server")
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        server.when_ready(object())
        assert gc.get_freeze_count() > 0  # what the master holds now: out of the workers' collections
    finally:
        gc.unfreeze()
