# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference_server role's cluster expressions (vars/main.yml) through a real ansible-playbook.

The rollout check the gate waits on, and the memory quantities a CPU pod's fit check reads, evaluated by Ansible's
own templating against Deployment statuses shaped as the apps/v1 API returns them (k8s_info's ``resources``).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import REPO, ansible_playbook

ROLE = REPO / "roles" / "inference_server"

PLAY = """
- name: Evaluate the role's expressions
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
    - {vars}
  tasks:
    - name: Show them
      ansible.builtin.debug:
        msg: "{{{{ {{'rolled_out': __inference_server_k8s_rolled_out | bool, 'memory_mib': __inference_server_k8s_memory_mib | int}} | to_json }}}}"
"""


def deployment(replicas=1, generation=2, observed=2, updated=1, available=1, unavailable=None):
    status = {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated, "availableReplicas": available}
    if unavailable is not None:
        status["unavailableReplicas"] = unavailable
    metadata = {"name": "horizon-inference-tiny", "generation": generation}
    return {"resources": [{"kind": "Deployment", "metadata": metadata, "spec": {"replicas": replicas}, "status": status}]}


def evaluate(tmp_path, deployment_info, memory="16Gi"):
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(defaults=ROLE / "defaults" / "main.yml", vars=ROLE / "vars" / "main.yml"), encoding="utf-8")
    extra = {"__inference_server_k8s_deployment": deployment_info, "inference_server_k8s_memory": memory, "inference_server_model": "tiny"}
    (tmp_path / "vars.json").write_text(json.dumps(extra), encoding="utf-8")
    rc, out = ansible_playbook(tmp_path, "-i", "localhost,", "-e", f"@{tmp_path / 'vars.json'}", play)
    assert rc == 0, out
    line = next(ln for ln in out.splitlines() if "rolled_out" in ln)
    return json.loads(line.split("msg:", 1)[1].strip().strip("'"))


@pytest.mark.parametrize(
    "info, rolled_out",
    [
        (deployment(), True),
        (deployment(replicas=2, updated=2, available=2), True),
        # The controller has not seen the new spec yet: the old pods' status still counts.
        (deployment(observed=1), False),
        # maxSurge 0: the old pod is gone, the new one not ready.
        (deployment(updated=1, available=0, unavailable=1), False),
        # Two replicas, one updated so far.
        (deployment(replicas=2, updated=1, available=2), False),
        # No such Deployment (KServe has not created its predictor yet).
        ({"resources": []}, False),
    ],
)
def test_the_rollout_check(tmp_path, info, rolled_out):
    assert evaluate(tmp_path, info)["rolled_out"] is rolled_out


@pytest.mark.parametrize(
    "memory, mib",
    [("16Gi", 16384), ("16G", 15258), ("16000M", 15258), ("512Mi", 512), ("17179869184", 16384), ("1.5Ti", 1572864)],
)
def test_memory_quantities(tmp_path, memory, mib):
    assert evaluate(tmp_path, deployment(), memory)["memory_mib"] == mib
