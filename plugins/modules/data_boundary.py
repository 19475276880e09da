#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: data_boundary
short_description: Decide whether a source may send data to this node under a regional data-boundary policy
version_added: 0.1.0
description:
  - Checks one flow, the bytes of a model or data set coming from O(src) to the node, against a regional
    data-boundary policy, and fails the task when the policy forbids it. Nothing is transferred.
  - "The flow's boundary is that of the first C(data) rule whose glob matches O(src) or O(name), else the policy's
    C(default_boundary), else the flow is denied. The node's region (O(host_region), by default the inventory
    variable C(horizon_region)) and the source's region must both be in that boundary."
  - "The source's region comes from the policy's C(endpoints) rules: the first exact or C(*.domain) rule for a host
    name, the most specific CIDR for an address. A host name is resolved on the node, and every address that falls in
    a CIDR rule must map to a region inside the boundary, so that a name rule cannot whitewash an address known to be
    outside. C(file://) sources are in the node's region unless a C(paths) rule matches where the path really is,
    links followed."
  - Fails closed. An unknown node region, a source no rule places, a host name that does not resolve, or a policy that
    does not validate is denied, with a reason that names what is missing.
  - Every decision, allowed or denied, is appended as one JSON line to an audit log on the controller (O(audit_log)).
  - The semantics, the policy's format and its JSON Schema are described in the collection's C(docs/data-boundary.md).
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
  - horizon.ai_platform.attributes.action
attributes:
  action:
    support: full
    details:
      - The action plugin loads and validates the policy and writes the audit log on the controller; the decision is
        made on the node, where the source's host name is resolved.
  async:
    support: none
  check_mode:
    support: full
    details:
      - The module changes nothing; in check mode it decides and logs the decision just the same.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  policy:
    description:
      - The policy, a mapping, or the path on the controller to a YAML or JSON file holding it.
      - A relative path is looked for in the role's or playbook's C(files/) directory, then relative to the playbook,
        as M(ansible.builtin.copy) looks for O(ansible.builtin.copy#module:src).
      - Validated against the collection's C(schemas/boundary-policy.schema.json) (where the C(jsonschema) library is
        installed on the controller) and then rule by rule; an error names the file, the line and the key.
    type: raw
    required: true
  src:
    description:
      - The source, a URI as M(horizon.ai_platform.model_sync) takes it (V(file://), V(https://), V(s3://), V(hf://),
        V(oci://)), or an absolute path on the node. Package and image repositories are URIs too.
      - A user name and password in the URI are never returned or logged.
    type: str
    required: true
  name:
    description:
      - The name of the model or data set; C(data) rules match it as well as O(src).
    type: str
  host_region:
    description:
      - The node's region. Defaults to the host's inventory variable C(horizon_region).
    type: str
  endpoint_url:
    description:
      - Where an V(s3://) or V(hf://) source is really served from, as given to M(horizon.ai_platform.model_sync).
      - Without it, the node's environment is asked as the libraries ask it (E(HF_ENDPOINT) for V(hf://),
        E(AWS_ENDPOINT_URL_S3) or E(AWS_ENDPOINT_URL) for V(s3://)); then V(s3://bucket) is
        C(bucket.s3.<region>.amazonaws.com) (C(bucket.s3.amazonaws.com) without O(region)) and V(hf://) is
        C(huggingface.co).
    type: str
    aliases: [endpoint]
  region:
    description:
      - The AWS region of an V(s3://) source without O(endpoint_url).
    type: str
  resolve:
    description:
      - Resolve the source's host name on the node and check its addresses against the policy's CIDR rules.
      - Turning it off trusts the host name rules alone, which a name that points elsewhere defeats.
    type: bool
    default: true
  repository:
    description:
      - The flow is a package or image repository that a role is about to configure (its O(src) is the repository's URL).
      - Such flows are checked only when the policy sets C(enforce_repositories); otherwise they are allowed without a check,
        and the audit log records that they were not enforced.
    type: bool
    default: false
  fail_on_violation:
    description:
      - Fail the task when the flow is denied. With V(false) the task succeeds and RV(allowed) says the verdict.
    type: bool
    default: true
  audit_log:
    description:
      - The audit log on the controller, a JSON-lines file that each decision is appended to.
      - Defaults to the environment variable E(HORIZON_BOUNDARY_AUDIT_LOG), else
        C(<ANSIBLE_HOME>/horizon/boundary-audit.jsonl). The file is created with mode V(0600).
    type: path
notes:
  - The audit record holds the time, the host, the flow (source without credentials, model name, host, addresses),
    the policy file's path and SHA-256, the rules that decided, the regions and the verdict with its reason.
seealso:
  - module: horizon.ai_platform.model_sync
  - plugin: horizon.ai_platform.within_boundary
    plugin_type: filter
  - plugin: horizon.ai_platform.region_of
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Refuse to go on if the model's source is outside the node's boundary
  horizon.ai_platform.data_boundary:
    policy: boundary-policy.yml
    src: hf://acme/llama-3-8b
    name: llama-3-8b

- name: Check an S3 bucket in Frankfurt, without failing
  horizon.ai_platform.data_boundary:
    policy: "{{ horizon_boundary_policy }}"
    src: s3://models-eu/llama
    region: eu-central-1
    fail_on_violation: false
  register: __verdict

- name: Say why
  ansible.builtin.debug:
    msg: "{{ __verdict.reason }}"
  when: not __verdict.allowed
"""

RETURN = r"""
allowed:
  description: Whether the policy allows the flow.
  returned: always
  type: bool
  sample: false
verdict:
  description: V(allow) or V(deny).
  returned: always
  type: str
  sample: deny
reason:
  description: Why, naming the rule, region or missing fact that decided.
  returned: always
  type: str
  sample: "huggingface.co is in region 'us-east-1' (endpoints[3] huggingface.co), outside boundary 'de'"
boundary:
  description: The flow's boundary, from the data rule or the default; null when none applies.
  returned: always
  type: str
  sample: de
boundary_regions:
  description: The regions inside RV(boundary).
  returned: always
  type: list
  elements: str
  sample: [eu-central-1, de-fra-1]
classification:
  description: The classification of the data rule that matched.
  returned: always
  type: str
  sample: restricted
source_region:
  description: The source's region; several, comma-separated, when its addresses lie in several.
  returned: always
  type: str
  sample: us-east-1
host_region:
  description: The node's region.
  returned: always
  type: str
  sample: de-fra-1
src:
  description: The source, without credentials or query string.
  returned: always
  type: str
  sample: hf://acme/llama-3-8b
source_host:
  description: The host the bytes would come from.
  returned: always
  type: str
  sample: huggingface.co
source_path:
  description: For V(file://) sources, where the path really is, links followed.
  returned: always
  type: str
  sample: /mnt/nfs-us/models
addresses:
  description: The addresses the source's host name resolved to on the node.
  returned: always
  type: list
  elements: str
  sample: ["18.239.50.16"]
rule:
  description:
    - The rules that decided, by their place in the policy.
    - C(data) is the data rule (or C(default_boundary)); C(endpoint) the host name or CIDR rule; C(addresses) the CIDR
      rule of each resolved address that fell in one; C(path) the C(paths) rule, or C(node_local) for a path no rule
      matched.
  returned: always
  type: dict
  sample: {"data": {"index": 0, "match": "hf://acme/*"}, "endpoint": {"index": 3, "match": "huggingface.co"}}
policy_sha256:
  description: SHA-256 of the policy file (of the policy's canonical JSON when given as a mapping).
  returned: always
  type: str
  sample: 9f0c4f1e3b7d2a64c7d1e0b3b5e9f8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1
audit_log:
  description: The audit log the decision was appended to.
  returned: always
  type: str
  sample: /home/ops/.ansible/horizon/boundary-audit.jsonl
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy, PolicyError, resolve_host


def argument_spec():
    return dict(
        policy=dict(type="raw", required=True),
        src=dict(type="str", required=True),
        name=dict(type="str"),
        host_region=dict(type="str"),
        endpoint_url=dict(type="str", aliases=["endpoint"]),
        region=dict(type="str"),
        resolve=dict(type="bool", default=True),
        fail_on_violation=dict(type="bool", default=True),
        repository=dict(type="bool", default=False),
        audit_log=dict(type="path"),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    if not isinstance(p["policy"], dict):
        module.fail_json(msg="policy must be a mapping here; a policy file is read on the controller by the action plugin")
    try:
        policy = Policy.from_data(p["policy"])
    except PolicyError as exc:
        module.fail_json(msg=f"boundary policy: {exc}")
    decision = policy.decide(
        p["src"],
        host_region=p["host_region"],
        name=p["name"],
        endpoint=p["endpoint_url"] or environment_endpoint(p["src"]),
        region=p["region"],
        resolve=resolve_host if p["resolve"] else None,
        real_path=os.path.realpath,
    )
    result = dict(decision, changed=False)
    if not decision["allowed"] and p["fail_on_violation"]:
        module.fail_json(msg=f"data boundary: {decision['reason']}", **result)
    module.exit_json(**result)


def environment_endpoint(src):
    """The endpoint this node's environment gives an hf:// or s3:// source that names none, as
    huggingface_hub (HF_ENDPOINT) and boto3 (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL) would use it."""
    scheme = src.split("://", 1)[0].lower() if "://" in src else ""
    if scheme == "hf":
        return os.environ.get("HF_ENDPOINT") or None
    if scheme == "s3":
        return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    return None


if __name__ == "__main__":
    main()
