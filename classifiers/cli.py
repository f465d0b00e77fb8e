"""`waspada classify|train|evaluate`: registered on the main CLI by monitor.cli."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the classifier commands to a Typer app."""
