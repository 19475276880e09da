# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for horizon.ai_platform.model_sync: the data-boundary gate on the controller, then the module.

With ``boundary_policy``, the policy is read and validated here and the flow is decided on the node
by the data_boundary module and logged on the controller, before model_sync is even sent there; a
denied flow fails the task and nothing moves. An allowed one runs model_sync (async where the task
asks), which checks the same policy itself before its first request.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.horizon.ai_platform.plugins.plugin_utils._boundary_policy import BoundaryGate


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        audit_log = args.pop("boundary_audit_log", None)
        gate = None
        if args.get("boundary_policy") is not None:
            gate = BoundaryGate(self, task_vars, args["boundary_policy"], audit_log)
            decision = gate.check(args, flow_kind="model_sync")
            if not decision.get("allowed"):
                self._remove_tmp_path(self._connection._shell.tmpdir)
                result.update(
                    failed=True,
                    changed=False,
                    msg=(decision.get("msg") or f"data boundary: {decision.get('reason')}") + "; nothing was transferred",
                    boundary=decision,
                )
                return result
            args["boundary_policy"] = gate.policy.data
            args["host_region"] = decision.get("host_region")
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
            node = result.get("boundary") if gate is not None else None
            if isinstance(node, dict) and result.get("failed") and node.get("verdict") == "deny":
                # The node saw the source differently (its environment named another endpoint), or the
                # transfer was sent on to a host outside (a redirect, another region): log that too.
                gate.log(node, flow_kind="model_sync (redirect)" if node.get("hop") else "model_sync (node)")
            elif isinstance(node, dict) and not result.get("failed") and node.get("source_host") != decision.get("source_host"):
                # Allowed on the node through another host than the gate decided on: the evidence names both.
                gate.log(dict(node, verdict="allow"), flow_kind="model_sync (node)")
        return result
