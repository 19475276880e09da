# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: a source URI as it may be shown - the one ``redact()`` that messages, results and logs use.

Not a public API. Standard library only: model_sync, data_boundary and the controller's filters
all import it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact(uri):
    """``uri`` without user name, password or query string: safe to print, log and match.

    A path, or a ``file:`` URI without a host, is returned as it is: it holds no credentials. A
    URI that does not parse is shown as ``<an invalid URI>``, never raised on.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an IPv4 address in brackets
        return "<an invalid URI>"
    if not parts.netloc and (not parts.scheme or parts.scheme == "file"):
        return uri
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
