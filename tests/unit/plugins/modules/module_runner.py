# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process with ansible-core's own argument patching."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common import warnings
from ansible.module_utils.testing import patch_module_args


def forget_warnings():
    """Drop the warnings and deprecations of earlier runs.

    ansible-core records them in module-global state and returns them all with the next result: in one
    test process, a run would otherwise report the warnings of every run before it.
    """
    for name in ("_global_warnings", "_global_deprecations"):
        recorded = getattr(warnings, name, None)
        if hasattr(recorded, "clear"):
            recorded.clear()


def run_module(main, args, capsys, check_mode=False, diff=False):
    """Return the module's result dict and whether it failed; ``result["warnings"]`` holds this run's only."""
    forget_warnings()
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        main()
    result = json.loads(capsys.readouterr().out)
    return result, exit_info.value.code != 0
