# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
short_description: Hosts grouped by accelerator vendor, silicon class and region
version_added: 0.1.0
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
description:
  - Builds an inventory from what M(horizon.ai_platform.accelerator_facts) found on each host, read either from a
    fleet report written by M(horizon.ai_platform.fleet_report) or from an Ansible C(jsonfile) fact cache.
  - Puts every host in the groups C(vendor_<vendor>) (one per accelerator vendor), C(silicon_<class>) (for example
    C(silicon_nvidia_hopper), C(silicon_cpu), C(silicon_mixed)) and C(region_<region>) (for example
    C(region_eu_central_1); C(region_unassigned) for hosts without a region). Group names are lower case with every
    character outside C([a-z0-9_]) replaced by C(_).
  - Sets the host variables C(horizon_accelerators) (the facts), C(horizon_silicon_class) and, when the region is
    known, C(horizon_region). All of them are marked unsafe, so they are never templated.
  - The configuration file name must end with C(fleet.yml) or C(fleet.yaml), for example C(gpu.fleet.yml).
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: Marks the file as configuration for this plugin.
    type: str
    required: true
    choices: [horizon.ai_platform.fleet]
  source:
    description:
      - Where to read the hosts from.
      - V(report) reads the JSON report at O(report_path).
      - V(fact_cache) reads the C(jsonfile) fact cache directory at O(fact_cache_path); hosts whose cached facts hold
        no accelerator facts are skipped with a warning.
    type: str
    choices: [report, fact_cache]
    default: report
  report_path:
    description:
      - Fleet report JSON file written by M(horizon.ai_platform.fleet_report).
      - Required when O(source=report). C(~) and environment variables are expanded; a relative path is relative to
        the directory of this configuration file.
    type: str
  fact_cache_path:
    description:
      - Directory of an Ansible C(jsonfile) fact cache (C(fact_caching_connection)), one JSON file per host named after it.
      - The facts are taken from the key C(accelerators) or C(ansible_accelerators), the region from C(horizon_region)
        if it was cached (for example by M(ansible.builtin.set_fact) with O(ansible.builtin.set_fact#module:cacheable=true)).
      - Required when O(source=fact_cache). C(~) and environment variables are expanded; a relative path is relative to
        the directory of this configuration file.
      - Cache expiry (C(fact_caching_timeout)) is not applied; every file present is read.
    type: str
  host_facts:
    description:
      - How much of each host's accelerator facts goes into its C(horizon_accelerators) variable.
      - V(full) puts all of them, devices included.
      - V(summary) puts only the node-level keys C(count), C(vendors), C(silicon_class), C(driver_loaded),
        C(secure_boot), C(kernel) and C(virtualization). Groups are the same either way; inventories of many
        thousands of hosts load several times faster, because ansible-core copies every host variable.
    type: str
    choices: [full, summary]
    default: full
    version_added: 0.1.0
  fact_cache_prefix:
    description:
      - The C(fact_caching_prefix) the cache was written with. Only files whose names start with it are read, and it is
        removed from the file name to give the host name.
    type: str
    default: ""
notes:
  - The plugin reads and groups 10,000 hosts in about a second. ansible-core 2.19 and later then copy and tag every host
    variable it sets, which for 10,000 hosts with eight accelerators each adds several seconds. O(compose), O(groups) and
    O(keyed_groups) add the cost of templating per host.
seealso:
  - module: horizon.ai_platform.fleet_report
  - plugin: horizon.ai_platform.fleet_groups
    plugin_type: filter
"""

EXAMPLES = r"""
---
# gpu.fleet.yml: hosts from the last fleet report
plugin: horizon.ai_platform.fleet
report_path: reports/fleet-report.json

---
# cache.fleet.yml: hosts from the fact cache, with extra groups built from the facts
plugin: horizon.ai_platform.fleet
source: fact_cache
fact_cache_path: /var/cache/ansible/facts
compose:
  gpu_count: horizon_accelerators.count
groups:
  big_memory: (horizon_accelerators.devices | map(attribute='memory_mib') | select | sum) >= 1000000
keyed_groups:
  - key: horizon_accelerators.virtualization
    prefix: virt
"""

import json
import os

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.utils.unsafe_proxy import AnsibleUnsafeText, wrap_var

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet

_CONFIG_SUFFIXES = ("fleet.yml", "fleet.yaml")

# Since ansible-core 2.19 "unsafe" means "not tagged TrustedAsTemplate" and wrap_var() only strips that tag, so the
# AnsibleUnsafeText constructor hands back a plain str instead of an AnsibleUnsafeText. Values parsed here with json.loads carry no tags: they are
# already unsafe, and the deep walk (about 1.5 million calls for 10,000 hosts, several seconds) changes nothing.
# Older cores mark unsafe values by type, so there every value goes through wrap_var().
_WRAP_NEEDED = isinstance(AnsibleUnsafeText("probe"), AnsibleUnsafeText)


def _unsafe(value):
    return wrap_var(value) if _WRAP_NEEDED else value


_SOURCE_PATH_OPTION = {"report": "report_path", "fact_cache": "fact_cache_path"}


def _unwrap_legacy_unsafe(obj):
    """Older controllers may write unsafe strings to the fact cache as ``{"__ansible_unsafe": "..."}``."""
    if len(obj) == 1 and "__ansible_unsafe" in obj:
        return obj["__ansible_unsafe"]
    return obj


def _reject_constant(name):
    raise ValueError("%s is not allowed in JSON" % name)


def _load_json(path, what, object_hook=None):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"), object_hook=object_hook, parse_constant=_reject_constant)
    except FileNotFoundError:
        raise AnsibleParserError("%s %s does not exist" % (what, path)) from None
    except IsADirectoryError:
        raise AnsibleParserError("%s %s is a directory, expected a JSON file" % (what, path)) from None
    except UnicodeDecodeError as exc:
        raise AnsibleParserError("%s %s is not UTF-8 text: %s" % (what, path, exc)) from None
    except ValueError as exc:
        raise AnsibleParserError("%s %s is not valid JSON: %s" % (what, path, exc)) from None
    except OSError as exc:
        raise AnsibleParserError("cannot read %s %s: %s" % (what, path, to_native(exc))) from None


# The node-level keys kept in horizon_accelerators with host_facts=summary.
_SUMMARY_KEYS = ("count", "vendors", "silicon_class", "driver_loaded", "secure_boot", "kernel", "virtualization")


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Hosts from a fleet report or fact cache, grouped by vendor, silicon class and region."""

    NAME = "horizon.ai_platform.fleet"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(_CONFIG_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        source = self.get_option("source")
        option = _SOURCE_PATH_OPTION[source]
        location = self.get_option(option)
        if not location:
            raise AnsibleParserError("%s: option %s is required when source is %s" % (path, option, source))
        location = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(os.path.expandvars(location)))
        hosts = self._hosts_from_report(location) if source == "report" else self._hosts_from_fact_cache(location)
        self._populate(hosts)

    def _hosts_from_report(self, report_path):
        try:
            return _fleet.hosts_from_report(_load_json(report_path, "fleet report"), from_json=True)
        except (TypeError, ValueError) as exc:
            raise AnsibleParserError("fleet report %s: %s" % (report_path, exc)) from None

    def _hosts_from_fact_cache(self, cache_dir):
        if not os.path.isdir(cache_dir):
            raise AnsibleParserError("fact cache directory %s does not exist or is not a directory" % cache_dir)
        prefix = self.get_option("fact_cache_prefix") or ""
        hosts, skipped = [], []
        with os.scandir(cache_dir) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith(".") or not entry.name.startswith(prefix) or not entry.is_file():
                    continue
                name = entry.name[len(prefix) :]
                try:
                    facts = _load_json(entry.path, "fact cache file", object_hook=_unwrap_legacy_unsafe)
                except AnsibleParserError:
                    if not os.path.exists(entry.path):  # the cache replaced or expired it while we listed
                        continue
                    raise
                accelerators = _fleet.find_accelerator_facts(facts)
                if accelerators is None:
                    skipped.append(name)
                    continue
                try:
                    host = {"accelerators": accelerators, "horizon_region": facts.get("horizon_region")}
                    hosts.append(_fleet.normalise_host(name, host, from_json=True))
                except (TypeError, ValueError) as exc:
                    raise AnsibleParserError("fact cache file %s: %s" % (entry.path, exc)) from None
        if skipped:
            shown = ", ".join(skipped[:10]) + (" and %d more" % (len(skipped) - 10) if len(skipped) > 10 else "")
            self.display.warning("fleet inventory: %d host(s) in %s have no accelerator facts and were skipped: %s" % (len(skipped), cache_dir, shown))
        return hosts

    def _populate(self, hosts):
        inventory = self.inventory
        strict = self.get_option("strict")
        compose, groups, keyed_groups = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        summary = self.get_option("host_facts") == "summary"
        known_groups = set()
        for host in hosts:
            name = inventory.add_host(host["name"])
            for group in _fleet.group_names(host):
                if group not in known_groups:
                    inventory.add_group(group)
                    known_groups.add(group)
                inventory.add_child(group, name)
            facts = host["accelerators"]
            if summary:
                facts = {key: facts[key] for key in _SUMMARY_KEYS if key in facts}
            variables = {"horizon_accelerators": _unsafe(facts), "horizon_silicon_class": _unsafe(host["silicon_class"])}
            if host["region"] is not None:
                variables["horizon_region"] = _unsafe(host["region"])
            for key, value in variables.items():
                inventory.set_variable(name, key, value)
            if compose:
                self._set_composite_vars(compose, variables, name, strict=strict)
            if groups:
                self._add_host_to_composed_groups(groups, variables, name, strict=strict)
            if keyed_groups:
                self._add_host_to_keyed_groups(keyed_groups, variables, name, strict=strict)
