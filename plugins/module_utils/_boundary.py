# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: the regional data-boundary policy - parse, validate, decide.

Not a public API. ``Policy.from_data()`` validates a policy (the shape documented in
``docs/data-boundary.md`` and ``schemas/boundary-policy.schema.json``) and raises ``PolicyError``
naming the key that is wrong; ``Policy.decide()`` says whether one flow, bytes from a source to a
node, is allowed. Standard library only: it runs on managed nodes (model_sync, data_boundary) as
well as on the controller (filters, action plugins).
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import json
import posixpath
import re
import socket
from urllib.parse import unquote, urlsplit, urlunsplit

from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact

POLICY_VERSION = 1
HF_DEFAULT_HOST = "huggingface.co"
SCHEMES = ("file", "http", "https", "s3", "hf", "oci")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TOP_KEYS = ("version", "default_boundary", "enforce_repositories", "boundaries", "endpoints", "paths", "data", "description")


class PolicyError(ValueError):
    """The policy does not parse or validate; ``path`` is the key, e.g. ``endpoints[2].match``."""

    def __init__(self, path, problem):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


# --------------------------------------------------------------------------- host names and URIs


def normalize_host(host):
    """A host name as rules compare it and as a connection would reach it: lower case, no trailing
    dot, no IPv6 brackets, an IPv4-mapped IPv6 literal as IPv4, and a name in another script in
    its IDNA form (a name written in fullwidth letters is the ASCII name). A name that has no IDNA form
    raises ``UnicodeError``."""
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    literal = ip_literal(host) if ":" in host else None
    if literal is not None:
        return str(literal)
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host.lower()


def ip_literal(host):
    """``host`` as an ``ipaddress`` address (IPv4-mapped IPv6 as IPv4), or None for a name."""
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _valid_hostname(host):
    return bool(host) and len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.split("."))


def clean_path(path):
    """An absolute path with ``.``, ``..`` and repeated slashes resolved (``//x`` too)."""
    return "/" + posixpath.normpath(path).lstrip("/") if path else "/"


class Flow:
    """Where the bytes of one transfer come from: the source URI and what the module was told about it.

    ``kind`` is ``file`` (a path on the node), ``host`` (a remote host) or ``invalid`` (with ``error``).
    ``uri`` is the source in one canonical spelling, without credentials: lower-case scheme and host,
    no default port, the path percent-decoded with ``.``, ``..`` and repeated slashes resolved. Data
    rules match it, so that another spelling of the same source cannot reach another rule.
    """

    def __init__(self, src, name=None, endpoint=None, region=None):
        self.src = str(src)
        self.name = name
        self.uri = redact(self.src)
        self.kind = "invalid"
        self.host = None
        self.path = None
        self.raw_path = None
        self.error = None
        self.scheme = None
        if self.src.startswith("/") and not self.src.startswith("//"):
            # A plain path: every character is part of it, '#' and '?' included.
            self.scheme, self.kind, self.raw_path = "file", "file", self.src
            self.path = clean_path(self.src)
            self.uri = "file://" + self.path
            return
        try:
            parts = urlsplit(self.src)
            scheme = parts.scheme.lower()
            self.scheme = scheme
            if scheme not in SCHEMES:
                self.error = f"source {self.uri!r} has no scheme this policy knows ({', '.join(s + '://' for s in SCHEMES)})"
                return
            if scheme == "file":
                if parts.netloc not in ("", "localhost"):
                    self.error = f"source {self.uri!r} names a remote host in a file:// URI; use a path on the node"
                    return
                self.raw_path = unquote(parts.path) or "/"
                if not self.raw_path.startswith("/"):
                    self.error = f"source {self.uri!r} is not an absolute path"
                    return
                self.kind = "file"
                self.path = clean_path(self.raw_path)
                self.uri = "file://" + self.path
                return
            if scheme == "s3":
                self.host = self._s3_host(parts, endpoint, region)
            elif scheme == "hf":
                self.host = normalize_host(urlsplit(endpoint if "://" in endpoint else "https://" + endpoint).hostname) if endpoint else HF_DEFAULT_HOST
            else:
                self.host = normalize_host(parts.hostname)
            port = parts.port  # raises on a bad port
        except (ValueError, UnicodeError) as exc:
            self.kind = "invalid"
            self.error = f"source {self.uri!r} is not a valid URI ({exc})"
            return
        if not self.host:
            self.error = f"source {self.uri!r} names no host"
            return
        self.kind = "host"
        self.uri = self._canonical(parts, scheme, port)

    @staticmethod
    def _canonical(parts, scheme, port):
        host = normalize_host(parts.hostname)
        netloc = f"[{host}]" if ":" in host else host
        if port and port != {"http": 80, "https": 443}.get(scheme):
            netloc += f":{port}"
        path = unquote(parts.path)
        if path and scheme != "s3":
            # S3 keys are literal ('..' is a key's name there); elsewhere the server resolves them.
            path = clean_path(path)
        return urlunsplit((scheme, netloc, path.rstrip("/") if path != "/" else "", "", ""))

    @staticmethod
    def _s3_host(parts, endpoint, region):
        if endpoint:
            return normalize_host(urlsplit(endpoint if "://" in endpoint else "https://" + endpoint).hostname)
        bucket = normalize_host(parts.hostname)
        # boto3's AWS endpoint: virtual-hosted style, regional; without a region, the global endpoint.
        return f"{bucket}.s3.{region}.amazonaws.com" if region else f"{bucket}.s3.amazonaws.com"


def resolve_host(host):
    """Every address ``host`` resolves to (getaddrinfo, IPv4 and IPv6), deduplicated, in order."""
    found = []
    for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP):
        addr = ip_literal(info[4][0])
        if addr is not None and addr not in found:
            found.append(addr)
    return found


# --------------------------------------------------------------------------- validation helpers


def _expect(value, kind, path):
    if kind is str and not (isinstance(value, str) and value.strip()):
        raise PolicyError(path, f"must be a non-empty string, not {_shown(value)}")
    if kind is list and not isinstance(value, list):
        raise PolicyError(path, f"must be a list, not {_shown(value)}")
    if kind is dict and not isinstance(value, dict):
        raise PolicyError(path, f"must be a mapping, not {_shown(value)}")
    if kind is bool and not isinstance(value, bool):
        raise PolicyError(path, f"must be true or false, not {_shown(value)}")
    return value


def _shown(value):
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"{value!r}" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _only_keys(entry, allowed, path):
    for key in entry:
        if key not in allowed:
            raise PolicyError(f"{path}.{key}" if path else str(key), f"unknown key; expected one of {', '.join(allowed)}")


def _name(value, path, what):
    _expect(value, str, path)
    if not _NAME.match(value):
        raise PolicyError(path, f"{value!r} is not a valid {what} name (letters, digits, '.', '_' and '-', starting with a letter or digit)")
    return value


def _rule_list(data, key):
    rules = data.get(key)
    if rules is None:
        return []
    return _expect(rules, list, key)


# --------------------------------------------------------------------------- the policy


class Policy:
    """A validated policy. Build it with ``Policy.from_data(data)``."""

    def __init__(self):
        self.data = None
        self.sha256 = None
        self.default_boundary = None
        self.enforce_repositories = False
        self.boundaries = {}
        self._exact = {}  # host name -> first endpoint rule index
        self._suffix = {}  # ".suffix" -> first endpoint rule index
        self._networks = {4: {}, 6: {}}  # version -> prefix length -> network int -> rule index
        self._prefixes = {4: [], 6: []}  # prefix lengths present, longest first
        self.endpoints = []
        self.paths = []
        self.data_rules = []

    @classmethod
    def from_data(cls, data, sha256=None):
        """Validate ``data`` (a policy loaded from YAML or JSON) and index its rules.

        ``sha256`` identifies the policy in evidence: the file's own digest where it came from a file;
        without it, the digest of the policy's canonical JSON.
        """
        self = cls()
        if not isinstance(data, dict):
            raise PolicyError("", f"a policy must be a mapping with version, boundaries and rules, not {_shown(data)}")
        _only_keys(data, _TOP_KEYS, "")
        if "version" not in data:
            raise PolicyError("version", f"missing; this collection reads policy version {POLICY_VERSION}")
        if data["version"] != POLICY_VERSION or isinstance(data["version"], bool):
            raise PolicyError("version", f"{_shown(data['version'])} is not a policy version this collection reads (only {POLICY_VERSION})")
        self.data = data
        self.sha256 = sha256 or policy_digest(data)
        self.enforce_repositories = _expect(data.get("enforce_repositories", False), bool, "enforce_repositories")
        if "description" in data:
            _expect(data["description"], str, "description")

        if "boundaries" not in data:
            raise PolicyError("boundaries", "missing; a policy names at least one boundary and its regions")
        boundaries = _expect(data["boundaries"], dict, "boundaries")
        if not boundaries:
            raise PolicyError("boundaries", "is empty; a policy names at least one boundary and its regions")
        for name, spec in boundaries.items():
            path = f"boundaries.{name}"
            _name(name, path, "boundary")
            _expect(spec, dict, path)
            _only_keys(spec, ("regions", "description"), path)
            if "regions" not in spec:
                raise PolicyError(f"{path}.regions", "missing; list the regions inside this boundary")
            regions = _expect(spec["regions"], list, f"{path}.regions")
            if not regions:
                raise PolicyError(f"{path}.regions", "is empty; a boundary holds at least one region")
            for i, region in enumerate(regions):
                _name(region, f"{path}.regions[{i}]", "region")
            if "description" in spec:
                _expect(spec["description"], str, f"{path}.description")
            self.boundaries[name] = list(dict.fromkeys(regions))

        if data.get("default_boundary") is not None:
            self.default_boundary = self._boundary_ref(data["default_boundary"], "default_boundary")

        for i, rule in enumerate(_rule_list(data, "endpoints")):
            path = f"endpoints[{i}]"
            match, region = self._rule(rule, path, ("match", "region", "description"))
            self._add_endpoint(match, region, i, path)
            self.endpoints.append({"index": i, "match": match, "region": region})

        for i, rule in enumerate(_rule_list(data, "paths")):
            path = f"paths[{i}]"
            match, region = self._rule(rule, path, ("match", "region", "description"))
            if not match.startswith("/"):
                raise PolicyError(f"{path}.match", f"{match!r} is not an absolute path or path glob")
            self.paths.append({"index": i, "match": match, "region": region})

        for i, rule in enumerate(_rule_list(data, "data")):
            path = f"data[{i}]"
            _expect(rule, dict, path)
            _only_keys(rule, ("match", "boundary", "classification", "description"), path)
            for key in ("match", "boundary"):
                if key not in rule:
                    raise PolicyError(f"{path}.{key}", "missing")
            match = _expect(rule["match"], str, f"{path}.match")
            boundary = self._boundary_ref(rule["boundary"], f"{path}.boundary")
            classification = rule.get("classification")
            if classification is not None:
                _name(classification, f"{path}.classification", "classification")
            self.data_rules.append({"index": i, "match": match, "boundary": boundary, "classification": classification})
        return self

    def _boundary_ref(self, value, path):
        _expect(value, str, path)
        if value not in self.boundaries:
            raise PolicyError(path, f"names boundary {value!r}, which the policy does not define (it defines {', '.join(sorted(self.boundaries))})")
        return value

    @staticmethod
    def _rule(rule, path, keys):
        _expect(rule, dict, path)
        _only_keys(rule, keys, path)
        for key in ("match", "region"):
            if key not in rule:
                raise PolicyError(f"{path}.{key}", "missing")
        match = _expect(rule["match"], str, f"{path}.match")
        region = _name(rule["region"], f"{path}.region", "region")
        if "description" in rule:
            _expect(rule["description"], str, f"{path}.description")
        return match, region

    def _add_endpoint(self, match, region, index, path):
        if "/" in match or ip_literal(match) is not None:
            try:
                network = ipaddress.ip_network(match, strict=False)
            except ValueError:
                raise PolicyError(f"{path}.match", f"{match!r} is not a valid CIDR (an IPv4 or IPv6 network such as 10.20.0.0/16)") from None
            if network.version == 6 and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
                # Addresses are compared as IPv4 when they are IPv4-mapped: so are such rules.
                network = ipaddress.ip_network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))
            table = self._networks[network.version].setdefault(network.prefixlen, {})
            table.setdefault(int(network.network_address) >> (network.max_prefixlen - network.prefixlen), index)
            if network.prefixlen not in self._prefixes[network.version]:
                self._prefixes[network.version] = sorted(self._prefixes[network.version] + [network.prefixlen], reverse=True)
            return
        host = normalize_host(match)
        if host.startswith("*."):
            suffix = host[1:]
            if not _valid_hostname(suffix[1:]):
                raise PolicyError(f"{path}.match", f"{match!r} is not a host name pattern: use an exact name or '*.' and a domain")
            self._suffix.setdefault(suffix, index)
        elif _valid_hostname(host):
            self._exact.setdefault(host, index)
        else:
            raise PolicyError(f"{path}.match", f"{match!r} is not a host name, a '*.domain' pattern or a CIDR")

    # ------------------------------------------------------------------ lookups

    def boundary_regions(self, boundary):
        return list(self.boundaries[boundary])

    def endpoint_for_name(self, host):
        """The first endpoint rule (exact name or ``*.suffix``) that matches host name ``host``."""
        host = normalize_host(host)
        candidates = []
        if host in self._exact:
            candidates.append(self._exact[host])
        dot = host.find(".")
        while dot != -1:
            index = self._suffix.get(host[dot:])
            if index is not None:
                candidates.append(index)
            dot = host.find(".", dot + 1)
        return self.endpoints[min(candidates)] if candidates else None

    def endpoint_for_address(self, addr):
        """The most specific CIDR rule holding ``addr`` (the first listed among equals)."""
        if isinstance(addr, str):
            addr = ip_literal(addr)
        bits = addr.max_prefixlen
        value = int(addr)
        tables = self._networks[addr.version]
        for prefixlen in self._prefixes[addr.version]:
            index = tables[prefixlen].get(value >> (bits - prefixlen))
            if index is not None:
                return self.endpoints[index]
        return None

    def data_rule_for(self, flow):
        """The first data rule whose glob matches the flow's canonical URI, its path (for a path on
        the node) or the model's name.

        The URI and the path are matched with and without a trailing '/', which names the same
        directory or prefix to every source: ``s3://b/restricted`` is held by ``s3://b/restricted/*``.
        Hugging Face repository names are matched case-insensitively, as the hub treats them.
        """
        subjects = [flow.uri, flow.uri + "/"]
        if flow.kind == "file":
            subjects += [flow.path, flow.path.rstrip("/") + "/"]
        if flow.name:
            subjects.append(flow.name)
        fold = flow.scheme == "hf"
        for rule in self.data_rules:
            pattern = rule["match"].lower() if fold else rule["match"]
            if any(fnmatch.fnmatchcase(subject.lower() if fold else subject, pattern) for subject in subjects):
                return rule
        return None

    def path_rule_for(self, path):
        """The first ``paths`` rule matching ``path``.

        A glob matches as ``fnmatch`` does, and ``/mnt/x/*`` holds ``/mnt/x`` itself too; a rule
        without glob characters is a directory, holding itself and everything below it.
        """
        path = clean_path(path)
        for rule in self.paths:
            pattern = rule["match"]
            if any(c in pattern for c in "*?["):
                if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path.rstrip("/") + "/", pattern):
                    return rule
            else:
                directory = clean_path(pattern)
                if path == directory or path.startswith(directory.rstrip("/") + "/"):
                    return rule
        return None

    def region_of(self, src, host_region=None, endpoint=None, region=None, resolve=None):
        """The region the policy places ``src`` in, or None.

        A path is in its ``paths`` rule's region, else the node's (``host_region``); an address in
        its most specific CIDR's; a host name in its first name rule's, else, with ``resolve``, in
        the region of its addresses when every one falls in a CIDR rule.
        """
        flow = Flow(src, endpoint=endpoint, region=region)
        if flow.kind == "invalid":
            return None
        if flow.kind == "file":
            rule = self.path_rule_for(flow.path)
            return rule["region"] if rule else (host_region or None)
        literal = ip_literal(flow.host)
        if literal is not None:
            hit = self.endpoint_for_address(literal)
            return hit["region"] if hit else None
        named = self.endpoint_for_name(flow.host)
        if named is not None or resolve is None:
            return named["region"] if named else None
        try:
            hits = [self.endpoint_for_address(a) for a in resolve(flow.host)]
        except (OSError, UnicodeError):
            return None
        if not hits or None in hits:
            return None
        return ",".join(dict.fromkeys(h["region"] for h in hits))

    def boundary_of(self, src, name=None):
        """The boundary of the flow from ``src`` (data rule, else default), or None."""
        rule = self.data_rule_for(Flow(src, name=name))
        return rule["boundary"] if rule else self.default_boundary

    # ------------------------------------------------------------------ the decision

    def decide(self, src, host_region=None, name=None, endpoint=None, region=None, resolve=resolve_host, real_path=None, boundary=None):
        """Whether bytes may flow from ``src`` to a node in ``host_region``: a decision dict.

        ``endpoint`` and ``region`` are what the transfer would be told (an S3 ``endpoint_url`` and
        region, a hub endpoint). ``resolve`` maps a host name to its addresses; None skips the
        resolved-address check (weaker; the filters offer it for names the controller cannot resolve).
        ``real_path`` maps a ``file://`` path to where it really is (``os.path.realpath`` on the node).
        ``boundary`` decides the flow in that boundary instead of the data rules' (a redirect keeps
        the boundary of the flow it continues).
        """
        flow = src if isinstance(src, Flow) else Flow(src, name=name, endpoint=endpoint, region=region)
        d = Decision(self, flow, host_region)
        if flow.kind == "invalid":
            return d.deny(flow.error)

        rule = None if boundary else self.data_rule_for(flow)
        if boundary:
            # A flow that continues another one (a redirect): it stays in that flow's boundary.
            d["boundary"] = boundary
            d["rule"]["data"] = {"inherited": boundary}
        elif rule is not None:
            d["boundary"], d["classification"] = rule["boundary"], rule["classification"]
            d["rule"]["data"] = {"index": rule["index"], "match": rule["match"]}
        elif self.default_boundary:
            d["boundary"] = self.default_boundary
            d["rule"]["data"] = {"default_boundary": self.default_boundary}
        else:
            return d.deny(f"no data rule matches {flow.uri!r}{' (model ' + repr(flow.name) + ')' if flow.name else ''} and the policy has no default_boundary")
        inside = self.boundaries[d["boundary"]]

        if not host_region:
            return d.deny("the node's region is unknown: set the inventory variable horizon_region (or the host_region option)")
        if host_region not in inside:
            return d.deny(f"the node's region {host_region!r} is outside boundary {d['boundary']!r} ({', '.join(inside)})")

        if flow.kind == "file":
            if real_path is not None:
                # Where the bytes really are, resolved from the path as given: a link on the node
                # (also one followed by '..') must not hide a remote mount.
                try:
                    real = real_path(flow.raw_path)
                except ValueError as exc:  # a NUL byte
                    return d.deny(f"{flow.uri!r} is not a valid path ({exc})")
                if real != flow.path:
                    d["source_path"] = real
                    d["rule"]["real_path"] = real
            path_rule = self.path_rule_for(d["source_path"])
            if path_rule is not None:
                d["rule"]["path"] = {"index": path_rule["index"], "match": path_rule["match"]}
                d["source_region"] = path_rule["region"]
            else:
                d["rule"]["path"] = {"node_local": d["source_path"]}
                d["source_region"] = host_region
            if d["source_region"] not in inside:
                return d.deny(f"{d['source_path']} is in region {d['source_region']!r}, outside boundary {d['boundary']!r} ({', '.join(inside)})")
            return d.allow()

        literal = ip_literal(flow.host)
        if literal is not None:
            hit = self.endpoint_for_address(literal)
            if hit is None:
                return d.deny(f"no endpoint rule gives a region for address {literal} (source {flow.uri!r})")
            d["rule"]["endpoint"] = {"index": hit["index"], "match": hit["match"]}
            d["source_region"] = hit["region"]
            if hit["region"] not in inside:
                return d.deny(
                    f"address {literal} is in region {hit['region']!r} (endpoints[{hit['index']}] {hit['match']}), outside boundary {d['boundary']!r}"
                )
            return d.allow()

        named = self.endpoint_for_name(flow.host)
        if named is not None:
            d["rule"]["endpoint"] = {"index": named["index"], "match": named["match"]}
            d["source_region"] = named["region"]
            if named["region"] not in inside:
                return d.deny(
                    f"{flow.host} is in region {named['region']!r} (endpoints[{named['index']}] {named['match']}), outside boundary {d['boundary']!r}"
                )
        if resolve is None:
            if named is None:
                return d.deny(f"no endpoint rule gives a region for host {flow.host} and its addresses were not looked up")
            return d.allow()
        try:
            addresses = resolve(flow.host)
        except (OSError, UnicodeError) as exc:
            return d.deny(f"host {flow.host} does not resolve ({getattr(exc, 'strerror', None) or exc}); an unresolvable source is denied")
        if not addresses:
            return d.deny(f"host {flow.host} resolves to no address; an unresolvable source is denied")
        d["addresses"] = [str(a) for a in addresses]
        regions, unmapped = [], []
        for addr in addresses:
            hit = self.endpoint_for_address(addr)
            if hit is None:
                unmapped.append(str(addr))
                continue
            d["rule"].setdefault("addresses", []).append({"address": str(addr), "index": hit["index"], "match": hit["match"], "region": hit["region"]})
            if hit["region"] not in inside:
                return d.deny(
                    f"{flow.host} resolves to {addr}, which is in region {hit['region']!r} (endpoints[{hit['index']}] {hit['match']}),"
                    f" outside boundary {d['boundary']!r}"
                )
            regions.append(hit["region"])
        if named is None:
            if unmapped:
                return d.deny(f"no endpoint rule gives a region for host {flow.host} or its address{'es' if len(unmapped) > 1 else ''} {', '.join(unmapped)}")
            d["source_region"] = ",".join(dict.fromkeys(regions))
        return d.allow()


class Decision(dict):
    """The verdict on one flow, as the module returns it and the audit log records it."""

    def __init__(self, policy, flow, host_region):
        super().__init__(
            allowed=False,
            verdict="deny",
            src=flow.uri,
            name=flow.name,
            boundary=None,
            boundary_regions=[],
            classification=None,
            source_host=flow.host,
            source_path=flow.path,
            source_region=None,
            host_region=host_region or None,
            addresses=[],
            rule={},
            reason="",
            policy_sha256=policy.sha256,
        )
        self.boundaries = policy.boundaries

    def _close(self):
        if self["boundary"]:
            self["boundary_regions"] = list(self.boundaries[self["boundary"]])
        return self

    def deny(self, reason):
        self.update(allowed=False, verdict="deny", reason=reason)
        return self._close()

    def allow(self):
        where = self["source_region"]
        what = self["source_path"] or self["source_host"]
        self.update(
            allowed=True,
            verdict="allow",
            reason=f"{what} ({where}) and the node ({self['host_region']}) are inside boundary {self['boundary']!r}",
        )
        return self._close()


def policy_digest(data):
    """SHA-256 of the policy's canonical JSON: the same policy, however it was written, has one digest."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def node_affinity(policy, boundary, key="topology.kubernetes.io/region"):
    """A Kubernetes ``nodeAffinity`` that keeps pods on nodes labelled with a region inside ``boundary``."""
    if boundary not in policy.boundaries:
        raise PolicyError("", f"boundary {boundary!r} is not defined by the policy (it defines {', '.join(sorted(policy.boundaries))})")
    return {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": key, "operator": "In", "values": policy.boundary_regions(boundary)}]}]
        }
    }
