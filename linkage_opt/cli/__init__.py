"""The ``linkage-opt`` command (Typer): ``commands`` the app and its plan commands, ``runs`` the
monthly runs, ``sweep`` the sweeps, ``common`` what they share."""

from .commands import app, main

__all__ = ["app", "main"]
