#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boundary_report
short_description: Write a fleet's data-boundary audit as JSON and a self-contained HTML page
version_added: 0.1.0
description:
  - Collects the decisions of M(horizon.ai_platform.data_boundary), one per host and flow, into one audit report and
    writes it as JSON and as an HTML page that a compliance officer can read in a browser. The page needs no script and
    loads nothing.
  - The report names the policy (file and SHA-256), counts the flows allowed and denied, lists the hosts with a denied
    flow and the flows by boundary, then every flow, denied ones first, with its regions, reason and the rules that decided.
  - "Meant to run once on the controller, with C(delegate_to: localhost) and C(run_once: true); the
    C(horizon.ai_platform.boundary_audit) playbook does."
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Renders the report and compares it with the files in O(dest); writes nothing and reports whether it would.
  diff_mode:
    support: full
    details:
      - The JSON file is shown as text before and after; the HTML page as its size and SHA-256 checksum.
  idempotent:
    support: full
    details:
      - A file whose content only differs by its generation time is left alone.
options:
  dest:
    description:
      - Directory to write the report to; created with mode V(0755) when missing.
    type: path
    required: true
  decisions:
    description:
      - The decisions, each a M(horizon.ai_platform.data_boundary) result with the key C(host) added (and, optionally,
        C(kind), what the flow is for).
    type: list
    elements: dict
    required: true
  policy_file:
    description: The policy file the decisions were made against, named in the report.
    type: str
  policy_sha256:
    description: The policy's SHA-256. Defaults to the one digest the decisions carry.
    type: str
  hosts_not_checked:
    description:
      - Hosts of the play that gave no decision (unreachable, or failed before their flows were decided); the report
        lists them, since a host that was not checked is not evidence of anything.
    type: list
    elements: str
    default: []
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, html]
    default: [json, html]
  basename:
    description: File name of the report without extension.
    type: str
    default: boundary-audit
  title:
    description: Title of the HTML page.
    type: str
    default: Data-boundary audit
seealso:
  - module: horizon.ai_platform.data_boundary
"""

EXAMPLES = r"""
- name: Write the audit report on the controller
  horizon.ai_platform.boundary_report:
    dest: /srv/reports/boundary
    decisions: "{{ ansible_play_hosts | map('extract', hostvars, '__boundary_decisions') | flatten }}"
    policy_file: "{{ policy }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: The report files, by format.
  returned: always
  type: dict
  sample: {"json": "/srv/reports/boundary/boundary-audit.json", "html": "/srv/reports/boundary/boundary-audit.html"}
updated:
  description: The formats whose file was (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [json, html]
summary:
  description: The report's counts.
  returned: always
  type: dict
  sample: {"flows": 12, "allowed": 10, "denied": 2, "hosts": 6, "hosts_with_denials": ["edge-3"], "hosts_not_checked": [],
           "by_boundary": {"eu": {"allow": 10, "deny": 2}}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary_report import (
    DEFAULT_TITLE,
    FORMATS,
    build_report,
    render,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import with_generated_at, write_reports


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            decisions=dict(type="list", elements="dict", required=True),
            policy_file=dict(type="str"),
            policy_sha256=dict(type="str"),
            hosts_not_checked=dict(type="list", elements="str", default=[]),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            basename=dict(type="str", default="boundary-audit"),
            title=dict(type="str", default=DEFAULT_TITLE),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        report = build_report(p["decisions"], policy_sha256=p["policy_sha256"], policy_file=p["policy_file"], hosts_not_checked=p["hosts_not_checked"])
    except ValueError as exc:
        module.fail_json(msg=f"invalid decisions: {exc}")
    result = write_reports(
        module,
        p["dest"],
        p["basename"],
        p["formats"],
        FORMATS,
        render=lambda fmt, stamp: render(with_generated_at(report, stamp), fmt, p["title"]),
        stamp=report["generated_at"],
    )
    module.exit_json(summary=report["summary"], **result)


if __name__ == "__main__":
    main()
