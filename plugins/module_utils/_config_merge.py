# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging settings into a JSON or TOML configuration file, keeping everything else in it.

Private to horizon.ai_platform (the leading underscore): the API may change without notice.

The merge works on the parsed document, not on text: mappings are merged key by key, any other value replaces
what was there, ``append`` adds list items that are missing and ``remove`` deletes keys. TOML is parsed and written
with tomlkit, which keeps the file's comments, order and layout; JSON with the standard library. Whether the file
changes is decided on the data, so a file that already holds the settings is never rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping

try:
    import tomlkit
except ImportError:  # only TOML files need it; the module reports it with missing_required_lib
    tomlkit = None

FORMATS = ("json", "toml")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigError(Exception):
    """A file that does not parse, or settings that do not fit it; the message names the key or the line."""


class MissingTomlkit(Exception):
    """A TOML file, and no tomlkit on this node."""


def format_for(path, requested=None):
    """The file's format: the one requested, else from its suffix."""
    if requested:
        return requested
    lowered = path.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith((".toml", ".conf")):
        return "toml"
    raise ConfigError("cannot tell the format from the name %s: give format (json or toml)" % path)


def key_path(keys):
    """A key path as TOML writes it: bare keys plain, others quoted (plugins."io.containerd.grpc.v1.cri")."""
    return ".".join(key if _BARE_KEY.match(key) else json.dumps(key) for key in keys) or "(top level)"


class Document:
    """One parsed file: ``root`` is the mapping merged into, ``plain()`` its data without formatting."""

    def __init__(self, fmt, text):
        if fmt == "toml" and tomlkit is None:
            raise MissingTomlkit()
        self.fmt = fmt
        self.root = self._parse(text)

    def _parse(self, text):
        if self.fmt == "json":
            if not text.strip():
                return {}
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ConfigError("not valid JSON: %s" % exc) from None
            if not isinstance(data, dict):
                raise ConfigError("the file holds a JSON %s, not an object" % type(data).__name__)
            return data
        try:
            return tomlkit.parse(text)
        except Exception as exc:  # tomlkit raises its own ParseError subclasses, and ValueError
            raise ConfigError("not valid TOML: %s" % exc) from None

    def new_table(self):
        return {} if self.fmt == "json" else tomlkit.table()

    def plain(self):
        if self.fmt == "json":
            return json.loads(json.dumps(self.root))
        return _plain(self.root)

    def dump(self, indent=2):
        if self.fmt == "json":
            return json.dumps(self.root, indent=indent) + "\n"
        return tomlkit.dumps(self.root)


def _is_mapping(value):
    return isinstance(value, Mapping)


def _describe(value):
    if _is_mapping(value):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a %s" % type(value).__name__


def _plain(value):
    """A value as plain Python data, whatever library it came from (tomlkit before 0.11, as Ubuntu 22.04 ships it, has
    no ``unwrap()``: its items are subclasses of the built-in types, but for booleans)."""
    unwrap = getattr(value, "unwrap", None)
    if callable(unwrap):
        return unwrap()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if type(value).__name__ == "Bool" and hasattr(value, "value"):
        return bool(value.value)
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def canonical(value):
    """A value in a form that compares equal only for equal data of equal types (Python's ``1 == True == 1.0`` does not)."""
    value = _plain(value)
    if isinstance(value, Mapping):
        return ("table", tuple(sorted((str(key), canonical(item)) for key, item in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(canonical(item) for item in value))
    return (type(value).__name__, value)


def _set(doc, target, key, value, here):
    """``target[key] = value``, with the library's refusals (a table into an inline table, a null in TOML) as ConfigError."""
    if value is None and doc.fmt == "toml":
        raise ConfigError("%s has no value (null): TOML has none; leave the key out or remove it" % key_path(here))
    try:
        target[key] = value
    except (ValueError, TypeError) as exc:
        raise ConfigError("cannot set %s: %s" % (key_path(here), exc)) from None


def _walk(doc, target, given, path, changed, leaf, giver):
    """Walk the nested mapping ``given`` into the file's ``target``: tables are created where missing (a new empty one
    counts as a change), and ``leaf`` handles every other value. ``giver`` names the option in messages."""
    for name, value in given.items():
        key = str(name)
        here = path + (key,)
        if not _is_mapping(value):
            leaf(doc, target, key, value, here, changed)
            continue
        if key not in target:
            _set(doc, target, key, doc.new_table(), here)
            if not value:
                changed.append(key_path(here))
        elif not _is_mapping(target[key]):
            raise ConfigError("%s is %s in the file, but %s a mapping for it; fix the file or the settings" % (key_path(here), _describe(target[key]), giver))
        _walk(doc, target[key], value, here, changed, leaf, giver)


def _set_leaf(doc, target, key, value, here, changed):
    if key in target and _is_mapping(target[key]):
        raise ConfigError("%s is a table in the file, but the settings give %s for it; fix the file or the settings" % (key_path(here), _describe(value)))
    if key not in target or canonical(target[key]) != canonical(value):
        _set(doc, target, key, value, here)
        changed.append(key_path(here))


def _append_leaf(doc, target, key, value, here, changed):
    if not isinstance(value, list):
        raise ConfigError("append for %s must be a list, not %s" % (key_path(here), _describe(value)))
    if key not in target:
        _set(doc, target, key, list(value), here)
        changed.append(key_path(here))
        return
    current = target[key]
    if not isinstance(current, list):
        raise ConfigError("%s is %s in the file, not a list that items can be added to" % (key_path(here), _describe(current)))
    present = [canonical(item) for item in current]
    missing = [item for item in value if canonical(item) not in present]
    if missing:
        for item in missing:
            try:
                current.append(item)
            except (ValueError, TypeError) as exc:
                raise ConfigError("cannot add %r to %s: %s" % (item, key_path(here), exc)) from None
        changed.append(key_path(here))


def merge_settings(doc, settings):
    """Merge ``settings`` into the mapping ``doc.root`` (recursively); returns the key paths whose value changed."""
    if not _is_mapping(settings):
        raise ConfigError("settings must be a mapping, not %s" % _describe(settings))
    changed = []
    _walk(doc, doc.root, settings, (), changed, _set_leaf, "the settings give")
    return changed


def append_items(doc, append):
    """Add each list item of ``append`` (a nested mapping whose leaves are lists) that the file's list lacks."""
    if not _is_mapping(append):
        raise ConfigError("append must be a mapping whose leaves are lists")
    changed = []
    _walk(doc, doc.root, append, (), changed, _append_leaf, "append gives")
    return changed


def remove_keys(doc, paths):
    """Delete each key path (a list of keys) that exists; returns the paths removed."""
    removed = []
    for entry in paths:
        if isinstance(entry, str) or not isinstance(entry, (list, tuple)) or not entry:
            raise ConfigError("each entry of remove must be a non-empty list of keys, not %r" % (entry,))
        keys = [str(key) for key in entry]
        target = doc.root
        for key in keys[:-1]:
            target = target.get(key) if _is_mapping(target) else None
            if target is None:
                break
        if _is_mapping(target) and keys[-1] in target:
            del target[keys[-1]]
            removed.append(key_path(keys))
    return removed


def merge(fmt, text, settings=None, append=None, remove=None, indent=2):
    """Apply ``remove``, then ``settings``, then ``append`` to the file's ``text``.

    Returns ``(new_text, changed_keys)``; ``new_text`` is ``text`` itself when the data did not change, so that
    an unchanged file is never rewritten (its layout included).
    """
    doc = Document(fmt, text)
    before = canonical(doc.plain())
    changed = remove_keys(doc, remove or [])
    changed += merge_settings(doc, settings or {})
    changed += append_items(doc, append or {})
    if canonical(doc.plain()) == before:
        return text, []
    try:
        return doc.dump(indent), changed
    except (ValueError, TypeError) as exc:
        raise ConfigError("cannot write the merged file: %s" % exc) from None


def as_dict(settings, what):
    """``settings`` from a module option, checked to be a mapping."""
    if settings is None:
        return {}
    if not isinstance(settings, MutableMapping):
        raise ConfigError("%s must be a mapping, not %s" % (what, _describe(settings)))
    return settings
