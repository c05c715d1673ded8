"""Launching the desktop app from the command line (``fieldapp`` with no command)."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from fieldapp.store.location import default_data_dir


def launch_gui(args: argparse.Namespace, parser: argparse.ArgumentParser | None) -> int:
    """Open the desktop app, or explain why it cannot be opened."""
    if importlib.util.find_spec("fieldapp.ui.app") is None:
        print(
            "fieldapp: the desktop app is not part of this build yet; "
            "use the commands below (fieldapp --help)",
            file=sys.stderr,
        )
        if parser is not None:
            parser.print_help()
        return 0
    from fieldapp.ui.app import run_app  # type: ignore[import-not-found,unused-ignore]

    return int(run_app(args.data_dir or default_data_dir()))
