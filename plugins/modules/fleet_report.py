#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_report
short_description: Write a JSON, CSV and HTML report of the accelerators in a fleet
version_added: 0.1.0
description:
  - Aggregates the C(accelerators) facts of many hosts, as set by M(horizon.ai_platform.accelerator_facts),
    into one fleet report and writes it as JSON, CSV and a self-contained HTML page.
  - The summary counts devices by silicon class, region, vendor and class and region, adds up
    accelerator memory per class, and counts hosts per class.
  - "Meant to run once on the controller, with C(delegate_to: localhost) and C(run_once: true)."
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Renders the report and compares it with the files in O(dest), writes nothing and reports whether it would.
  diff_mode:
    support: full
    details:
      - JSON and CSV files are shown as text before and after; the HTML page as its size and SHA-256 checksum.
  idempotent:
    support: full
    details:
      - A file whose content only differs by its C(generated_at) time stamp is left alone.
options:
  dest:
    description:
      - Directory to write the report files to.
      - Created when missing, with any missing parent directories; the directory itself gets mode V(0755).
    type: path
    required: true
  hosts:
    description:
      - The fleet, a mapping of host name to host data.
      - Host data is either a mapping with the keys C(accelerators) (the facts) and C(region), or a host's hostvars, where the facts are
        looked for under C(ansible_facts.accelerators), C(accelerators) or C(ansible_accelerators), and the region
        under C(horizon_region).
      - Hosts without a region are counted as V(unassigned).
    type: dict
    required: true
  formats:
    description:
      - Which report files to write.
    type: list
    elements: str
    choices: [json, csv, html]
    default: [json, csv, html]
  basename:
    description:
      - File name of the reports without extension; the module writes C(<dest>/<basename>.json), C(.csv) and C(.html).
    type: str
    default: fleet-report
  title:
    description:
      - Title of the HTML page.
    type: str
    default: Accelerator fleet report
notes:
  - The report files are replaced together or not at all. Every file that changes is first written to a temporary file
    in O(dest) and read back; only when all of them are ready are they renamed over the old files. When a step fails,
    the temporary files are removed, the old report files are left as they were and the module fails naming the file.
  - New files get mode C(0666) minus the umask; a replaced file keeps its owner, mode and SELinux context.
  - The CSV file has one row per device and one row per CPU-only host with empty device columns. Text cells that
    begin with C(=), C(+), C(-), C(@), a tab or a carriage return get a leading apostrophe so that spreadsheets do
    not run them as formulas.
  - The HTML page is self-contained and loads nothing from the network. It embeds one small script that sorts a table
    when a column header is clicked. Its content security policy allows that script only, by its SHA-256 hash, besides
    the page's inline styles; it forbids every other script, images and any network access.
seealso:
  - module: horizon.ai_platform.accelerator_facts
  - plugin: horizon.ai_platform.fleet
    plugin_type: inventory
  - plugin: horizon.ai_platform.fleet_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Gather accelerator facts
  horizon.ai_platform.accelerator_facts:

- name: Collect the accelerator facts and region of every host in the play
  ansible.builtin.set_fact:
    fleet_hosts: >-
      {{ fleet_hosts | default({}) | combine({item: {
           'accelerators': hostvars[item].ansible_facts.accelerators,
           'region': hostvars[item].horizon_region | default(none)}}) }}
  loop: "{{ ansible_play_hosts }}"
  run_once: true

- name: Write the fleet report on the controller
  horizon.ai_platform.fleet_report:
    dest: "{{ playbook_dir }}/reports"
    hosts: "{{ fleet_hosts }}"
  delegate_to: localhost
  run_once: true

- name: Write only the HTML page, with a custom title
  horizon.ai_platform.fleet_report:
    dest: /srv/www/fleet
    basename: index
    formats: [html]
    title: GPU fleet
    hosts: "{{ fleet_hosts }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: Path of the report file per requested format.
  returned: always
  type: dict
  sample:
    json: /srv/reports/fleet-report.json
    csv: /srv/reports/fleet-report.csv
    html: /srv/reports/fleet-report.html
updated:
  description: Formats whose file was written, or would be written in check mode.
  returned: always
  type: list
  elements: str
  sample: [json, html]
summary:
  description: Fleet summary, also stored under C(summary) in the JSON report.
  returned: always
  type: dict
  contains:
    hosts:
      description: Number of hosts.
      type: int
      returned: always
      sample: 6
    devices:
      description: Number of accelerator devices.
      type: int
      returned: always
      sample: 28
    cpu_only_hosts:
      description: Number of hosts without accelerators.
      type: int
      returned: always
      sample: 1
    classes:
      description: Silicon classes of the devices, sorted.
      type: list
      elements: str
      returned: always
      sample: [amd-cdna3, nvidia-hopper]
    regions:
      description: Regions of the hosts, sorted; V(unassigned) for hosts without one.
      type: list
      elements: str
      returned: always
      sample: [eu-central-1, unassigned]
    vendors:
      description: Vendors of the devices, sorted.
      type: list
      elements: str
      returned: always
      sample: [amd, nvidia]
    hosts_by_class:
      description: Number of hosts per host silicon class (including V(cpu) and V(mixed)).
      type: dict
      returned: always
      sample: {cpu: 1, nvidia-hopper: 1}
    hosts_by_region:
      description: Number of hosts per region.
      type: dict
      returned: always
      sample: {eu-central-1: 2}
    devices_by_class:
      description: Number of devices per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 8}
    devices_by_region:
      description: Number of devices per region.
      type: dict
      returned: always
      sample: {eu-central-1: 8}
    devices_by_vendor:
      description: Number of devices per vendor.
      type: dict
      returned: always
      sample: {nvidia: 8}
    devices_by_class_and_region:
      description: Number of devices per device silicon class, then per region.
      type: dict
      returned: always
      sample: {nvidia-hopper: {eu-central-1: 8}}
    memory_mib_by_class:
      description: Sum of the known accelerator memory in MiB per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 652472}
    unknown_memory_devices_by_class:
      description: Number of devices whose memory is unknown, per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 0}
    memory_mib_total:
      description: Sum of the known accelerator memory in MiB.
      type: int
      returned: always
      sample: 652472
  sample:
    hosts: 1
    devices: 8
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.horizon.ai_platform.plugins.module_utils._fleet import (
    DEFAULT_TITLE,
    FORMATS,
    build_report,
    normalise_hosts,
    render,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import with_generated_at, write_reports


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            hosts=dict(type="dict", required=True),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            basename=dict(type="str", default="fleet-report"),
            title=dict(type="str", default=DEFAULT_TITLE),
        ),
        supports_check_mode=True,
    )
    dest, basename, title, formats = (module.params[k] for k in ("dest", "basename", "title", "formats"))
    try:
        report = build_report(normalise_hosts(module.params["hosts"]))
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="invalid hosts: %s" % to_native(exc))

    result = write_reports(
        module,
        dest,
        basename,
        formats,
        FORMATS,
        render=lambda fmt, stamp: render(with_generated_at(report, stamp), fmt, title),
        stamp=report["generated_at"],
    )
    module.exit_json(summary=report["summary"], **result)


if __name__ == "__main__":
    main()
