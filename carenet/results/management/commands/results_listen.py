"""``manage.py results_listen``: the MLLP listener that receives laboratories' HL7 v2.5 ``ORU^R01`` results (CLN-3).

Listens on ``CARENET_MLLP_HOST:CARENET_MLLP_PORT`` (127.0.0.1:2575) unless ``--host``/``--port`` say otherwise;
answers every message with an ACK (see :mod:`carenet.results.mllp`). Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from carenet.results import mllp


class Command(BaseCommand):
    help = "Receive laboratories' HL7 v2.5 ORU^R01 results over MLLP and acknowledge each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.CARENET_MLLP_HOST, help="Address to listen on.")
        parser.add_argument("--port", type=int, default=settings.CARENET_MLLP_PORT, help="Port to listen on.")

    def handle(self, *args: Any, host: str, port: int, verbosity: int, **options: Any) -> None:
        def ready(bound_host: str, bound_port: int) -> None:
            if verbosity >= 1:
                self.stdout.write(f"results_listen: MLLP listener on {bound_host}:{bound_port}", ending="\n")
                self.stdout.flush()

        async def main() -> None:
            task = asyncio.ensure_future(mllp.serve_forever(host, port, ready=ready))
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task

        asyncio.run(main())
        if verbosity >= 1:
            self.stdout.write("results_listen: stopped")
