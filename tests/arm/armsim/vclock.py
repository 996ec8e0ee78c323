"""The server's notion of "now": the real clock, or a virtual one read from
a file (RFC 3339 or epoch seconds) so tests can simulate days of runs.
The file is re-read only when its mtime/size changes, so asking the time on
every request stays cheap."""
import datetime
import email.utils
import os
import threading
import time


def parse_time(text):
    """Epoch seconds (float) from "1700000000", "1700000000.5" or RFC 3339."""
    s = text.strip()
    if not s:
        raise ValueError("empty time")
    try:
        return float(s)
    except ValueError:
        pass
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # fromisoformat in 3.11 takes at most 6 fractional digits reliably: trim.
    head, dot, rest = s.partition(".")
    if dot:
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        s = head + "." + (digits + "000000")[:6] + rest
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        raise ValueError("time without offset: " + text.strip())
    return dt.timestamp()


def arm_time(ticks):
    """ARM's timeCreated form from 100 ns ticks since the epoch: seven
    fractional digits and +00:00 (ticks keep the 7th digit exact)."""
    whole, frac = divmod(int(ticks), 10_000_000)
    dt = datetime.datetime.fromtimestamp(whole, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%07d+00:00" % frac


def iso_z(epoch):
    dt = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % int((epoch % 1) * 1e7)


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


class Clock:
    def __init__(self, path=None):
        self.path = path
        self._lock = threading.Lock()
        self._sig = None
        self._value = None

    def now(self):
        """Virtual now (epoch seconds) when a clock file exists, else real."""
        if not self.path:
            return time.time()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return time.time()
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if sig != self._sig:
                try:
                    with open(self.path, encoding="utf-8") as f:
                        self._value = parse_time(f.read())
                    self._sig = sig
                except (OSError, ValueError) as e:
                    # A half-written file: keep the previous value.
                    if self._value is None:
                        raise RuntimeError("bad clock file %s: %s" % (self.path, e))
            return self._value
