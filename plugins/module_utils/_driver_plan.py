# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private to horizon.ai_platform: which driver stack each node's silicon needs, and how to install it.

The ``accelerator_drivers`` role turns ``ansible_facts.accelerators`` (from accelerator_facts) and
the OS's data (the role's ``vars/<os>.yml``) into a plan: one *stack* per kind of silicon on the
node (``nvidia``, ``nvidia_jetson``, ``amd``, ``intel_gaudi``, ``intel_gpu``), each with its
repositories, packages, version pin, holds, services, kernel modules and vendor tool. ``plan()``
is a pure function that raises ``ValueError`` naming what is wrong; ``verify()`` compares the
devices the PCI scan found with those the vendor tool reports after the install. Both are used by
the role's filters and tested on their own for every OS and stack.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

STACKS = ("nvidia", "nvidia_jetson", "amd", "intel_gaudi", "intel_gpu")
STACK_LABELS = {
    "nvidia": "NVIDIA data-center GPU",
    "nvidia_jetson": "NVIDIA Jetson (JetPack)",
    "amd": "AMD Instinct (ROCm)",
    "intel_gaudi": "Intel Gaudi (habanalabs)",
    "intel_gpu": "Intel Data Center GPU (compute runtime and Level Zero)",
}
SOURCES = ("vendor", "distribution")
NVIDIA_MODULES = ("auto", "open", "proprietary")
KERNEL_STEPS = ("auto", "always", "never")
SECURE_BOOT = ("auto", "enabled", "disabled")
# How a stack's kernel modules are built, which decides who signs them under Secure Boot.
MODULE_BUILDS = ("dkms", "precompiled", "in-tree", "none")
FAMILIES = ("apt", "dnf")

# The keys a repository may carry, in the role's data and in an operator's override.
REPOSITORY_KEYS = (
    "name",
    "uris",
    "suites",
    "components",
    "architectures",
    "key_url",
    "key",
    "keyring",
    "fingerprints",
    "priority",
    "module_hotfixes",
    "repo_gpgcheck",
    "replaces",
    "note",
)
# The keys one source of a stack may carry.
SOURCE_KEYS = (
    "repositories",
    "prerequisites",
    "supersedes",
    "packages",
    "kernel_packages",
    "flavours",
    "versioned",
    "version",
    "module_stream",
    "pin",
    "fabric_manager",
    "persistenced",
    "dcgm",
    "services",
    "modules",
    "blacklist",
    "tool",
    "module_build",
    "secure_boot_source",
    "note",
)

# Open kernel modules need Turing or newer; Grace Hopper and Blackwell need them. Every GPU the open
# modules support has a PCI device ID of 0x1e02 (TU102) or above, and every older one (Volta GV100
# 0x1dbX, Pascal GP108 0x1d0X) lies below 0x1e00: an unknown NVIDIA device is placed by that line.
PRE_TURING = ("kepler", "maxwell", "pascal", "volta")
OPEN_REQUIRED = ("blackwell",)
# Grace Hopper is a Hopper GPU in the catalog; NVIDIA supports it with the open modules only.
OPEN_REQUIRED_MODELS = ("GH200",)
FIRST_TURING_ID = 0x1E00

_FINGERPRINT_RE = re.compile(r"^[0-9A-F]{40}$")


def _lower_hex(value):
    return str(value or "").lower()


def stack_of(device):
    """The stack a device of accelerator_facts needs, or None for a vendor no stack serves."""
    vendor = device.get("vendor")
    architecture = device.get("architecture") or ""
    if vendor == "nvidia":
        if architecture.startswith("jetson") or device.get("l4t") is not None or device.get("pci_address") is None:
            return "nvidia_jetson"
        return "nvidia"
    if vendor == "amd":
        return "amd"
    if vendor == "intel":
        if _lower_hex(device.get("vendor_id")) == "1da3" or architecture.startswith("gaudi"):
            return "intel_gaudi"
        return "intel_gpu"
    return None


def _is_pre_turing(device):
    architecture = device.get("architecture")
    if architecture:
        return architecture in PRE_TURING
    try:
        return int(device.get("device_id") or "0", 16) < FIRST_TURING_ID
    except ValueError:
        return False


def nvidia_flavour(devices, requested="auto"):
    """(flavour, reason) for NVIDIA's kernel modules on these devices: 'open' or 'proprietary'."""
    if requested not in NVIDIA_MODULES:
        raise ValueError("accelerator_drivers_nvidia_modules must be one of %s, got %r" % (", ".join(NVIDIA_MODULES), requested))
    old = sorted({d.get("model") or d.get("device_id") or "?" for d in devices if _is_pre_turing(d)})
    needs_open = sorted(
        {
            d.get("model") or d.get("device_id") or "?"
            for d in devices
            if (d.get("architecture") or "") in OPEN_REQUIRED or (d.get("model") or "").startswith(OPEN_REQUIRED_MODELS)
        }
    )
    if old and needs_open:
        raise ValueError(
            "this node mixes GPUs older than Turing (%s), which need the proprietary kernel modules, with GPUs that need the open ones (%s): "
            "no NVIDIA driver supports both" % (", ".join(old), ", ".join(needs_open))
        )
    if requested == "proprietary":
        if needs_open:
            raise ValueError("accelerator_drivers_nvidia_modules is 'proprietary', but %s only work with the open kernel modules" % ", ".join(needs_open))
        return "proprietary", "requested by accelerator_drivers_nvidia_modules"
    if requested == "open":
        if old:
            raise ValueError(
                "accelerator_drivers_nvidia_modules is 'open', but %s are older than Turing and need the proprietary kernel modules" % ", ".join(old)
            )
        return "open", "requested by accelerator_drivers_nvidia_modules"
    if old:
        return "proprietary", "%s older than Turing: the open kernel modules do not support them" % ", ".join(old)
    return "open", "every GPU is Turing or newer: NVIDIA's default, the open kernel modules"


def _strings(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ValueError("%s must be a list of strings, got %r" % (what, value))
    return [item for item in value if item]


def _unknown_keys(data, allowed, what):
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError("%s has unknown keys %s; allowed: %s" % (what, ", ".join(unknown), ", ".join(allowed)))


def repository(base, override, family, what, variable="accelerator_drivers_repositories"):
    """One repository: the role's data with the operator's override merged in, checked.

    ``variable`` is the role variable that takes overrides, named in the messages.
    """
    merged = dict(base)
    if override:
        if not isinstance(override, Mapping):
            raise ValueError("%s override must be a dictionary, got %s" % (what, type(override).__name__))
        _unknown_keys(override, REPOSITORY_KEYS, "%s override" % what)
        merged.update(override)
        # A key given as content replaces the URL the data carries, and the other way round.
        if override.get("key") and "key_url" not in override:
            merged.pop("key_url", None)
        if override.get("key_url") and "key" not in override:
            merged.pop("key", None)
    _unknown_keys(merged, REPOSITORY_KEYS, what)
    uris = _strings(merged.get("uris"), "%s uris" % what)
    if not uris:
        raise ValueError("%s has no uris" % what)
    for uri in uris:
        if not re.match(r"^(https?|file)://", uri):
            raise ValueError("%s uri %r must be an http://, https:// or file:// URL" % (what, uri))
    fingerprints = [re.sub(r"\s+", "", f).upper() for f in _strings(merged.get("fingerprints"), "%s fingerprints" % what)]
    for fingerprint in fingerprints:
        if not _FINGERPRINT_RE.match(fingerprint):
            raise ValueError("%s fingerprint %r is not a full 40-hex-digit OpenPGP fingerprint" % (what, fingerprint))
    key_url = merged.get("key_url") or ""
    key = merged.get("key") or ""
    keyring = merged.get("keyring") or ""
    if keyring and not (key_url or key):
        # The distribution's own archive: its keyring is a file its own package installed.
        if not keyring.startswith("/"):
            raise ValueError("%s keyring must be an absolute path, got %r" % (what, keyring))
    elif not (key_url or key):
        raise ValueError("%s has no signing key: give key_url or key (the role never turns signature checks off)" % what)
    elif not fingerprints:
        raise ValueError(
            "%s has no fingerprints: the role checks the signing key against them before it installs it, and knows no fingerprint for this "
            "key. Give the key's full fingerprint in %s['%s'].fingerprints, as `gpg --show-keys` prints it "
            "for the key you trust" % (what, variable, merged.get("name"))
        )
    if key and "BEGIN PGP PUBLIC KEY BLOCK" not in key:
        raise ValueError("%s key must be an ASCII-armored OpenPGP public key block" % what)
    result = {
        "name": str(merged.get("name") or ""),
        "uris": uris,
        "key_url": key_url,
        "key": key,
        "keyring": "" if (key_url or key) else keyring,
        "fingerprints": fingerprints,
        # Source files of the vendor's own set-up package (cuda-keyring, amdgpu-install) for the same repository:
        # apt refuses two entries for one URL with different Signed-By keys.
        "replaces": _strings(merged.get("replaces"), "%s replaces" % what),
    }
    if not re.match(r"^[a-z0-9][a-z0-9._-]*$", result["name"]):
        raise ValueError("%s name %r must be lower-case letters, digits, '.', '_' or '-'" % (what, result["name"]))
    if family == "apt":
        result["suites"] = _strings(merged.get("suites"), "%s suites" % what) or ["/"]
        result["components"] = _strings(merged.get("components"), "%s components" % what)
        result["architectures"] = _strings(merged.get("architectures"), "%s architectures" % what)
        if any(suite.endswith("/") for suite in result["suites"]) and result["components"]:
            raise ValueError("%s: a flat repository (suite ending in '/') takes no components" % what)
        if not any(suite.endswith("/") for suite in result["suites"]) and not result["components"]:
            raise ValueError("%s needs components for suites %s" % (what, ", ".join(result["suites"])))
    else:
        result["priority"] = merged.get("priority")
        result["module_hotfixes"] = bool(merged.get("module_hotfixes", False))
        # NVIDIA's container toolkit repository signs its metadata (repo_gpgcheck), not its packages.
        result["repo_gpgcheck"] = bool(merged.get("repo_gpgcheck", False))
    return result


def _support_line(supported):
    if not supported:
        return ""
    lines = []
    for stack in STACKS:
        systems = supported.get(stack) or []
        lines.append("%s: %s" % (stack, ", ".join(systems) if systems else "none"))
    return " Supported: " + "; ".join(lines) + "."


def _kernel_steps(facts, requested):
    if requested not in KERNEL_STEPS:
        raise ValueError("accelerator_drivers_kernel_steps must be one of %s, got %r" % (", ".join(KERNEL_STEPS), requested))
    virtualization = facts.get("virtualization")
    if requested == "never":
        return False, "accelerator_drivers_kernel_steps is 'never': kernel modules, headers, DKMS and initramfs are left alone"
    if requested == "always":
        return True, "accelerator_drivers_kernel_steps is 'always'"
    if virtualization == "container":
        return False, (
            "this host is a container: it has no kernel of its own to load modules into, so the kernel steps "
            "(kernel packages, headers, DKMS, module loading, nouveau, initramfs, Secure Boot signing, driver services) are skipped; "
            "the user-space packages are installed"
        )
    return True, "this host runs its own kernel (%s)" % {"vm": "a virtual machine", "none": "bare metal"}.get(virtualization, "bare metal")


def _boolean(value, name):
    """A boolean, also from the strings -e gives, by Ansible's own rules (true/false, yes/no, on/off, 1/0)."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError("%s must be a boolean, got %r" % (name, value)) from None


def _boolean_or_auto(value):
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return _boolean(value, "accelerator_drivers_nvidia_fabric_manager")
    except ValueError:
        raise ValueError("accelerator_drivers_nvidia_fabric_manager must be auto, true or false, got %r" % (value,)) from None


def _secure_boot_state(facts, requested):
    if requested not in SECURE_BOOT:
        raise ValueError("accelerator_drivers_secure_boot must be one of %s, got %r" % (", ".join(SECURE_BOOT), requested))
    if requested != "auto":
        return requested
    state = facts.get("secure_boot") or "unknown"
    return state if state in ("enabled", "disabled") else "unknown"


def _module_build(source, kernel_packages):
    build = source.get("module_build")
    if build is None:
        build = "dkms" if any("dkms" in name for name in kernel_packages) else ("none" if not kernel_packages else "in-tree")
    if build not in MODULE_BUILDS:
        raise ValueError("module_build must be one of %s, got %r" % (", ".join(MODULE_BUILDS), build))
    return build


def _signing(build, kernel_steps, secure_boot):
    """Who signs the stack's kernel modules: mok (the site's Machine Owner Key, for DKMS builds), vendor, distribution or none."""
    if not kernel_steps or secure_boot != "enabled":
        return "none"
    return {"dkms": "mok", "precompiled": "vendor", "in-tree": "distribution"}.get(build, "none")


def _devices_by_stack(facts):
    by_stack = {}
    for device in facts.get("devices") or []:
        stack = stack_of(device)
        if stack is not None:
            by_stack.setdefault(stack, []).append(device)
    return by_stack


def _device_line(device):
    return "%s %s" % (device.get("pci_address") or "(integrated)", device.get("model") or "%s:%s" % (device.get("vendor_id"), device.get("device_id")))


def _jetson_release(devices, requested):
    """The L4T apt branch (r36.4) of a Jetson board, checked against the release asked for."""
    release = None
    for device in devices:
        release = device.get("l4t") or release
    if not release:
        raise ValueError("this Jetson has no readable /etc/nv_tegra_release: the role will not guess its L4T release and risk the board's BSP")
    major = release["release"].lstrip("Rr")
    minor = str(release["revision"]).split(".", maxsplit=1)[0]
    branch = "r%s.%s" % (major, minor)
    if requested not in (None, "", "auto") and str(requested).lower().lstrip("r") != branch[1:]:
        raise ValueError(
            "accelerator_drivers_jetson_release is %r, but this board runs L4T %s (apt branch %s): JetPack's packages are only verified with "
            "the root filesystem of their own L4T release; moving between releases is a reflash or an OTA update, not a package install"
            % (requested, release["l4t_version"], branch)
        )
    return branch, release["l4t_version"]


# Jetson SoCs by architecture, as the L4T apt repository names its per-SoC suites.
JETSON_SOC_REPOS = {"jetson-orin": "t234", "jetson-xavier": "t194", "jetson-thor": "t264"}


def _jetson_soc(devices):
    for device in devices:
        soc = JETSON_SOC_REPOS.get(device.get("architecture") or "")
        if soc:
            return soc
    raise ValueError("this Jetson's SoC is not in the catalog (%s): the role cannot choose its L4T repository" % ", ".join(_device_line(d) for d in devices))


def _fill(base, tokens):
    """Replace {l4t_branch} and {soc} in a repository's URIs and suites (Jetson's repository follows the board)."""

    def fill(text):
        for token, value in tokens.items():
            if value is not None:
                text = text.replace("{%s}" % token, value)
        return text

    filled = dict(base)
    for key in ("uris", "suites"):
        value = base.get(key)
        if isinstance(value, str):
            filled[key] = fill(value)
        elif isinstance(value, (list, tuple)):
            filled[key] = [fill(item) if isinstance(item, str) else item for item in value]
    return filled


def _select_packages(name, source, flavour, options):
    """(user-space packages, kernel packages) of one stack's source."""
    flavours = source.get("flavours")
    if flavours:
        chosen = flavours.get(flavour)
        if chosen is None:
            raise ValueError("%s has no %s flavour on this OS" % (name, flavour))
        _unknown_keys(chosen, ("packages", "kernel_packages", "module_stream"), "%s %s flavour" % (name, flavour))
        packages = _strings(chosen.get("packages"), "%s %s packages" % (name, flavour))
        kernel = _strings(chosen.get("kernel_packages"), "%s %s kernel_packages" % (name, flavour))
    else:
        packages = _strings(source.get("packages"), "%s packages" % name)
        kernel = _strings(source.get("kernel_packages"), "%s kernel_packages" % name)
    for option in ("fabric_manager", "persistenced", "dcgm"):
        if options.get(option):
            packages = packages + _strings(source.get(option), "%s %s" % (name, option))
    return packages, kernel


def plan(facts, os_data, settings=None, supported=None):
    """The driver plan of one node: which stacks, from where, and what each installs.

    ``facts`` is ``ansible_facts.accelerators``; ``os_data`` the role's per-OS data (id, name, family,
    stacks); ``settings`` the role's options; ``supported`` maps each stack to the OS names that have
    data for it, for the message when this OS has none.
    """
    if not isinstance(facts, Mapping) or "devices" not in facts:
        raise ValueError("the accelerator facts are missing: run horizon.ai_platform.accelerator_facts first (ansible_facts.accelerators has no devices)")
    if not isinstance(os_data, Mapping) or not os_data.get("family"):
        raise ValueError("the OS data is missing its package family")
    settings = dict(settings or {})
    family = os_data["family"]
    if family not in FAMILIES:
        raise ValueError("unknown package family %r" % family)
    os_name = os_data.get("name") or os_data.get("id") or "this OS"
    by_stack = _devices_by_stack(facts)

    wanted = settings.get("stacks", "auto")
    if wanted in (None, "auto"):
        chosen = [stack for stack in STACKS if stack in by_stack]
    else:
        chosen = _strings(wanted, "accelerator_drivers_stacks")
        bad = [stack for stack in chosen if stack not in STACKS]
        if bad:
            raise ValueError("accelerator_drivers_stacks has unknown stacks %s; known: %s" % (", ".join(bad), ", ".join(STACKS)))
        missing = [stack for stack in chosen if stack not in by_stack]
        if missing:
            raise ValueError(
                "accelerator_drivers_stacks asks for %s, but the PCI scan found no such devices on this node (found: %s)"
                % (", ".join(missing), ", ".join(sorted(by_stack)) or "none, a CPU-only node")
            )

    kernel_steps, kernel_reason = _kernel_steps(facts, settings.get("kernel_steps", "auto"))
    secure_boot = _secure_boot_state(facts, settings.get("secure_boot", "auto"))
    result = {
        "os": os_data.get("id"),
        "os_name": os_name,
        "family": family,
        "kernel_steps": kernel_steps,
        "kernel_reason": kernel_reason,
        "secure_boot": secure_boot,
        "mok": False,
        "stacks": [],
        "messages": [],
    }
    overrides = settings.get("repositories") or {}
    if not isinstance(overrides, Mapping):
        raise ValueError("accelerator_drivers_repositories must be a dictionary of repository name to override")
    _check_override_names(overrides, settings.get("known_repositories"))
    if not chosen:
        skipped = sorted(set(by_stack))
        result["messages"].append(
            "no accelerator here that needs a driver stack (%s): nothing to install"
            % ("CPU-only node" if not facts.get("devices") else "stacks left out by accelerator_drivers_stacks: %s" % ", ".join(skipped))
        )
        return _summarize(result, family)

    os_stacks = os_data.get("stacks") or {}
    unsupported = [stack for stack in chosen if stack not in os_stacks]
    if unsupported:
        raise ValueError(
            "%s on %s is not supported: the vendor publishes no driver stack for this OS.%s"
            % (", ".join(STACK_LABELS[stack] for stack in unsupported), os_name, _support_line(supported))
        )

    sources = settings.get("sources") or {}
    used_names = set()
    # The NVIDIA options, read (and checked) once for the node.
    nvidia_options = {
        "persistenced": kernel_steps and _boolean(settings.get("nvidia_persistenced", True), "accelerator_drivers_nvidia_persistenced"),
        "dcgm": _boolean(settings.get("nvidia_dcgm", False), "accelerator_drivers_nvidia_dcgm"),
        "fabric_manager": _boolean_or_auto(settings.get("nvidia_fabric_manager", "auto")),
    }
    for stack in chosen:
        stack_data = os_stacks[stack]
        source_name = sources.get(stack) or stack_data.get("default_source") or "vendor"
        switched = None
        if kernel_steps and secure_boot == "enabled" and not sources.get(stack) and stack_data.get("secure_boot_source"):
            # Signed precompiled modules, where the OS has them, need no Machine Owner Key.
            switched, source_name = source_name, stack_data["secure_boot_source"]
        if source_name not in SOURCES:
            raise ValueError("accelerator_drivers_sources.%s must be one of %s, got %r" % (stack, ", ".join(SOURCES), source_name))
        available = stack_data.get("sources") or {}
        if source_name not in available:
            raise ValueError("%s on %s has no %s source; it has: %s" % (STACK_LABELS[stack], os_name, source_name, ", ".join(sorted(available)) or "none"))
        source = available[source_name]
        _unknown_keys(source, SOURCE_KEYS, "%s %s source on %s" % (stack, source_name, os_name))
        devices = by_stack[stack]
        entry = {
            "name": stack,
            "label": STACK_LABELS[stack],
            "source": source_name,
            "devices": [_device_line(device) for device in devices],
            "pci_addresses": sorted(d["pci_address"] for d in devices if d.get("pci_address")),
            "count": len(devices),
            "flavour": None,
            "flavour_reason": None,
            "tool": source.get("tool"),
            "note": source.get("note"),
        }
        options = {"fabric_manager": False, "persistenced": False, "dcgm": False}
        if stack == "nvidia":
            entry["flavour"], entry["flavour_reason"] = nvidia_flavour(devices, settings.get("nvidia_modules", "auto"))
            switches = int(facts.get("nvswitch_count") or 0)
            fabric = nvidia_options["fabric_manager"]
            options = dict(nvidia_options, fabric_manager=switches > 0 if fabric == "auto" else fabric)
            entry["nvswitch_count"] = switches
            if options["fabric_manager"] and not source.get("fabric_manager"):
                raise ValueError(
                    "%s on %s from the %s source has no Fabric Manager package, which this NVSwitch system needs" % (entry["label"], os_name, source_name)
                )
        if stack == "nvidia_jetson":
            entry["jetson_branch"], entry["l4t_version"] = _jetson_release(devices, settings.get("jetson_release"))
        packages, kernel = _select_packages(stack, source, entry["flavour"], options)
        entry["packages"] = packages
        entry["kernel_packages"] = kernel if kernel_steps else []
        entry["skipped_kernel_packages"] = [] if kernel_steps else kernel
        entry["version"] = source.get("version") or None
        entry["versioned"] = _strings(source.get("versioned"), "%s versioned" % stack)
        flavour_data = (source.get("flavours") or {}).get(entry["flavour"]) or {}
        entry["module_stream"] = flavour_data.get("module_stream") or source.get("module_stream") or None
        entry["prerequisites"] = _strings(source.get("prerequisites"), "%s prerequisites" % stack)
        # Installed packages of these patterns that the plan does not name belong to another branch: removed.
        entry["supersedes"] = _strings(source.get("supersedes"), "%s supersedes" % stack)
        entry["pin"] = dict(source["pin"]) if source.get("pin") else None
        services = source.get("services") or {}
        entry["services"] = [services[o] for o in ("persistenced", "fabric_manager", "dcgm") if options.get(o) and services.get(o)] if kernel_steps else []
        entry["modules"] = _strings(source.get("modules"), "%s modules" % stack) if kernel_steps else []
        entry["blacklist"] = _strings(source.get("blacklist"), "%s blacklist" % stack) if kernel_steps else []
        entry["options"] = options
        entry["module_build"] = _module_build(source, kernel)
        entry["signing"] = _signing(entry["module_build"], kernel_steps, secure_boot)
        if switched:
            result["messages"].append(
                "%s: Secure Boot is on, so the %s source's signed precompiled modules are used instead of the %s source's DKMS build."
                % (stack, source_name, switched)
            )
        if entry["signing"] == "mok":
            result["mok"] = True
        repositories = []
        tokens = {"l4t_branch": entry.get("jetson_branch"), "soc": _jetson_soc(devices) if stack == "nvidia_jetson" else None}
        for index, base in enumerate(source.get("repositories") or []):
            what = "%s repository %s" % (stack, base.get("name") or index)
            repo = repository(_fill(base, tokens), overrides.get(base.get("name")), family, what)
            if repo["name"] in used_names:
                raise ValueError("repository %s is used by two stacks; give each a name of its own" % repo["name"])
            used_names.add(repo["name"])
            repositories.append(repo)
        entry["repositories"] = repositories
        entry["install"] = install_specs(entry, family)
        entry["hold"] = hold_list(entry, family)
        result["stacks"].append(entry)
        if not kernel_steps and kernel:
            result["messages"].append("%s: kernel packages left out: %s." % (stack, ", ".join(kernel)))
    return _summarize(result, family)


def _check_override_names(overrides, known):
    """An override must name a repository of some OS's data: fleet-wide overrides name others' too, a typo names none."""
    if known is None:
        return
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValueError(
            "accelerator_drivers_repositories names %s, which is no repository of this role (they are: %s)" % (", ".join(unknown), ", ".join(sorted(known)))
        )


def _versioned(entry, package):
    if not entry["version"]:
        return False
    patterns = entry["versioned"] or ["*"]
    return any(re.fullmatch(pattern.replace(".", r"\.").replace("*", ".*"), package) for pattern in patterns)


def install_specs(entry, family):
    """The package specs to install: apt's ``name=version-glob`` and dnf's ``name-version-glob`` for pinned packages.

    On dnf a module stream (RHEL 9) pins the branch by itself, and its packages are installed by name; elsewhere
    the spec pins it even when the holds are released.
    """
    specs = []
    for package in entry["packages"] + entry["kernel_packages"]:
        if not _versioned(entry, package) or (family == "dnf" and entry.get("module_stream")):
            specs.append(package)
        else:
            specs.append(("%s=%s" if family == "apt" else "%s-%s") % (package, entry["version"]))
    return specs


def hold_list(entry, family):
    """What holds the stack against accidental upgrades: package names (apt-mark hold) or versionlock specs (dnf)."""
    names = entry["packages"] + entry["kernel_packages"]
    if family == "apt":
        return names
    return ["%s-%s" % (package, entry["version"]) if _versioned(entry, package) else package for package in names]


def _summarize(result, family):
    result["repositories"] = [repo for stack in result["stacks"] for repo in stack["repositories"]]
    # What the node will fetch from: each repository's URLs and its key's, for the data-boundary check.
    result["boundary_urls"] = [
        {"name": repo["name"], "url": url} for repo in result["repositories"] for url in repo["uris"] + ([repo["key_url"]] if repo["key_url"] else [])
    ]
    result["install"] = [spec for stack in result["stacks"] for spec in stack["install"]]
    result["hold"] = [name for stack in result["stacks"] for name in stack["hold"]]
    result["services"] = [name for stack in result["stacks"] for name in stack["services"]]
    result["modules"] = [name for stack in result["stacks"] for name in stack["modules"]]
    result["supersedes"] = [pattern for stack in result["stacks"] for pattern in stack["supersedes"]]
    result["keep"] = [name for stack in result["stacks"] for name in stack["prerequisites"] + stack["packages"] + stack["kernel_packages"]]
    result["blacklist"] = sorted({name for stack in result["stacks"] for name in stack["blacklist"]})
    mok = [stack["name"] for stack in result["stacks"] if stack.get("signing") == "mok"]
    if mok:
        result["messages"].append(
            "Secure Boot is on: the DKMS modules of %s are signed with the site's Machine Owner Key, which must be enrolled." % ", ".join(mok)
        )
    elif result.get("secure_boot") == "unknown" and result["kernel_steps"] and any(stack.get("module_build") == "dkms" for stack in result["stacks"]):
        result["messages"].append(
            "The Secure Boot state is unknown (no EFI variable): DKMS modules are not signed. If Secure Boot is on, set "
            "accelerator_drivers_secure_boot: enabled."
        )
    result["summary"] = (
        "; ".join(
            "%s from the %s source (%d device%s%s)"
            % (s["name"], s["source"], s["count"], "" if s["count"] == 1 else "s", ", %s kernel modules" % s["flavour"] if s["flavour"] else "")
            for s in result["stacks"]
        )
        or result["messages"][0]
    )
    return result


def verify(stack, facts):
    """Compare a stack's PCI-scan devices with what its vendor tool reports after the install.

    ``stack`` is one entry of plan()["stacks"]; ``facts`` the accelerator facts gathered after the
    install with the vendor tools run. Returns a dict with ``ok``, ``message``, ``pci`` (the scan's
    devices) and ``tool`` (the tool's devices).
    """
    tool = stack.get("tool")
    wanted = set(stack.get("pci_addresses") or [])
    devices = [d for d in facts.get("devices") or [] if stack_of(d) == stack["name"]]
    pci = [_device_line(d) for d in devices]
    report = {"stack": stack["name"], "tool": tool, "pci": pci, "reported": [], "ok": False}
    if stack["name"] == "nvidia_jetson":
        release = next((d.get("l4t") for d in devices if d.get("l4t")), None)
        report["ok"] = bool(devices) and release is not None and release["l4t_version"] == stack.get("l4t_version")
        report["reported"] = ["L4T %s" % release["l4t_version"]] if release else []
        report["message"] = (
            "Jetson: L4T %s, as before the install" % stack.get("l4t_version")
            if report["ok"]
            else "Jetson: the L4T release changed or cannot be read after the install (was %s, now %s)"
            % (stack.get("l4t_version"), report["reported"] or "unreadable")
        )
        return report
    run = (facts.get("tools") or {}).get(tool) if tool else None
    if tool and run is None and stack["name"] == "amd":
        # amd-smi supersedes rocm-smi where both are installed; either is the AMD tool.
        for other in ("amd-smi", "rocm-smi"):
            if (facts.get("tools") or {}).get(other):
                tool, run = other, facts["tools"][other]
                break
    report["tool"] = tool
    if run is None:
        report["message"] = "%s: %s did not run after the install (not installed, or not on the PATH)" % (stack["name"], tool)
        return report
    if run.get("status") != "ok":
        error = run.get("error") or "failed"
        report["reported"] = []
        hint = ""
        if re.search(r"driver/library version mismatch", error, re.IGNORECASE):
            report["mismatch"] = True
            hint = " The loaded kernel module is older than the user-space library: a reboot (or reloading the modules) fixes it."
        report["message"] = "%s: %s failed after the install, so it sees none of the %d device%s the PCI scan found: %s.%s" % (
            stack["name"],
            tool,
            len(wanted),
            "" if len(wanted) == 1 else "s",
            error,
            hint,
        )
        return report
    seen = run.get("devices") or []
    report["reported"] = ["%s %s" % (d.get("pci_address"), d.get("product_name") or "") for d in seen]
    reported_addresses = {d.get("pci_address") for d in seen}
    missing = sorted(wanted - reported_addresses)
    extra = sorted(reported_addresses - wanted)
    scanned_ids = {d.get("pci_address"): d.get("device_id") for d in devices}
    # Where the tool reports the device ID (nvidia-smi does), the model must match the scan's too.
    other_models = sorted(
        "%s (PCI scan %s, %s %s)" % (d["pci_address"], scanned_ids[d["pci_address"]], tool, d["device_id"])
        for d in seen
        if d.get("device_id") and d.get("pci_address") in scanned_ids and scanned_ids[d["pci_address"]] not in (None, d["device_id"])
    )
    report["missing"], report["extra"], report["other_models"] = missing, extra, other_models
    if other_models and not (missing or extra):
        report["message"] = "%s: %s reports other devices than the PCI scan at %s." % (stack["name"], tool, ", ".join(other_models))
        return report
    if missing or extra:
        report["message"] = "%s: %s sees %d device%s, the PCI scan %d. Missing from %s: %s. Not in the PCI scan: %s." % (
            stack["name"],
            tool,
            len(seen),
            "" if len(seen) == 1 else "s",
            len(wanted),
            tool,
            ", ".join(missing) or "none",
            ", ".join(extra) or "none",
        )
        return report
    report["ok"] = True
    report["message"] = "%s: %s sees every device the PCI scan found (%s)" % (stack["name"], tool, ", ".join(pci))
    return report


def stale_locks(lines, plan):
    """The versionlock entries that hold a stack's packages at another release than the plan's.

    ``lines`` is ``dnf versionlock list``; an entry is ``name-[epoch:]version[-release...]`` or a raw
    pattern the role added (``name-580.*``). After a change of branch or release these must go, or
    dnf would keep the old one.
    """
    stale = []
    for stack in plan.get("stacks") or []:
        version = stack.get("version")
        names = sorted(set(stack.get("packages", []) + stack.get("kernel_packages", [])), key=len, reverse=True)
        if not version and not stack.get("module_stream"):
            continue
        wanted = version or "%s.*" % str(stack["module_stream"]).split(":", 1)[1].split("-", 1)[0]
        for line in lines or []:
            entry = line.strip()
            name = next((n for n in names if entry.startswith(n + "-")), None)
            if name is None:
                continue
            # What follows the name must be a version: nvidia-driver-cuda-libs-... is another package.
            version_part = re.match(r"^(?:\d+:)?(\d\S*)$", entry[len(name) + 1 :])
            if version_part is None:
                continue
            rest = version_part.group(1)
            if not fnmatch.fnmatch(rest, wanted) and not fnmatch.fnmatch(rest.split("-", 1)[0], wanted):
                stale.append(entry)
    return sorted(set(stale))
