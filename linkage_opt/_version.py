"""The package version, in a module of its own so that modules of the package can read it without importing
the package itself (``linkage_opt/__init__`` imports them: a cycle)."""

__version__ = "0.1.0"
