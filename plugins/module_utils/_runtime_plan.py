# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to horizon.ai_platform: how the container_runtime role sets up a node's engine and its accelerators.

Two pure functions, used by the role's filters and tested on their own:

- ``plan()`` decides, from the node's accelerator facts and its OS's data (the role's ``vars/<os>.yml``), what to
  install: the engine's packages (podman, Docker Engine or containerd, from the distribution or Docker's repository),
  NVIDIA's container toolkit where NVIDIA silicon is, the repositories and the registries to check against the data
  boundary.
- ``configure()`` decides, once the engine is installed and its version known, how each accelerator reaches
  containers (a CDI spec where the engine reads them, else NVIDIA's runtime or plain device flags) and what goes into
  the engine's configuration: keys merged into Docker's daemon.json or containerd's config.toml, containerd's
  hosts.toml files, podman's registries drop-in, each registry as the boundary verdicts allow.

Both raise ``ValueError`` with a message that names what is wrong.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.horizon.ai_platform.plugins.module_utils._driver_plan import STACK_LABELS, _devices_by_stack, _strings, _unknown_keys, repository

ENGINES = ("podman", "docker", "containerd")
SOURCES = ("distribution", "vendor")
CDI_MODES = ("auto", "always", "never")
FAMILIES = ("apt", "dnf")
# The first release of each engine that reads CDI specs: podman 4.1; Docker Engine 25.0 (behind features.cdi until
# 28.2); containerd 1.7 (through its CRI plugin, behind enable_cdi until 2.0).
CDI_SINCE = {"podman": (4, 1), "docker": (25, 0), "containerd": (1, 7)}
DOCKER_CDI_DEFAULT = (28, 2)
# podman runs containers as systemd services through Quadlet from 4.4 (Debian 13, Ubuntu 24.04, RHEL 9.2).
QUADLET_SINCE = (4, 4)
# NVIDIA Container Toolkit 1.19.1 and later write additionalGids, which needs CDI 0.7.0: podman reads it from 5.1,
# containerd from 2.0 (1.7 bundles the CDI library 0.6). The first Docker release that reads it is not known.
NVIDIA_CDI_07 = (1, 19, 1)
CDI_07_SINCE = {"podman": (5, 1), "containerd": (2, 0)}
# CDI kinds of the stacks whose spec this collection writes (cdi_spec); NVIDIA's comes from nvidia-ctk.
NODE_KINDS = {"amd": "amd.com/gpu", "intel_gpu": "intel.com/gpu", "intel_gaudi": "intel.com/gaudi"}
NVIDIA_KIND = "nvidia.com/gpu"
NVIDIA_RUNTIME = "/usr/bin/nvidia-container-runtime"
CDI_DIRS = ["/etc/cdi", "/var/run/cdi"]
CERTS_DIR = "/etc/containerd/certs.d"
# containerd's CRI plugin tables by config version: (runtime table, images table).
CONTAINERD_TABLES = {2: ("io.containerd.grpc.v1.cri", "io.containerd.grpc.v1.cri"), 3: ("io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images")}
REGISTRY_KEYS = ("prefix", "location", "mirrors", "insecure", "blocked")
MIRROR_KEYS = ("location", "insecure")
_REGISTRY_RE = re.compile(r"^(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?)(?P<path>(/[A-Za-z0-9._-]+)*)$")
DOCKER_HUB = "docker.io"


def parse_version(text):
    """``(major, minor, patch)`` from an engine's version output (``Docker version 26.1.5+dfsg1``), or None."""
    match = re.search(r"(?<![0-9.])([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", str(text or ""))
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def _scheme(insecure):
    return "http" if insecure else "https"


def _version_text(version):
    return ".".join(str(part) for part in version) if version else "unknown"


def _bool(value, name):
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError("%s must be a boolean, got %r" % (name, value)) from None


def _location(value, what):
    """A registry location (host, optional port and path, no scheme), checked."""
    location = str(value or "")
    if not _REGISTRY_RE.match(location):
        raise ValueError("%s location %r must be a registry host with an optional port and path, without a scheme" % (what, location))
    return location


def registry(item, index):
    """One registry of container_runtime_registries, checked and with its defaults."""
    what = "container_runtime_registries[%d]" % index
    if not isinstance(item, Mapping):
        raise ValueError("%s must be a dictionary with prefix, location, mirrors, insecure, blocked" % what)
    _unknown_keys(item, REGISTRY_KEYS, what)
    prefix = str(item.get("prefix") or "")
    if not _REGISTRY_RE.match(prefix):
        raise ValueError("%s prefix %r must be a registry host, optionally with a port and a path (docker.io, registry.example.com:5000/team)" % (what, prefix))
    location = _location(item.get("location") or prefix, what)
    mirrors = []
    for number, given in enumerate(item.get("mirrors") or []):
        mirror = {"location": given} if isinstance(given, str) else given
        mwhat = "%s mirrors[%d]" % (what, number)
        if not isinstance(mirror, Mapping):
            raise ValueError("%s must be a registry location or a dictionary with location and insecure" % mwhat)
        _unknown_keys(mirror, MIRROR_KEYS, mwhat)
        mirrors.append({"location": _location(mirror.get("location"), mwhat), "insecure": _bool(mirror.get("insecure", False), mwhat + " insecure")})
    return {
        "prefix": prefix,
        "location": location,
        "mirrors": mirrors,
        "insecure": _bool(item.get("insecure", False), what + " insecure"),
        "blocked": _bool(item.get("blocked", False), what + " blocked"),
    }


def registry_url(location, insecure=False):
    """The URL a node fetches a registry location from, as the data boundary decides it."""
    match = _REGISTRY_RE.match(location)
    host, path = match.group("host"), match.group("path")
    if host == DOCKER_HUB:
        host = "registry-1.docker.io"
    return "%s://%s%s/" % (_scheme(insecure), host, path)


def upstream_of(engine, item):
    """Where pulls of a registry go when its mirrors fail: its location (Docker ignores a location and uses the prefix)."""
    return item["prefix"] if engine == "docker" else item["location"]


def registry_urls(engine, registries, search):
    """Every registry URL the node may pull from, for the data boundary to decide."""
    urls = []
    for item in registries:
        urls.append({"name": item["prefix"], "url": registry_url(upstream_of(engine, item), item["insecure"]), "role": "location"})
        urls += [{"name": item["prefix"], "url": registry_url(mirror["location"], mirror["insecure"]), "role": "mirror"} for mirror in item["mirrors"]]
    if engine == "podman":
        # Only podman searches registries for short names.
        for name in search:
            urls.append({"name": name, "url": registry_url(name), "role": "search"})
    return urls


def _host(location):
    return _REGISTRY_RE.match(location).group("host")


def containerd_endpoint(location, insecure=False):
    """A registry location as containerd's hosts.toml names it: ``(url, override_path)``.

    A location with a path (``mirror.example.com/dockerhub``) is a namespace inside that registry, as podman reads
    it; containerd takes a host's path as the prefix of its API, so the path goes after ``/v2`` with override_path.
    """
    match = _REGISTRY_RE.match(location)
    base = "%s://%s" % (_scheme(insecure), match.group("host"))
    if match.group("path"):
        return base + "/v2" + match.group("path"), True
    return base, False


def plan(facts, os_data, settings=None):
    """What the role installs on one node: engine, toolkit, repositories, registries to check."""
    if not isinstance(facts, Mapping) or "devices" not in facts:
        raise ValueError("the accelerator facts are missing: run horizon.ai_platform.accelerator_facts first (ansible_facts.accelerators has no devices)")
    if not isinstance(os_data, Mapping) or os_data.get("family") not in FAMILIES:
        raise ValueError("the OS data is missing its package family")
    settings = dict(settings or {})
    family = os_data["family"]
    os_name = os_data.get("name") or "this OS"
    engine = settings.get("engine") or "podman"
    if engine not in ENGINES:
        raise ValueError("container_runtime_engine must be one of %s, got %r" % (", ".join(ENGINES), engine))
    source = settings.get("source") or "distribution"
    if source not in SOURCES:
        raise ValueError("container_runtime_source must be one of %s, got %r" % (", ".join(SOURCES), source))
    cdi = settings.get("cdi") or "auto"
    if cdi not in CDI_MODES:
        raise ValueError("container_runtime_cdi must be one of %s, got %r" % (", ".join(CDI_MODES), cdi))
    engines = os_data.get("engines") or {}
    sources = (engines.get(engine) or {}).get("sources") or {}
    if source not in sources:
        raise ValueError(
            "%s from the %s source is not available on %s; it has: %s"
            % (engine, source, os_name, ", ".join(sorted(sources)) or "no source (the OS ships no %s)" % engine)
        )
    chosen = sources[source]
    overrides = settings.get("repositories") or {}
    if not isinstance(overrides, Mapping):
        raise ValueError("container_runtime_repositories must be a dictionary of repository name to override")
    known = settings.get("known_repositories")
    if known is not None:
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ValueError(
                "container_runtime_repositories names %s, which is no repository of this role (they are: %s)" % (", ".join(unknown), ", ".join(sorted(known)))
            )

    def repositories(entries, what):
        return [
            repository(base, overrides.get(base.get("name")), family, "%s repository %s" % (what, base.get("name")), "container_runtime_repositories")
            for base in entries
        ]

    result = {
        "engine": engine,
        "source": source,
        "cdi": cdi,
        "os_name": os_name,
        "family": family,
        "packages": list(_strings(chosen.get("packages"), "%s packages" % engine)),
        "services": list(_strings(chosen.get("services"), "%s services" % engine)),
        "repositories": repositories(chosen.get("repositories") or [], engine),
        "conflicts": list(_strings(chosen.get("conflicts"), "%s conflicts" % engine)),
        "stacks": [],
        "messages": [],
    }
    accelerators = settings.get("accelerators", "auto")
    if accelerators not in ("auto", "none"):
        raise ValueError("container_runtime_accelerators must be auto or none, got %r" % (accelerators,))
    by_stack = _devices_by_stack(facts) if accelerators == "auto" else {}
    for stack in ("nvidia", "nvidia_jetson", "amd", "intel_gaudi", "intel_gpu"):
        devices = by_stack.get(stack)
        if not devices:
            continue
        entry = {
            "name": stack,
            "label": STACK_LABELS[stack],
            "count": len(devices),
            "pci_addresses": [device["pci_address"] for device in devices if device.get("pci_address")],
        }
        if stack in NODE_KINDS:
            entry.update(kind=NODE_KINDS[stack], generator="cdi_spec")
        else:
            toolkit = os_data.get("nvidia_toolkit") or {}
            if not toolkit:
                raise ValueError("NVIDIA's container toolkit has no data for %s: containers cannot reach the node's NVIDIA GPUs" % os_name)
            version = str(settings.get("nvidia_toolkit_version") or "")
            if not re.match(r"^[0-9]+\.[0-9]+\.[0-9]+$", version):
                raise ValueError("container_runtime_nvidia_toolkit_version must be a release such as 1.18.2, got %r" % version)
            packages = _strings(toolkit.get("packages"), "nvidia_toolkit packages")
            result["packages"] += [("%s=%s-*" if family == "apt" else "%s-%s-*") % (name, version) for name in packages]
            result["toolkit_version"] = version
            if not any(repo["name"] == "nvidia-container-toolkit" for repo in result["repositories"]):
                result["repositories"] += repositories(toolkit.get("repositories") or [], "NVIDIA container toolkit")
            entry.update(kind=NVIDIA_KIND, generator="nvidia-ctk", mode="csv" if stack == "nvidia_jetson" else "auto")
        result["stacks"].append(entry)
    registries = [registry(item, index) for index, item in enumerate(settings.get("registries") or [])]
    prefixes = [item["prefix"] for item in registries]
    twice = sorted({prefix for prefix in prefixes if prefixes.count(prefix) > 1})
    if twice:
        raise ValueError("container_runtime_registries lists %s twice; give each prefix once" % ", ".join(twice))
    result["registries"] = registries
    search = _strings(settings.get("unqualified_search_registries"), "container_runtime_unqualified_search_registries")
    for name in search:
        if not _REGISTRY_RE.match(name):
            raise ValueError("container_runtime_unqualified_search_registries: %r must be a registry host, without a scheme" % name)
    result["search_registries"] = search
    result["registry_urls"] = registry_urls(engine, registries, search)
    result["boundary_urls"] = [
        {"name": repo["name"], "url": url} for repo in result["repositories"] for url in repo["uris"] + ([repo["key_url"]] if repo["key_url"] else [])
    ]
    install = sorted(set(result["packages"]))
    result["summary"] = "%s from the %s source (%s)%s" % (
        engine,
        source,
        ", ".join(install),
        "; accelerators: %s" % ", ".join("%s x%d (%s)" % (s["name"], s["count"], s["kind"]) for s in result["stacks"])
        if result["stacks"]
        else "; no accelerators",
    )
    return result


def engine_cdi(engine, version, requested):
    """Whether the engine at ``version`` reads CDI specs, and why (the message when it does not)."""
    since = CDI_SINCE[engine]
    if requested == "never":
        return False, "container_runtime_cdi is never"
    if version is None:
        return False, "the %s version is unknown" % engine
    if tuple(version[:2]) >= since:
        return True, "%s %s reads CDI specs" % (engine, _version_text(version))
    reason = "%s %s reads no CDI specs (CDI needs %s %d.%d or later)" % (engine, _version_text(version), engine, since[0], since[1])
    if requested == "always":
        raise ValueError("container_runtime_cdi is always, but %s" % reason)
    return False, reason


def _verdict(verdicts, url):
    """``(allowed, reason)`` of a URL. Without a policy (``verdicts`` None) everything is allowed; under one, a URL
    that was not decided is denied, so that a run whose tags skipped the boundary check cannot configure it."""
    if verdicts is None:
        return True, None
    verdict = verdicts.get(url)
    if verdict is None:
        return False, "%s was not decided against the boundary policy (was the boundary check skipped?)" % url
    return bool(verdict.get("allowed")), verdict.get("reason")


def registry_plan(engine, registries, verdicts, search=()):
    """Each registry as the boundary allows it: mirrors, and whether pulls may fall back to the registry itself."""
    planned = []
    for item in registries:
        entry = dict(item, mirrors=[dict(m) for m in item["mirrors"]], mirror_only=False)
        if engine == "docker" and item["location"] != item["prefix"]:
            raise ValueError(
                "Docker Engine cannot send %s to another location (%s): pull it by that name, or use podman or containerd" % (item["prefix"], item["location"])
            )
        for mirror in entry["mirrors"]:
            allowed, reason = _verdict(verdicts, registry_url(mirror["location"], mirror["insecure"]))
            if not allowed:
                raise ValueError("the mirror %s of %s is outside this node's data boundary: %s" % (mirror["location"], item["prefix"], reason))
        upstream = upstream_of(engine, item)
        allowed, reason = _verdict(verdicts, registry_url(upstream, item["insecure"]))
        if not allowed:
            if not entry["mirrors"]:
                raise ValueError(
                    "the registry %s (%s) is outside this node's data boundary, and has no mirror inside it: %s. Give it an in-region mirror, "
                    "or leave it out" % (item["prefix"], upstream, reason)
                )
            if engine == "docker":
                raise ValueError(
                    "the registry %s is outside this node's data boundary (%s). Docker Engine falls back to a registry when its "
                    "mirrors fail and cannot be told not to, so it cannot keep pulls inside the boundary: use podman or containerd, "
                    "or block %s at the network" % (item["location"], reason, item["location"])
                )
            entry["mirror_only"] = True
            entry["boundary_reason"] = reason
        if item["blocked"] and engine == "containerd":
            if not entry["mirrors"]:
                raise ValueError("containerd cannot block a registry without mirrors (%s is blocked in container_runtime_registries)" % item["prefix"])
            # containerd blocks nothing itself; with the first mirror as its server, pulls never reach the registry.
            entry["mirror_only"] = True
        planned.append(entry)
    held = {item["prefix"] for item in planned if item["mirror_only"]}
    for name in search if engine == "podman" else ():
        allowed, reason = _verdict(verdicts, registry_url(name))
        if not allowed and name not in held:
            raise ValueError(
                "the search registry %s is outside this node's data boundary (%s): podman would pull short names from it. Leave it out of "
                "container_runtime_unqualified_search_registries, or give it in-region mirrors in container_runtime_registries" % (name, reason)
            )
    return planned


def _podman(registries, search):
    """podman's registries drop-in: one [[registry]] per prefix; a registry outside the boundary is blocked.

    podman checks ``blocked`` against the registry it is about to contact, so a blocked prefix still uses its mirrors
    and never reaches its location. A location other than the prefix is a registry of its own there: it gets an entry
    that blocks it too, unless another entry is given for it.
    """
    entries = []
    prefixes = {item["prefix"] for item in registries}
    for item in registries:
        blocked = item["blocked"] or item["mirror_only"]
        entries.append({"prefix": item["prefix"], "location": item["location"], "insecure": item["insecure"], "blocked": blocked, "mirrors": item["mirrors"]})
        if blocked and item["location"] != item["prefix"] and item["location"] not in prefixes:
            entries.append({"prefix": item["location"], "location": item["location"], "insecure": item["insecure"], "blocked": True, "mirrors": []})
    return {"registries": entries, "search": search}


def _docker(stacks, cdi, version, registries, nvidia_default):
    settings, messages = {}, []
    if cdi:
        settings["features"] = {"cdi": True}
    if any(stack["generator"] == "nvidia-ctk" for stack in stacks):
        settings["runtimes"] = {"nvidia": {"path": "nvidia-container-runtime", "args": []}}
        if nvidia_default:
            settings["default-runtime"] = "nvidia"
    mirrors, insecure = [], []
    for item in registries:
        if item["prefix"] == DOCKER_HUB:
            mirrors += ["%s://%s" % (_scheme(m["insecure"]), _host(m["location"])) for m in item["mirrors"]]
            if any(_REGISTRY_RE.match(m["location"]).group("path") for m in item["mirrors"]):
                messages.append("Docker takes a mirror of Docker Hub as a host only: the path of the docker.io mirror is dropped.")
        elif item["mirrors"]:
            messages.append(
                "Docker Engine mirrors only Docker Hub: the mirrors of %s are not configured for Docker (pull from the mirror's own name)." % item["prefix"]
            )
        insecure += [_host(m["location"]) for m in item["mirrors"] if m["insecure"]]
        if item["insecure"]:
            insecure.append(_host(item["location"]))
        if item["blocked"]:
            raise ValueError("Docker Engine cannot block a registry (%s is blocked in container_runtime_registries): use podman or containerd" % item["prefix"])
    if registries:
        # The role owns these two keys once it is given registries; without, the operator's stay as they are.
        settings["registry-mirrors"] = mirrors
        settings["insecure-registries"] = sorted(set(insecure))
    return {"settings": settings, "messages": messages, "validate": version is not None and tuple(version[:2]) >= (23, 0)}


def containerd_version_of_file(text):
    """The ``version`` a containerd config.toml declares at its top level, or None where it declares none."""
    top = re.split(r"^\s*\[", text or "", maxsplit=1, flags=re.MULTILINE)[0]
    match = re.search(r"^\s*version\s*=\s*([0-9]+)\s*(#.*)?$", top, re.MULTILINE)
    return int(match.group(1)) if match else None


def containerd_disabled_plugins(text):
    """The top-level ``disabled_plugins`` list of a config.toml (written on one line, as containerd.io ships it)."""
    top = re.split(r"^\s*\[", text or "", maxsplit=1, flags=re.MULTILINE)[0]
    match = re.search(r"^\s*disabled_plugins\s*=\s*\[(.*)\]\s*(#.*)?$", top, re.MULTILINE)
    if not match:
        if re.search(r"^\s*disabled_plugins\s*=", top, re.MULTILINE):
            raise ValueError("containerd's config.toml spreads disabled_plugins over several lines; put it on one line")
        return None
    return re.findall(r'"([^"]*)"', match.group(1))


def _containerd(stacks, cdi, version, config_text, registries, nvidia_default):
    major = version[0] if version else 1
    declared = containerd_version_of_file(config_text)
    settings = {}
    if declared is None:
        # A file without a version line is read as version 1 by containerd 1.x. Only one without plugin tables (empty,
        # or containerd.io's with just disabled_plugins) can take version 2 without losing the operator's settings.
        if re.search(r"^\s*\[plugins", config_text or "", re.MULTILINE):
            raise ValueError(
                "containerd's config.toml has plugin tables but no version line, so containerd 1.x reads it as version 1, whose tables this "
                "role does not write: add `version = 2` after moving them to version 2's names, or migrate it with `containerd config migrate`"
            )
        declared = 2
        settings["version"] = 2
    disabled = containerd_disabled_plugins(config_text)
    cri_names = ("cri", "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images")
    if disabled and any(name in cri_names for name in disabled):
        # Docker's containerd.io ships the CRI plugin disabled; a Kubernetes node needs it, and CDI lives in it.
        settings["disabled_plugins"] = [name for name in disabled if name not in cri_names]
    if declared not in CONTAINERD_TABLES and not (declared == 4 and major >= 2):
        raise ValueError(
            "containerd's config.toml declares version %s, which this role does not write (it writes versions 2 and 3): "
            "migrate it with `containerd config migrate` (containerd 2) or regenerate it" % declared
        )
    runtime_table, images_table = CONTAINERD_TABLES[3 if declared >= 3 else 2]
    runtime = {}
    if cdi:
        runtime.update(enable_cdi=True, cdi_spec_dirs=list(CDI_DIRS))
    if any(stack["generator"] == "nvidia-ctk" for stack in stacks):
        runtime["containerd"] = {
            "runtimes": {"nvidia": {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": NVIDIA_RUNTIME}}},
        }
        if nvidia_default:
            runtime["containerd"]["default_runtime_name"] = "nvidia"
    # The hosts directory is set once the role is given registries; without, the operator's stays as it is.
    images = {"registry": {"config_path": CERTS_DIR}} if registries else {}
    plugins = {}
    if runtime_table == images_table:
        plugins[runtime_table] = dict(runtime, **images)
    else:
        plugins[runtime_table] = runtime
        if images:
            plugins[images_table] = images
    settings["plugins"] = {table: values for table, values in plugins.items() if values}
    hosts = {}
    for item in registries:
        if not item["mirrors"] and item["location"] == item["prefix"] and not item["insecure"]:
            continue
        host_dir = _host(item["prefix"])
        if "/" in item["prefix"]:
            raise ValueError(
                "containerd maps whole registry hosts, not paths: container_runtime_registries prefix %s has a path; give the host alone for containerd"
                % item["prefix"]
            )
        # hosts.toml takes override_path only in [host] tables (containerd 1.7 refuses the whole file, and then falls
        # back to the registry itself, when the server has one): a location with a path is a host entry too.
        hosts_list = [(mirror["location"], mirror["insecure"]) for mirror in item["mirrors"]]
        location_path = _REGISTRY_RE.match(item["location"]).group("path")
        if location_path and not item["mirror_only"]:
            hosts_list.append((item["location"], item["insecure"]))
        servers = []
        for location, insecure in hosts_list:
            url, override = containerd_endpoint(location, insecure)
            host = {"capabilities": ["pull", "resolve"]}
            if insecure:
                host["skip_verify"] = True
            if override:
                host["override_path"] = True
            servers.append((url, host))
        # containerd falls back to the server once the hosts have failed. A registry outside the boundary gets its
        # first mirror as the server, so nothing falls back to the registry itself. A server with a path is asked at
        # <path>/v2/..., which a mirror serving that namespace under /v2/<path> answers with "not found": the pull
        # ends inside the boundary instead of landing in another namespace of the mirror.
        first = item["mirrors"][0] if item["mirror_only"] else item
        server, insecure = "%s://%s" % (_scheme(first["insecure"]), first["location"]), first["insecure"]
        if not item["mirror_only"] and item["location"] == DOCKER_HUB:
            server = "https://registry-1.docker.io"
        data = {"server": server}
        if insecure:
            data["skip_verify"] = True
        if servers:
            data["host"] = dict(servers)
        hosts[host_dir] = data
    return {"settings": settings, "hosts": hosts, "file_version": declared, "images_table": images_table}


def configure(plan_data, version_text, verdicts=None, config_text=None, nvidia_default=False):
    """The engine's configuration on one node, once its version is known (``version_text`` is what it printed)."""
    if not isinstance(plan_data, Mapping) or "engine" not in plan_data:
        raise ValueError("the input must be the output of container_runtime_plan")
    engine = plan_data["engine"]
    version = parse_version(version_text)
    cdi, cdi_reason = engine_cdi(engine, version, plan_data.get("cdi", "auto"))
    stacks = []
    messages = []
    for stack in plan_data["stacks"]:
        entry = dict(stack)
        if cdi:
            entry["method"] = "cdi"
            entry["run_args"] = ["--device", "%s=all" % stack["kind"]]
        elif stack["generator"] == "nvidia-ctk" and engine in ("docker", "containerd"):
            entry["method"] = "runtime"
            entry["run_args"] = ["--runtime", "nvidia", "--env", "NVIDIA_VISIBLE_DEVICES=all"] if engine == "docker" else []
            messages.append("%s: %s, so NVIDIA GPUs reach containers through NVIDIA's runtime (nvidia-container-runtime)." % (stack["name"], cdi_reason))
        else:
            entry["method"] = "devices"
            entry["run_args"] = []
            messages.append(
                "%s: %s, so containers reach these devices only through --device flags for their nodes (%s)." % (stack["name"], cdi_reason, stack["kind"])
            )
        stacks.append(entry)
    toolkit = parse_version(plan_data.get("toolkit_version"))
    if cdi and toolkit and toolkit >= NVIDIA_CDI_07 and any(stack["generator"] == "nvidia-ctk" for stack in stacks):
        since = CDI_07_SINCE.get(engine)
        if since and tuple(version[:2]) < since:
            raise ValueError(
                "NVIDIA Container Toolkit %s writes CDI specs of version 0.7.0 (additionalGids), which %s %s cannot read "
                "(it needs %s %d.%d): pin container_runtime_nvidia_toolkit_version to a 1.18 release"
                % (plan_data["toolkit_version"], engine, _version_text(version), engine, since[0], since[1])
            )
        if engine == "docker":
            messages.append(
                "NVIDIA Container Toolkit %s writes CDI specs of version 0.7.0; if Docker %s gives containers no GPU, pin a 1.18 release."
                % (plan_data["toolkit_version"], _version_text(version))
            )
    registries = registry_plan(engine, plan_data.get("registries") or [], verdicts, plan_data.get("search_registries") or [])
    result = {"engine": engine, "version": _version_text(version), "cdi": cdi, "cdi_reason": cdi_reason, "stacks": stacks, "messages": messages}
    result["quadlet"] = engine == "podman" and version is not None and tuple(version[:2]) >= QUADLET_SINCE
    if engine == "podman" and not result["quadlet"]:
        messages.append(
            "podman %s has no Quadlet (4.4 and later): containers run as systemd services only through podman generate systemd." % result["version"]
        )
    nvidia_default = _bool(nvidia_default, "container_runtime_nvidia_default_runtime")
    if engine == "podman":
        result["podman"] = _podman(registries, plan_data.get("search_registries") or [])
    elif engine == "docker":
        result["docker"] = _docker(stacks, cdi, version, registries, nvidia_default)
        messages += result["docker"].pop("messages")
        if cdi and version and tuple(version[:2]) >= DOCKER_CDI_DEFAULT:
            messages.append("Docker %s reads CDI specs by default; features.cdi is set all the same." % _version_text(version))
    else:
        result["containerd"] = _containerd(stacks, cdi, version, config_text, registries, nvidia_default)
    result["mirror_only"] = [item["prefix"] for item in registries if item.get("boundary_reason")]
    return result


def auth_settings(auth, engine, images_table=None):
    """The keys an engine's credentials file takes for ``auth`` (registry host -> username and password).

    podman's auth.json and Docker's config.json hold ``auths`` with base64 ``user:password`` (Docker Hub under its
    historical key); containerd's config.toml holds them under the CRI plugin's ``registry.configs``.
    """
    if not auth:
        return {}
    if not isinstance(auth, Mapping):
        raise ValueError("container_runtime_registry_auth must map registry hosts to {username, password}")
    entries = {}
    for host, credentials in auth.items():
        if not isinstance(host, str) or not _REGISTRY_RE.match(host) or "/" in host:
            raise ValueError("container_runtime_registry_auth: %r is not a registry host (with an optional port)" % (host,))
        if not isinstance(credentials, Mapping) or set(credentials) != {"username", "password"}:
            raise ValueError("container_runtime_registry_auth[%s] must have exactly username and password" % host)
        username, password = credentials["username"], credentials["password"]
        if not isinstance(username, str) or not username or ":" in username or not isinstance(password, str) or not password:
            raise ValueError("container_runtime_registry_auth[%s]: username (without ':') and password must be non-empty strings" % host)
        entries[host] = (username, password)
    if engine == "containerd":
        # The CRI plugin looks logins up by the host it contacts: Docker Hub's is registry-1.docker.io.
        configs = {
            ("registry-1.docker.io" if host == DOCKER_HUB else host): {"auth": {"username": user, "password": password}}
            for host, (user, password) in entries.items()
        }
        return {"plugins": {images_table or CONTAINERD_TABLES[2][1]: {"registry": {"configs": configs}}}}
    auths = {}
    for host, (user, password) in entries.items():
        key = "https://index.docker.io/v1/" if engine == "docker" and host == DOCKER_HUB else host
        auths[key] = {"auth": base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")}
    return {"auths": auths}


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key):
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value, where):
    """One TOML value: a string, number, boolean, or a list of them (JSON's string escapes are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("%s is %r, which containers.conf cannot hold" % (where, value))
        return repr(value)
    if isinstance(value, str):
        # JSON leaves DEL as it is; TOML wants it escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_toml_value(item, "%s[%d]" % (where, index)) for index, item in enumerate(value))
    if value is None:
        raise ValueError("%s has no value (null): TOML has none; leave the key out" % where)
    raise ValueError("%s is a %s: give a string, number, boolean or list, or a table of them" % (where, type(value).__name__))


def podman_settings_toml(settings):
    """container_runtime_podman_settings as a containers.conf drop-in: tables of values, one level of sub-tables."""
    if not isinstance(settings, Mapping):
        raise ValueError("container_runtime_podman_settings must map containers.conf tables to their keys")
    lines = []
    for table, values in settings.items():
        where = "container_runtime_podman_settings.%s" % table
        if not isinstance(values, Mapping):
            raise ValueError("%s must be a table of keys (such as {runtime: runc} for engine), not %s" % (where, type(values).__name__))
        lines += ["", "[%s]" % _toml_key(str(table))]
        for key, value in values.items():
            if not isinstance(value, Mapping):
                lines.append("%s = %s" % (_toml_key(str(key)), _toml_value(value, "%s.%s" % (where, key))))
        for key, sub in values.items():
            if isinstance(sub, Mapping):
                lines += ["", "[%s.%s]" % (_toml_key(str(table)), _toml_key(str(key)))]
                for subkey, value in sub.items():
                    if isinstance(value, Mapping):
                        raise ValueError("%s.%s.%s is a table three levels deep, which this drop-in does not write" % (where, key, subkey))
                    lines.append("%s = %s" % (_toml_key(str(subkey)), _toml_value(value, "%s.%s.%s" % (where, key, subkey))))
    return "\n".join(lines).lstrip("\n") + "\n"
