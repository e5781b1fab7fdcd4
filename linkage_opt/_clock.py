"""When this package was first imported (``time.monotonic()``): for ``linkage-opt plan``, about when the
process started, so that its writing margin counts the interpreter's start and the imports too (a time
limit is a wall for the whole command, docs/operations.md, "Time limits")."""

from __future__ import annotations

import time

IMPORTED_AT = time.monotonic()
