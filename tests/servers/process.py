# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start a test server in its own process on loopback, wait until it answers, stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc=None, timeout=60, context=None):
    """Wait until ``url`` answers anything at all over HTTP (an error status counts).

    ``context`` is the ``ssl.SSLContext`` for an ``https://`` URL (one that trusts the test's CA).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2, context=context).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not answer within {timeout} s")


@contextlib.contextmanager
def server_process(argv, ready_url, log=None, cwd=None, env=None, context=None):
    """Run ``argv`` with output to ``log``; yield the process once ``ready_url`` answers; stop it after."""
    with open(log or os.devnull, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        try:
            wait_http(ready_url, proc, context=context)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
