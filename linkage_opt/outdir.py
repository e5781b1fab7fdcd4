"""Output folders: only folders, written atomically, one writer at a time (``docs/operations.md``,
"Outputs and atomicity").

A replaceable plan folder ``DIR`` (``Plan.write(DIR)``, ``linkage-opt plan --out DIR``) is a symbolic
link to a hidden sibling that holds the files::

    plans/
      zhugen -> .zhugen.v-20261125T020001123456Z-3fa9c1     the plan readers see (a relative link)
      .zhugen.v-20261125T020001123456Z-3fa9c1/             its files, complete
      .lock                                                the lock of every writer into plans/

:func:`write_folder` writes a new plan in these steps:

1. ``DIR`` is inspected without opening it: anything that exists and is not a folder (a regular file,
   a FIFO, a device node, a socket) is refused with :class:`OutputPathError` before anything is touched;
2. the parent's lock ``.lock`` is taken (an OS ``flock`` through :mod:`filelock`, released by the kernel
   however the holder dies; a writer waits up to :data:`LOCK_TIMEOUT` seconds);
3. what killed writers left is removed: ``.DIR.tmp-*``, ``.DIR.old-*`` and every ``.DIR.v-*`` but the
   current one, when older than the moment the lock was taken (a ``.DIR.old-*`` folder is first put
   back as ``DIR`` when ``DIR`` is missing: a writer was killed in the fallback window of step 6);
4. every file is written into ``.DIR.tmp-XXXX`` and fsynced, then that folder is renamed to
   ``.DIR.v-<UTC time>-<random>``;
5. a symbolic link ``.DIR.tmp-link-XXXX -> .DIR.v-...`` is renamed over ``DIR``: ``rename(2)``
   replaces the old link atomically, so a reader sees the old plan or the new one, never neither;
6. a ``DIR`` that is a real folder (written by older versions, or where links are not supported) is
   exchanged with the link by ``renameat2(RENAME_EXCHANGE)`` (Linux >= 3.15, through ctypes), also
   atomic. Where that call is missing or the file system refuses it, ``DIR`` is renamed to
   ``.DIR.old-XXXX`` and the link renamed into place: for that moment ``DIR`` is missing; this happens
   at most once per folder (afterwards ``DIR`` is a link);
7. the previous version is removed, and the parent folder fsynced.

A folder that must be new (``replace=False``: the monthly run's revision folders, ``runs restore``)
is written the same way up to step 4 and then renamed from ``.DIR.tmp-XXXX`` to ``DIR`` itself (a
real folder, never replaced). Where the file system cannot hold symbolic links, replaceable folders
are real folders too (steps 6 and 7).

Readers resolve the link once and read every file of one version (:func:`read_through`); when a
writer removed that version meanwhile, they read again from the new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from .errors import OutputError, OutputPathError
from .i18n import Msg

LOCK_NAME = ".lock"  # the same file the monthly run locks its period folder with
LOCK_TIMEOUT = 600.0  # seconds a writer waits for another writer of the same parent folder
MAX_LINK_HOPS = 16

# Tests only: called as STEP_HOOK(step, path) at "lock" (about to wait for the lock), "locked",
# "written", "versioned", "aside" and "swapped", so that a test can stop a writer at an exact point
# (and kill it there). Never set in production code.
STEP_HOOK: Callable[[str, Path], None] | None = None
# Tests only: False makes the writer behave as where renameat2(RENAME_EXCHANGE) is not available.
USE_RENAMEAT2 = True

T = TypeVar("T")


def _step(name: str, path: Path) -> None:
    if STEP_HOOK is not None:
        STEP_HOOK(name, path)


# ---------------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------------


def quote(path) -> str:
    return repr(str(path))


KINDS = (
    (stat.S_ISREG, Msg("a regular file")),
    (stat.S_ISFIFO, Msg("a named pipe (FIFO)")),
    (stat.S_ISCHR, Msg("a character device")),
    (stat.S_ISBLK, Msg("a block device")),
    (stat.S_ISSOCK, Msg("a socket")),
)


def kind_of(mode: int) -> str:
    for test, name in KINDS:
        if test(mode):
            return name
    return Msg("a special file")


REASONS = {
    errno.ENOSPC: Msg("the disk is full"),
    errno.EDQUOT: Msg("the disk quota is exceeded"),
    errno.EROFS: Msg("the file system is read-only"),
    errno.EACCES: Msg("permission denied"),
    errno.EPERM: Msg("permission denied"),
    errno.EIO: Msg("an input/output error"),
}
# errors that say the path itself cannot be used (a bad option: exit 2)
PATH_ERRNOS = {errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EEXIST, errno.EISDIR}


def describe_os_error(exc: OSError) -> str:
    """``the disk is full (No space left on device)``: what happened, in words, then the system's text."""
    detail = exc.strerror or str(exc) or type(exc).__name__
    reason = REASONS.get(exc.errno)
    return Msg("{reason} ({detail})", reason=reason, detail=detail) if reason else detail


def os_failure(path, exc: OSError, *, earlier: bool, subject: str = Msg("the plan")) -> OutputError:
    """The :class:`OutputError` for an OS error while writing ``path`` (nothing having been changed)."""
    q = quote(path)
    if exc.errno in PATH_ERRNOS:
        return OutputPathError(
            Msg(
                "{q} cannot be written ({error}); nothing was changed; give the path of a folder whose parents are folders",
                q=q,
                error=exc.strerror or exc,
            )
        )
    tail = Msg("{q} still holds the earlier plan", q=q) if earlier else Msg("{q} was not created", q=q)
    if subject != "the plan":
        tail = Msg("{q} is as it was", q=q) if earlier else Msg("{q} was not created", q=q)
    return OutputError(
        Msg(
            "cannot write {subject} {q}; {describe_os_error}; no plan was changed; {tail}",
            subject=subject,
            q=q,
            describe_os_error=describe_os_error(exc),
            tail=tail,
        )
    )


# ---------------------------------------------------------------------------------------------------
# What is at a path
# ---------------------------------------------------------------------------------------------------


def version_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.v-[^/\\]+")


def _is_our_link(path: Path) -> bool:
    try:
        target = os.readlink(path)
    except OSError:
        return False
    return bool(version_pattern(path.name).fullmatch(target))


def _absolute(path) -> Path:
    return Path(os.path.abspath(os.fspath(path)))


def inspect_folder(path, what: str = "") -> tuple[Path, str]:
    """Where a folder output at ``path`` goes, and what is there, without opening anything.

    Returns ``(target, state)``: ``state`` is ``"absent"``, ``"ours"`` (a link this module made) or
    ``"dir"`` (a real folder). A symbolic link made by someone else is followed (to its folder).
    Raises :class:`OutputPathError` when ``path`` exists and is not a folder (nothing is touched).
    """
    shown = path
    target = _absolute(path)
    if not target.name:
        raise OutputPathError(
            Msg(
                "{what}{path} cannot be a plan folder; nothing was changed; give the path of a folder",
                what=what,
                path=quote(shown),
            )
        )
    for _ in range(MAX_LINK_HOPS):
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            return target, "absent"
        except OSError as exc:
            raise os_failure(shown, exc, earlier=False) from None
        if stat.S_ISDIR(st.st_mode):
            return target, "dir"
        if not stat.S_ISLNK(st.st_mode):
            hint = Msg("it is created if missing") if what else Msg("new, or a plan folder to replace")
            raise OutputPathError(
                Msg(
                    "{what}{path} exists and is {kind_of}, not a folder; nothing was changed; give the path of a folder ({hint})",
                    what=what,
                    path=quote(shown),
                    kind_of=kind_of(st.st_mode),
                    hint=hint,
                )
            )
        if _is_our_link(target):
            return target, "ours"
        link = os.readlink(target)  # someone else's link: follow it, one hop at a time
        nxt = Path(os.path.normpath(os.path.join(os.path.realpath(target.parent), link)))
        if not os.path.lexists(nxt):
            raise OutputPathError(
                Msg(
                    "{what}{path} is a symbolic link to {path2}, which does not exist; nothing was changed; give the path of a folder",
                    what=what,
                    path=quote(shown),
                    path2=quote(link),
                )
            )
        target = nxt
    raise OutputPathError(
        Msg("{what}{path} is a loop of symbolic links; nothing was changed", what=what, path=quote(shown))
    )


def check_output_folder(path, what: str = "") -> None:
    """Refuse (:class:`OutputPathError`) a folder option that exists and is not a folder."""
    inspect_folder(path, what)


def check_output_file(path) -> None:
    """Refuse (:class:`OutputPathError`) a file output where a folder, FIFO, device or socket is."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_failure(path, exc, earlier=False, subject=Msg("the file")) from None
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):  # a link itself is replaced, never opened
        return
    kind = "a folder" if stat.S_ISDIR(st.st_mode) else kind_of(st.st_mode)
    raise OutputPathError(
        Msg(
            "{path} exists and is {kind}, not a regular file; nothing was changed; give the path of a file",
            path=quote(path),
            kind=kind,
        )
    )


# ---------------------------------------------------------------------------------------------------
# The writers' lock
# ---------------------------------------------------------------------------------------------------

_LOCKS: dict[str, object] = {}
_LOCKS_GUARD = threading.Lock()


def folder_lock(folder) -> object:
    """This process's one :class:`filelock.FileLock` for ``folder/.lock``.

    One object per lock file, so that a thread already holding it (the monthly run holds its period
    folder's lock for the whole run) takes it again without waiting for itself; other threads and
    processes wait for it.
    """
    from filelock import FileLock

    key = os.path.join(os.path.realpath(folder), LOCK_NAME)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = FileLock(key)
        return lock


@contextlib.contextmanager
def writer_lock(folder: Path, shown, timeout: float | None = None) -> Iterator[float]:
    """Hold ``folder/.lock``; yields the wall-clock time it was taken (for the leftovers' age)."""
    from filelock import Timeout

    timeout = LOCK_TIMEOUT if timeout is None else timeout
    try:
        lock = folder_lock(folder)
        lock.acquire(timeout=timeout)
    except Timeout:
        raise OutputError(
            Msg(
                "cannot write the plan {path}; another process has held the lock {path2} for {timeout:g} s; no plan was changed; try again later",
                path=quote(shown),
                path2=quote(Path(folder) / LOCK_NAME),
                timeout=timeout,
            )
        ) from None
    except OSError as exc:
        raise os_failure(shown, exc, earlier=os.path.lexists(shown)) from None
    try:
        yield time.time()
    finally:
        lock.release()


# ---------------------------------------------------------------------------------------------------
# renameat2
# ---------------------------------------------------------------------------------------------------

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}
_renameat2_fn = None


def _renameat2():
    global _renameat2_fn
    if not USE_RENAMEAT2:
        return None
    if _renameat2_fn is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _renameat2_fn = fn
        except (AttributeError, OSError, TypeError):  # not glibc >= 2.28 / not Linux
            _renameat2_fn = False
    return _renameat2_fn or None


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """renameat2(src, dst, flags): True if done, False if the platform or file system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(dst))


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing names atomically (``RENAME_EXCHANGE``); False where that is not available."""
    return _rename2(a, b, RENAME_EXCHANGE)


def rename_new(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, which must not exist (``RENAME_NOREPLACE`` where available)."""
    if _rename2(src, dst, RENAME_NOREPLACE):
        return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


# ---------------------------------------------------------------------------------------------------
# Small helpers shared by every writer
# ---------------------------------------------------------------------------------------------------


def usual_permissions(path: Path, mode: int) -> None:
    """``mode`` less the umask (``mkdtemp``/``mkstemp`` make 0700/0600: plans are for colleagues to read)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def _stamp() -> str:
    t = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t)) + f"{int(t % 1 * 1e6):06d}Z-{secrets.token_hex(3)}"


def leftovers(target: Path) -> list[Path]:
    """The hidden siblings of ``target`` a writer makes: ``.NAME.tmp-*``, ``.NAME.old-*``, ``.NAME.v-*``."""
    pat = re.compile(rf"\.{re.escape(target.name)}\.(tmp-|old-|v-)")
    try:
        return sorted(p for p in target.parent.iterdir() if pat.match(p.name))
    except OSError:
        return []


def _recover_and_clean(target: Path, since: float) -> list[str]:
    """Under the lock: put back a folder a killed writer left aside, then remove stale leftovers."""
    removed = []
    name = target.name
    if not os.path.lexists(target):
        olds = [
            p for p in leftovers(target) if p.name.startswith(f".{name}.old-") and p.is_dir() and not p.is_symlink()
        ]
        if olds:
            newest = max(olds, key=lambda p: p.lstat().st_mtime)
            os.rename(newest, target)  # the earlier plan, moved aside by a writer killed then
    current = os.readlink(target) if _is_our_link(target) else None
    for p in leftovers(target):
        if p.name == current:
            continue
        try:
            if p.lstat().st_mtime >= since:  # made after the lock was taken: not a leftover
                continue
        except OSError:
            continue
        _remove(p)
        removed.append(p.name)
    return removed


# ---------------------------------------------------------------------------------------------------
# Writing a folder
# ---------------------------------------------------------------------------------------------------


def write_folder(
    path, fill: Callable[[Path], None], *, replace: bool = True, lock_timeout: float | None = None
) -> Path:
    """Write a folder at ``path`` with ``fill(tmp_folder)``; see the module doc for the steps.

    ``replace``: an existing folder (a plan, or with the caller's consent anything else) is replaced
    atomically; without it ``path`` must not exist. Returns ``path`` as given.

    Raises :class:`OutputPathError` (exit 2) when ``path`` exists and is not a folder, a part of it is a
    file, or (``replace=False``) it exists; :class:`OutputError` (exit 4) when the disk is full, the file
    system read-only, permission is denied or the lock is not free in time. In every such case nothing
    was changed. Whatever ``fill`` raises is raised after its temporary folder is removed.
    """
    shown = Path(path)
    target, state = inspect_folder(shown)
    if state != "absent" and not replace:
        raise _exists(shown)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_failure(shown, exc, earlier=False) from None
    _step("lock", parent)
    with writer_lock(parent, shown, lock_timeout) as since:
        target, state = inspect_folder(shown)  # again: it may have changed while we waited
        if state != "absent" and not replace:
            raise _exists(shown)
        _step("locked", target)
        try:
            _recover_and_clean(target, since)
        except OSError as exc:
            raise os_failure(shown, exc, earlier=state != "absent") from None
        target, state = inspect_folder(shown)
        if state != "absent" and not replace:  # an earlier plan was put back
            raise _exists(shown)
        _write_locked(shown, target, state, fill, replace)
    return shown


def _exists(shown: Path) -> OutputPathError:
    return OutputPathError(
        Msg(
            "{path} exists; nothing was changed; a new folder is written only where nothing exists yet",
            path=quote(shown),
        )
    )


def _write_locked(shown: Path, target: Path, state: str, fill, replace: bool) -> None:
    parent, name = target.parent, target.name
    made: list[Path] = []  # what to remove if we fail before the swap
    swapped = False
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
        made.append(tmp)
        usual_permissions(tmp, 0o777)
        fill(tmp)
        fsync_dir(tmp)
        _step("written", tmp)
        if not replace:
            rename_new(tmp, target)
            swapped = True
            fsync_dir(parent)
            return
        version = parent / f".{name}.v-{_stamp()}"
        os.rename(tmp, version)
        made[-1] = version
        fsync_dir(parent)
        _step("versioned", version)
        old = _swap(target, state, version, made)
        swapped = True
        fsync_dir(parent)
        _step("swapped", target)
        for p in old:
            _remove(p)
    except OSError as exc:
        if swapped:  # the new plan is in place; only tidying failed
            return
        for p in reversed(made):
            _remove(p)
        raise os_failure(shown, exc, earlier=state != "absent") from None
    except BaseException:
        if not swapped:
            for p in reversed(made):
                _remove(p)
        raise


def _swap(target: Path, state: str, version: Path, made: list[Path]) -> list[Path]:
    """Make ``target`` show ``version``; returns what to remove afterwards (the previous version)."""
    parent, name = target.parent, target.name
    previous = [parent / os.readlink(target)] if state == "ours" else []
    link = parent / f".{name}.tmp-link-{secrets.token_hex(4)}"
    try:
        os.symlink(version.name, link)
    except OSError:  # no symbolic links here: real folders
        return _swap_folder(target, state, version) + previous
    made.append(link)
    if state in ("absent", "ours"):
        try:
            os.replace(link, target)  # atomic: the old link or the new one, never neither
            return previous
        except IsADirectoryError:  # a real folder appeared there meanwhile
            pass
    if exchange(link, target):  # the real folder and the link swap names, atomically
        made.remove(link)
        return [link]  # now the earlier plan's folder, under the link's name
    return _aside_then_rename(target, link, made)


def _swap_folder(target: Path, state: str, version: Path) -> list[Path]:
    """Where symbolic links cannot be made: ``target`` becomes the real folder ``version``."""
    if state == "absent":
        rename_new(version, target)
        return []
    if exchange(version, target):
        return [version]  # the earlier folder (or link), under the version's name
    return _aside_then_rename(target, version, [])


def _aside_then_rename(target: Path, new: Path, made: list[Path]) -> list[Path]:
    """The fallback without an exchange: ``target`` is renamed aside, then ``new`` renamed into place.
    Between the two renames ``target`` is missing; a writer killed there leaves the earlier plan in
    ``.NAME.old-*``, which the next writer puts back first."""
    aside = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
    os.rename(target, aside)
    try:
        _step("aside", aside)
        os.replace(new, target)
    except BaseException:
        if not os.path.lexists(target):
            os.rename(aside, target)
        raise
    if new in made:
        made.remove(new)
    return [aside]


# ---------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------


def current_version(path) -> Path:
    """The folder ``path`` shows now (through its link): read every file of one plan from here."""
    return Path(os.path.realpath(path))


def read_through(path, read: Callable[[Path], T], attempts: int = 5) -> T:
    """``read(folder)`` on the version ``path`` shows; again if a writer replaced it during the read."""
    for i in range(attempts):
        version = current_version(path)
        try:
            return read(version)
        except (FileNotFoundError, NotADirectoryError):
            if i == attempts - 1 or current_version(path) == version:
                raise
    raise AssertionError("unreachable")
