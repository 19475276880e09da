# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private to horizon.ai_platform: where each host of a fleet gets each model from.

The ``model_cache`` role fans model_sync out over a fleet. A mirror host seeds every model from
its upstream; a node pulls every model from the mirror of its own region, so a model crosses into
a region once rather than once per node. ``plan()`` turns the role's variables into one sync per
model with its source and options, or raises ``ValueError`` naming what is wrong. It is a pure
function, used by the ``horizon.ai_platform.model_cache_plan`` filter and tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact

# model_sync options that describe how to reach a source (credentials, endpoints, TLS).
SOURCE_OPTIONS = (
    "endpoint_url",
    "region",
    "access_key",
    "secret_key",
    "session_token",
    "username",
    "password",
    "token",
    "validate_certs",
    "ca_path",
    "plain_http",
    "checksum_file",
    "timeout",
)
MODEL_KEYS = ("name", "upstream", "upstream_options", "src", "src_options", "revision", "allow_patterns", "ignore_patterns", "keep_revisions")
MODES = ("node", "mirror")
SCHEMES = ("file", "http", "https", "s3", "hf", "oci")
# A mirror is a directory tree with one model per directory: <url>/<name>/.
MIRROR_SCHEMES = ("file", "http", "https", "s3")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
_RESERVED = ("current", ".staging", ".lock")


def _scheme(uri, what):
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"{what} must be a URI string, got {uri!r}")
    scheme = urlsplit(uri).scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"{what} {redact(uri)!r} has no supported scheme: use one of {', '.join(s + '://' for s in SCHEMES)}")
    return scheme


def _options(value, what):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a dictionary of model_sync options, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in SOURCE_OPTIONS)
    if unknown:
        raise ValueError(f"{what} has unknown option(s) {', '.join(unknown)}; known: {', '.join(SOURCE_OPTIONS)}")
    return {k: v for k, v in value.items() if v is not None}


def check_models(models):
    """Validate the list of models; return it as a list of plain dictionaries."""
    if not isinstance(models, (list, tuple)):
        raise ValueError(f"model_cache_models must be a list of models, got {type(models).__name__}")
    seen = set()
    checked = []
    for index, model in enumerate(models):
        if not isinstance(model, Mapping):
            raise ValueError(f"model_cache_models[{index}] must be a dictionary with at least a name, got {type(model).__name__}")
        name = model.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name) or name in _RESERVED:
            raise ValueError(
                f"model_cache_models[{index}].name {name!r} is not a model name: use 1-200 letters, digits, '.', '_', '+' or '-',"
                " starting with a letter or digit"
            )
        if name in seen:
            raise ValueError(f"model_cache_models lists the model {name!r} twice")
        seen.add(name)
        unknown = sorted(str(k) for k in model if k not in MODEL_KEYS)
        if unknown:
            raise ValueError(f"model {name!r} has unknown key(s) {', '.join(unknown)}; known: {', '.join(MODEL_KEYS)}")
        for key in ("upstream", "src"):
            if model.get(key) is not None:
                _scheme(model[key], f"model {name!r}: {key}")
        checked.append(dict(model))
    return checked


def check_mirrors(mirrors):
    """Validate ``{region: {url, options...}}``; return ``{region: (url, options)}``."""
    if mirrors is None:
        return {}
    if not isinstance(mirrors, Mapping):
        raise ValueError(f"model_cache_mirrors must be a dictionary of regions to mirrors, got {type(mirrors).__name__}")
    checked = {}
    for region, given in mirrors.items():
        what = f"model_cache_mirrors[{region!r}]"
        mirror = {"url": given} if isinstance(given, str) else given
        if not isinstance(mirror, Mapping) or not mirror.get("url"):
            raise ValueError(f"{what} must be a dictionary with a url (the mirror's base, each model at <url>/<name>/)")
        url = mirror["url"]
        scheme = _scheme(url, f"{what}.url")
        if scheme not in MIRROR_SCHEMES:
            raise ValueError(
                f"{what}.url {redact(url)!r}: a mirror must be a tree of one directory per model, reached over"
                f" {', '.join(s + '://' for s in MIRROR_SCHEMES)}; give the models an src of their own for {scheme}:// sources"
            )
        checked[str(region)] = (url, _options({k: v for k, v in mirror.items() if k != "url"}, what))
    return checked


def mirror_source(url, name):
    """The source of model ``name`` on the mirror at ``url``: ``<url>/<name>/``."""
    base = url.rstrip("/")
    if urlsplit(url).scheme.lower() == "s3":
        return f"{base}/{name}"
    return f"{base}/{name}/"


def plan(models, mode="node", region=None, mirrors=None, upstream_fallback=False):
    """One entry per model: the source this host syncs it from and how.

    Each entry has ``name``, ``src``, ``source`` (``src`` without credentials), ``scheme``, ``via`` (``upstream``, ``mirror`` or ``src``), ``region`` (the
    mirror's region, for ``via: mirror``), ``options`` (model_sync options for the source, secrets
    included), ``revision``, ``allow_patterns``, ``ignore_patterns``, ``keep_revisions`` and
    ``write_checksums`` (true on mirrors, so that what they publish is a plain mirror).
    """
    if mode not in MODES:
        raise ValueError(f"model_cache_mode must be one of {', '.join(MODES)}, got {mode!r}")
    models = check_models(models)
    mirrors = check_mirrors(mirrors)
    region = region or None
    entries = []
    for model in models:
        name = model["name"]
        entry = {
            "name": name,
            "allow_patterns": model.get("allow_patterns"),
            "ignore_patterns": model.get("ignore_patterns"),
            "keep_revisions": model.get("keep_revisions"),
            "revision": model.get("revision"),
            "region": None,
            "write_checksums": mode == "mirror",
        }
        if mode == "mirror":
            if not model.get("upstream"):
                raise ValueError(f"model {name!r} has no upstream: a mirror seeds each of its models from the model's upstream")
            entry.update(src=model["upstream"], via="upstream", options=_options(model.get("upstream_options"), f"model {name!r}: upstream_options"))
        elif model.get("src"):
            entry.update(src=model["src"], via="src", options=_options(model.get("src_options"), f"model {name!r}: src_options"))
        elif region in mirrors:
            url, options = mirrors[region]
            # A mirror publishes each model as it is; the upstream's revision names a branch or
            # tag there, not a revision of the mirror.
            entry.update(src=mirror_source(url, name), via="mirror", region=region, options=options, revision=None)
        elif upstream_fallback and model.get("upstream"):
            entry.update(src=model["upstream"], via="upstream", options=_options(model.get("upstream_options"), f"model {name!r}: upstream_options"))
        else:
            known = ", ".join(sorted(mirrors)) or "none"
            if region is None:
                where = "this host has no region (set horizon_region or model_cache_region)"
            else:
                where = f"model_cache_mirrors has no mirror for region {region!r} (mirrors exist for: {known})"
            hint = "set model_cache_upstream_fallback to pull it from its upstream" if model.get("upstream") else "give it an upstream or an src"
            raise ValueError(f"no source for model {name!r}: {where}, and the model has no src of its own; add a mirror for the region, or {hint}")
        entry["source"] = redact(entry["src"])
        entry["scheme"] = urlsplit(entry["src"]).scheme.lower()
        entries.append(entry)
    return entries
