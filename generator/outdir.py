"""Output folders: which folder examgen may write, one writer at a time, and a whole-folder swap.

Every command that writes a folder (build, practice, show --pdf, grade) goes through
`open_output`, which

- refuses any folder examgen did not create, unless it is empty or missing: a user's folder,
  the working folder or one above it, the home folder, `/`, a file, a folder that holds the
  command's own input (the spec, the roster). Nothing is touched when it refuses;
- follows a symlinked `--out`: the link stays, the folder it points to gets the output;
- takes a lock (`flock` on `.NAME.lock` beside the folder) so that a second writer is refused
  while one runs;
- removes what a killed run left beside the folder (`.NAME.partial-PID-*`, `.NAME.old-PID-*`
  of dead processes) and puts back a previous output that a kill left aside;
- turns SIGTERM and SIGHUP into KeyboardInterrupt, so they clean up as Ctrl-C does.

`OutputFolder.stage()` then yields a staging folder beside the target; when the block ends
without error, every file of the old folder that this kind of writer did not write last time
and does not write now (grading results in a build folder, a user's notes) is carried over
(hard links), and the staging folder is exchanged with the old one in one rename
(`renameat2(RENAME_EXCHANGE)` on Linux), so the folder is always either the old or the new one.
What each kind wrote is recorded in `.examgen/owner.json`, which is also the mark that
examgen made the folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ExamgenError

STATE = ".examgen"                 # examgen's own state inside an output folder
OWNER = f"{STATE}/owner.json"      # the mark of an examgen folder and what each kind wrote
LEGACY = f"{STATE}/manifest.json"  # the mark of a build folder written before owner.json
KINDS = ("build", "practice", "grade", "site", "report", "scan")
WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                errno.EBUSY)
FIX = "choose another folder with --out (a new or empty one), or remove it yourself"


def _fail(what: str, where: Path | str, fix: str = FIX) -> ExamgenError:
    return ExamgenError(what, str(where), fix)


# ---------------------------------------------------------------- which folder may be written

def default_output(base: Path, name: str) -> Path:
    """`base/name`, refusing names that would not be a folder of their own (`..yaml` gives `.`)."""
    if name.strip(". ") == "" or "/" in name or "\\" in name or "\0" in name:
        raise ExamgenError(f"the name '{name[:60]}' gives no output folder of its own inside {base}/", None,
                           "rename the spec (letters, digits, '-') or pass --out DIR")
    return base / name


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def resolve_target(out: Path, inputs: Sequence[Path] = ()) -> Path:
    """The real folder `out` names (a symlink followed), or an error for folders never to be replaced."""
    out = Path(out)
    target = Path(os.path.realpath(out))
    if target == target.parent:
        raise _fail("refusing to write the output into the root folder", out)
    cwd = Path(os.path.realpath("."))
    if _is_within(cwd, target):
        what = "the working folder" if cwd == target else "a folder that holds the working folder"
        raise _fail(f"refusing to replace {what} with an output folder", out,
                    "pass --out with a new folder, e.g. --out output/NAME")
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if home != home.parent and _is_within(home, target):
        raise _fail("refusing to replace the home folder (or one above it) with an output folder", out)
    for source in inputs:
        real = Path(os.path.realpath(source))
        if _is_within(real, target):
            raise _fail(f"the output folder holds the input {source}, which writing it would replace", out,
                        "keep the spec and roster outside --out, or pass another --out")
    if os.path.lexists(target) and not target.is_dir():
        raise _fail("is a file, not a folder", out, "pass --out with a folder name, or move the file away")
    return target


def _read_owner(target: Path) -> dict[str, list[str]] | None:
    """What each kind wrote into `target` last time, or None when examgen did not make it."""
    try:
        data = json.loads((target / OWNER).read_text(encoding="utf-8"))
        written = data["written"]
        if isinstance(written, dict) and all(isinstance(v, list) for v in written.values()):
            return {str(k): [str(f) for f in v] for k, v in written.items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        manifest = json.loads((target / LEGACY).read_text(encoding="utf-8"))
        files = [str(f) for f in manifest.get("files", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    state = [str(p.relative_to(target)) for p in (target / STATE).rglob("*") if p.is_file() or p.is_symlink()]
    return {"build": files + state}


def _check_owned(out: Path, target: Path) -> dict[str, list[str]]:
    if not target.exists():
        return {}
    try:
        entries = sorted(os.listdir(target))
    except OSError as error:
        raise _fail(f"cannot read the output folder ({error.strerror})", out) from None
    if not entries:
        return {}
    owner = _read_owner(target)
    if owner is None:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise _fail(f"is a folder examgen did not create and it is not empty ({shown})", out)
    return owner


# ---------------------------------------------------------------- locking and leftovers

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftover_pid(name: str, target_name: str) -> tuple[str, int] | None:
    match = re.fullmatch(rf"\.{re.escape(target_name)}\.(partial|old)-(\d+)-.*", name)
    return (match.group(1), int(match.group(2))) if match else None


def remove_tree(path: Path) -> None:
    """Remove a folder even when its owner made it (or folders in it) read-only."""
    def unlock(function, name, _info) -> None:
        with contextlib.suppress(OSError):
            parent = os.path.dirname(name)
            os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, os.stat(name).st_mode | stat.S_IRWXU)
                shutil.rmtree(name, ignore_errors=True)
            else:
                function(name)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=unlock)


def clean_leftovers(target: Path) -> None:
    """Remove the staging and set-aside folders of dead runs; restore an output a kill left aside."""
    parent = target.parent
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return
    for name in names:
        found = _leftover_pid(name, target.name)
        if found is None or _alive(found[1]):
            continue
        kind, _ = found
        path = parent / name
        if kind == "old" and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(path, target)
                continue
        remove_tree(path)


class _Lock:
    """An exclusive flock on `.NAME.lock` beside the target, refused (not waited for) when taken."""

    def __init__(self, out: Path, target: Path) -> None:
        self.path = target.parent / f".{target.name}.lock"
        self.fd: int | None = None
        self.out = out

    def acquire(self) -> None:
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                raise _fail(f"cannot write beside the output folder ({error.strerror})", self.out,
                            "choose another folder with --out or fix its permissions") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                who = f" (process {holder})" if holder.isdigit() else ""
                raise _fail(f"another examgen is writing this folder now{who}", self.out,
                            "wait until it has finished, or pass another --out") from None
            # The file may have been removed by the previous holder between open and flock.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                with contextlib.suppress(OSError):   # the pid is for the message only (a full disk)
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                self.fd = fd
                return
            os.close(fd)
        raise _fail("could not lock the output folder", self.out, "try again")

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)   # while still held: a waiting opener then retries on a new file
            os.close(self.fd)
            self.fd = None


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run as Ctrl-C does (cleanup runs), in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, _frame) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


# ---------------------------------------------------------------- the swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _files(folder: Path) -> set[str]:
    out = set()
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.add(os.path.relpath(os.path.join(root, name), folder))
    return out


def _carry(old: Path, new: Path, keep: set[str]) -> None:
    """Hard-link (or copy) the files `keep` of `old` into `new`: both folders stay whole."""
    for relative in sorted(keep):
        source, dest = old / relative, new / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), dest)
            continue
        try:
            os.link(source, dest)
        except OSError:
            shutil.copy2(source, dest)


@dataclass
class OutputFolder:
    """A checked, locked output folder: `out` as the user named it, `target` the real folder."""

    out: Path
    target: Path
    kind: str
    owner: dict[str, list[str]] = field(default_factory=dict)

    @contextmanager
    def stage(self) -> Iterator[Path]:
        """A fresh staging folder; swapped in whole when the block ends without error."""
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.partial-{os.getpid()}-",
                                            dir=self.target.parent))
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output is an ordinary folder
        except OSError as error:
            raise _fail(f"cannot write the output folder ({error.strerror})", self.out,
                        "choose another folder with --out or fix its permissions") from None
        try:
            try:
                yield staging
                self._commit(staging)
            except OSError as error:
                if error.errno not in WRITE_ERRORS:
                    raise
                raise _fail(f"cannot write the output folder ({error.strerror}); the previous output is "
                            "unchanged", self.out, "free some space or choose another folder with --out") from None
        except BaseException:
            remove_tree(staging)
            raise

    def _commit(self, staging: Path) -> None:
        written = sorted(_files(staging) - {OWNER})
        owner = {k: v for k, v in self.owner.items() if k != self.kind}
        owner[self.kind] = written
        old = self.target
        if old.is_dir():
            # Every file this kind did not write, then or now, is carried over (another kind's
            # output, a user's notes); what this kind wrote last time and not now is gone.
            keep = _files(old) - set(written) - set(self.owner.get(self.kind, ())) - {OWNER}
            _carry(old, staging, keep)
            for kind, files in list(owner.items()):
                if kind != self.kind:
                    owner[kind] = [f for f in files if f in keep]
        (staging / STATE).mkdir(exist_ok=True)
        (staging / OWNER).write_text(json.dumps({"written": owner}, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if os.path.lexists(self.target):
            if _exchange(staging, self.target):
                remove_tree(staging)       # now the old folder
                return
            aside = self.target.parent / f".{self.target.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
            os.rename(self.target, aside)  # a SIGKILL here is undone by the next run's clean_leftovers
            try:
                os.rename(staging, self.target)
            except BaseException:
                os.rename(aside, self.target)
                raise
            remove_tree(aside)
        else:
            os.rename(staging, self.target)


@contextmanager
def open_output(out: Path, kind: str, inputs: Sequence[Path] = ()) -> Iterator[OutputFolder]:
    """Check, lock and tidy the output folder `out` for a writer of `kind` (build, practice, grade).

    `inputs` are files the command reads that must not lie inside the folder it replaces.
    Raises ExamgenError (one line, nothing touched) for a folder examgen may not write.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    out = Path(out)
    target = resolve_target(out, inputs)
    lock = _Lock(out, target)
    with signals_interrupt():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _fail(f"cannot write the output folder ({error.strerror})", out,
                        "choose another folder with --out or fix its permissions") from None
        lock.acquire()
        try:
            clean_leftovers(target)
            owner = _check_owned(out, target)
            yield OutputFolder(out, target, kind, owner)
        finally:
            lock.release()


@contextmanager
def write_output(out: Path, kind: str, inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """`open_output` and `stage` in one: a staging folder for `out`, swapped in when complete."""
    with open_output(out, kind, inputs) as folder, folder.stage() as staging:
        yield staging


def _find_prctl():
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl


# Looked up once, in the parent: a forked child (preexec_fn) must not call the dynamic loader.
_PRCTL = _find_prctl()
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send `signum` to this process when its parent ends (a child's preexec_fn or a
    pool's initializer): no pdflatex or worker outlives a killed examgen."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def worker_init(parent: int) -> None:
    """Initializer of worker processes: end with the parent, also when it died before this ran."""
    die_with_parent()
    if os.getppid() != parent:
        os._exit(1)
