# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's defaults, vars/main.yml and one per-OS vars file, templated by ansible-core's own Templar."""

from __future__ import annotations

from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"


def role_vars(role, os_file, facts, extra=None):
    """Every variable the role sees on a host with these ``ansible_facts``, after the OS file is loaded."""
    base = ROLES / role
    loader = DataLoader()
    variables = {}
    for path in (base / "defaults" / "main.yml", base / "vars" / "main.yml", base / "vars" / os_file):
        # As ansible-playbook loads a role's files: their strings are templates.
        variables.update(loader.load_from_file(str(path), trusted_as_template=True) or {})
    variables.update(extra or {})
    variables["ansible_facts"] = facts
    variables["role_path"] = str(base)
    return Templar(loader=loader, variables=variables)


def render(templar, name):
    """The fully templated value of one variable."""
    return templar.template(trust_as_template("{{ %s }}" % name))
