"""Appending whole lines to the decision log file: batches, rotation, failures.

:class:`LogWriter` appends lines to the file: one ``write`` per batch of whole lines,
under an exclusive ``flock`` (several worker processes share one file), flushed by a
background thread within ``flush_interval`` seconds, ``fdatasync``-ed after each batch
and at close. A partial last line (left by a crash in the middle of a write) is moved
to ``PATH.partial`` and cut off before anything is appended, so the file only ever
grows by whole lines.

- **Rotation.** Before each batch the writer compares the device and inode of ``PATH``
  with those of the open file (one ``stat``); when the path names another file or none
  (``mv log log.1``, ``gzip log.1``, logrotate without ``copytruncate``), it opens
  ``PATH`` afresh. :meth:`LogWriter.reopen` does the same at once, whatever the path
  names (for SIGHUP).
- **Failures.** A batch that cannot be written (a full disk, a file that cannot be
  reopened) stays buffered and is retried after a back-off that doubles from
  ``retry_delay`` up to ``max_retry_delay`` seconds. The first failure is logged at
  once, then one warning every ``report_every`` seconds with the counts (entries
  pending, dropped, attempts), and one line when writing works again. At most
  ``max_pending`` bytes of entries are held; entries that would pass it are dropped
  and counted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Iterator, Sequence

logger = logging.getLogger("policy.decision_log")

_datasync = getattr(os, "fdatasync", os.fsync)     # macOS has fsync only


class LogWriter:
    """Appends whole lines to a decision log file; see the module docstring.

    ``flush_interval``, ``retry_delay``, ``max_retry_delay`` and ``report_every`` are
    seconds; ``max_batch`` is the number of buffered lines that starts a flush early;
    ``max_pending`` is bytes of lines held while writes fail.
    """

    def __init__(self, path: str | os.PathLike[str], *, flush_interval: float = 0.2,
                 max_batch: int = 2000, max_pending: int = 64 * 1024 * 1024,
                 retry_delay: float = 0.5, max_retry_delay: float = 30.0,
                 report_every: float = 60.0) -> None:
        self.path = os.fspath(path)
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.report_every = report_every
        self._fd: int | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0                  # bytes in _buffer
        self._cond = threading.Condition()
        self._io = threading.RLock()        # reentrant: reopen() from a signal handler
        self._depth = 0                     # writes in progress on the thread holding _io
        self._reopen_wanted = False
        self._closing = False
        self._closed = False
        self._thread: threading.Thread | None = None
        # failure bookkeeping (under _cond)
        self._failures = 0                  # consecutive failed attempts
        self._failing_since = 0.0
        self._retry_at: float | None = None
        self._next_report = 0.0
        self._dropped = 0                   # entries dropped since the last report
        self.written = 0                    # entries written
        self.dropped = 0                    # entries dropped in all
        self.lost = 0                       # entries still unwritten at close

    # ---- lifecycle ---------------------------------------------------------------
    def open(self, *, retry: bool = False) -> "LogWriter":
        """Open (create) the file, set aside a partial last line, start the flushing thread.

        With ``flush_interval`` 0 there is no thread: every submit is written at once.
        Raises ``OSError`` (its ``strerror`` says what failed, ``filename`` which file)
        when the file cannot be opened or its partial line not set aside; with
        ``retry=True`` that is logged instead and retried like a failed write.
        """
        try:
            with self._io:
                self._fd = self._open_file()
                self._reopen_wanted = False
        except OSError as e:
            if not retry:
                raise
            self._failed([], e)
        if self.flush_interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Write what is buffered (back-off or not), fsync and close. Safe to call twice.

        Entries that still cannot be written are lost, and logged as such.
        """
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()
        with self._cond:
            lost, self._buffer, self._buffered = len(self._buffer), [], 0
            self.lost += lost
        if lost:
            logger.error("decision log %s: %d entries could not be written and are lost",
                         self.path, lost)
        with self._io:
            self._closed = True
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "LogWriter":
        return self.open() if self._fd is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reopen(self) -> None:
        """Open ``PATH`` afresh and write on to it (after the file was rotated).

        Thread-safe, and safe in a signal handler: buffered entries stay buffered and go
        to the new file. When it interrupts a write of its own thread, or the new file
        cannot be opened, the next batch reopens (and a failure is logged and retried).
        """
        self._reopen_wanted = True
        with self._io:
            if self._depth or self._fd is None or self._closed:
                return
            try:
                self._swap("on request")
            except OSError as e:
                logger.error("decision log %s: cannot reopen it: %s; writing on to the file "
                             "open now and trying again at the next batch", self.path,
                             e.strerror or e)

    # ---- writing -----------------------------------------------------------------
    def submit(self, lines: Sequence[bytes]) -> None:
        """Queue whole lines (each ending in a newline) for the next flush.

        Lines that would take the buffer past ``max_pending`` bytes are dropped and
        counted (only while writes fail does the buffer grow that far).
        """
        with self._cond:
            for line in lines:
                if self._buffered + len(line) > self.max_pending:
                    self._dropped += 1
                    self.dropped += 1
                    continue
                self._buffer.append(line)
                self._buffered += len(line)
            if len(self._buffer) >= self.max_batch and self._retry_at is None:
                self._cond.notify()
            due = self._thread is None and (self._retry_at is None or
                                            time.monotonic() >= self._retry_at)
        if due:   # no background flushing: write now
            self.flush()

    def flush(self) -> None:
        """Write everything buffered now, on the caller's thread (even while backing off)."""
        with self._cond:
            batch, self._buffer, self._buffered = self._buffer, [], 0
        if batch:
            self._write(batch)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._wait()
                if self._closing:
                    return          # close() writes the rest
            self.flush()

    def _wait(self) -> None:
        """Wait (holding ``_cond``) for a flush: the interval, a full batch, the back-off."""
        deadline = time.monotonic() + self.flush_interval
        while not self._closing:
            now = time.monotonic()
            if self._retry_at is not None:      # failing: wait out the back-off, however full
                if now >= self._retry_at:
                    return
                self._cond.wait(self._retry_at - now)
            elif len(self._buffer) >= self.max_batch or now >= deadline:
                return
            else:
                self._cond.wait(deadline - now)

    def _write(self, batch: list[bytes]) -> None:
        data = b"".join(batch)
        with self._io:
            if self._closed:
                logger.error("decision log %s is closed; %d entries not written", self.path,
                             len(batch))
                return
            self._depth += 1
            try:
                self._current()
                fd = self._fd
                assert fd is not None
                with _exclusive(fd):
                    size = self._repair()
                    try:
                        view = memoryview(data)
                        while view:
                            view = view[os.write(fd, view):]
                    except OSError:
                        with contextlib.suppress(OSError):   # a device cannot be truncated
                            os.ftruncate(fd, size)   # never leave part of a batch behind
                        raise
                _datasync(fd)
            except OSError as e:
                error: OSError | None = e
            else:
                error = None
            finally:
                self._depth -= 1
        if error is not None:     # bookkeeping outside _io (see reopen)
            self._failed(batch, error)
        else:
            self._succeeded(len(batch))

    # ---- the file ----------------------------------------------------------------
    def _open_file(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            with _exclusive(fd):
                self._repair(fd)
        except OSError:
            os.close(fd)
            raise
        return fd

    def _current(self) -> None:
        """Make ``_fd`` the file ``PATH`` names now (holding ``_io``)."""
        if self._fd is None:
            self._fd = self._open_file()
            self._reopen_wanted = False
        elif self._reopen_wanted:
            self._swap("on request")
        elif self._moved(self._fd):
            self._swap("the file was moved or removed")

    def _moved(self, fd: int) -> bool:
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return True
        except OSError:       # cannot tell (a folder we may not search): keep the file
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino)

    def _swap(self, why: str) -> None:
        new = self._open_file()
        old, self._fd = self._fd, new
        self._reopen_wanted = False
        if old is not None:
            with contextlib.suppress(OSError):
                os.fsync(old)
            os.close(old)
        logger.info("decision log %s reopened (%s)", self.path, why)

    def _repair(self, fd: int | None = None) -> int:
        """Cut off a partial last line (kept in ``PATH.partial``); return the file size."""
        fd = self._fd if fd is None else fd
        assert fd is not None
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return size
        keep, pos = 0, size
        while pos > 0:
            start = max(0, pos - 65536)
            cut = os.pread(fd, pos - start, start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            pos = start
        tail = os.pread(fd, size - keep, keep)
        aside_path = self.path + ".partial"
        try:
            with open(aside_path, "ab") as aside:
                aside.write(tail + b"\n")
        except OSError as e:
            raise OSError(e.errno, f"it ends in a partial line (left by a crash) that cannot be "
                          f"set aside in {aside_path}: {e.strerror}", aside_path) from None
        os.ftruncate(fd, keep)
        logger.warning("decision log %s ended in a partial line of %d bytes (left by a crash); "
                       "moved it to %s", self.path, size - keep, aside_path)
        return keep

    # ---- failures ----------------------------------------------------------------
    def _failed(self, batch: list[bytes], error: OSError) -> None:
        """Keep ``batch`` for the next attempt, back off, and report now and then."""
        now = time.monotonic()
        with self._cond:
            self._buffer[:0] = batch
            self._buffered += sum(map(len, batch))
            self._failures += 1
            first = self._failures == 1
            if first:
                self._failing_since = now
            delay = min(self.max_retry_delay, self.retry_delay * 2 ** min(self._failures - 1, 30))
            self._retry_at = now + delay
            report = first or now >= self._next_report
            if report:
                self._next_report = now + self.report_every
                pending, dropped, self._dropped = len(self._buffer), self._dropped, 0
                failures, since = self._failures, now - self._failing_since
        if report:
            logger.error("cannot write to the decision log %s: %s; %d entries pending, %d "
                         "dropped since the last report, %d failed attempts in %.0f s; retrying "
                         "in %.1f s", self.path, error.strerror or error, pending, dropped,
                         failures, since, delay)

    def _succeeded(self, count: int) -> None:
        with self._cond:
            self.written += count
            if not self._failures and not self._dropped:
                return
            failures, since = self._failures, time.monotonic() - self._failing_since
            dropped, self._dropped = self._dropped, 0
            self._failures, self._retry_at = 0, None
        if failures:
            logger.warning("decision log %s is written again: %d entries written after %d "
                           "failed attempts in %.0f s; %d entries dropped since the last report",
                           self.path, count, failures, since, dropped)
        else:
            logger.warning("decision log %s: %d entries dropped (more than %d bytes were "
                           "waiting to be written)", self.path, dropped, self.max_pending)


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    """Hold an exclusive flock on the file (Unix; imported here so that the rest of
    the decision log, which every `policy decide` imports, works without it)."""
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
