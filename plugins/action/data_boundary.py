# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for horizon.ai_platform.data_boundary: the policy is read and the decision logged on the controller."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.horizon.ai_platform.plugins.plugin_utils._boundary_policy import BoundaryGate


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        gate = BoundaryGate(self, task_vars, args.pop("policy", None), args.pop("audit_log", None))
        fail = args.pop("fail_on_violation", True)
        repository = gate.boolean(args.pop("repository", False), "repository")
        if repository and gate.policy is not None and not gate.policy.enforce_repositories:
            decision = gate.not_enforced(args, "repository")
        else:
            decision = gate.check(args, flow_kind="repository" if repository else "data_boundary")
        result.update(decision)
        if not decision.get("allowed") and gate.boolean(fail, "fail_on_violation"):
            result["failed"] = True
            result["msg"] = decision.get("msg") or f"data boundary: {decision.get('reason')}"
        else:
            result.pop("failed", None)
            result.pop("msg", None)
        return result
