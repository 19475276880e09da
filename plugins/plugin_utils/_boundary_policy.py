# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: the data-boundary policy on the controller - load a policy file, validate it, keep evidence.

Not a public API. ``load_policy()`` reads a policy (a YAML or JSON file, or a mapping), checks it
against ``schemas/boundary-policy.schema.json`` (with jsonschema, where installed) and then with
``_boundary.Policy``, and raises ``PolicyLoadError`` naming the file, the line and the key that is
wrong. ``append_audit()`` adds one decision to the controller's audit log as a JSON line.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import re

import yaml

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy, PolicyError

# libyaml's loader where PyYAML was built with it: several times faster on a policy of 1,000 rules.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "schemas", "boundary-policy.schema.json")
AUDIT_ENV = "HORIZON_BOUNDARY_AUDIT_LOG"
_INDEX = re.compile(r"\[(\d+)\]")


class PolicyLoadError(ValueError):
    """A policy that cannot be used; the message names where and what."""


def default_audit_log():
    """``$HORIZON_BOUNDARY_AUDIT_LOG``, else ``<ANSIBLE_HOME>/horizon/boundary-audit.jsonl``."""
    if os.environ.get(AUDIT_ENV):
        return os.environ[AUDIT_ENV]
    home = os.environ.get("ANSIBLE_HOME") or os.path.join(os.path.expanduser("~"), ".ansible")
    return os.path.join(home, "horizon", "boundary-audit.jsonl")


def _split_path(key_path):
    """``endpoints[2].match`` -> ``["endpoints", 2, "match"]``."""
    parts = []
    for piece in key_path.split(".") if key_path else []:
        head = _INDEX.split(piece)
        if head[0]:
            parts.append(head[0])
        parts.extend(int(i) for i in head[1::2])
    return parts


def _join_path(parts):
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(root, parts):
    """The 1-based line of the deepest node on ``parts`` in a composed YAML tree, or None."""
    node, line = root, (root.start_mark.line + 1) if root is not None else None
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _duplicate_keys(node, parts=()):
    """The first mapping key written twice, as (path, line): YAML loaders silently keep the last."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if key.value in seen:
                return _join_path(list(parts) + [key.value]), key.start_mark.line + 1
            seen.add(key.value)
            found = _duplicate_keys(value, tuple(parts) + (key.value,))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_keys(item, tuple(parts) + (i,))
            if found:
                return found
    return None


def _schema_errors(data):
    """The first JSON Schema violation as (key path, message), or None; None too without jsonschema."""
    try:
        import jsonschema  # noqa: PLC0415 - optional: _boundary.Policy validates everything it uses
    except ImportError:
        return None
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    message = error.message
    if error.validator == "const":
        message = f"must be {error.validator_value!r}, not {error.instance!r}"
    return _join_path(list(error.absolute_path)), message


def load_policy(policy, origin=None):
    """A validated ``Policy`` from a mapping or from the YAML/JSON file at path ``policy``."""
    root = None
    if isinstance(policy, dict):
        data, digest, where = policy, None, origin or "boundary policy"
    elif isinstance(policy, str) and policy:
        where = f"boundary policy {policy}"
        try:
            with open(policy, "rb") as f:
                raw = f.read()
        except OSError as exc:
            raise PolicyLoadError(f"{where}: cannot be read ({exc.strerror or exc})") from None
        digest = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8")
            root = yaml.compose(text, Loader=_LOADER)
            data = yaml.load(text, Loader=_LOADER)
        except UnicodeDecodeError:
            raise PolicyLoadError(f"{where}: is not UTF-8 text") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f", line {mark.line + 1}" if mark is not None else ""
            raise PolicyLoadError(f"{where}{at}: does not parse as YAML ({getattr(exc, 'problem', None) or exc})") from None
        duplicate = _duplicate_keys(root)
        if duplicate:
            raise PolicyLoadError(f"{where}, line {duplicate[1]}: {duplicate[0]}: the key is written twice")
    else:
        raise PolicyLoadError(f"a boundary policy is a path to a YAML file or a mapping, not {type(policy).__name__}")

    def located(key_path):
        line = _line_of(root, _split_path(key_path)) if root is not None else None
        return f"{where}, line {line}" if line else where

    found = _schema_errors(data)
    if found:
        key_path, message = found
        raise PolicyLoadError(f"{located(key_path)}: {key_path or 'the policy'}: {message}")
    try:
        return Policy.from_data(data, sha256=digest)
    except PolicyError as exc:
        raise PolicyLoadError(f"{located(exc.path)}: {exc}") from None


def append_audit(path, record):
    """Append ``record`` to the JSON-lines audit log at ``path``: one line, written whole, flushed."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    line = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one line at a time from parallel forks
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def audit_record(decision, host, flow_kind, task=None, policy_file=None, check_mode=False):
    """The audit log's record of one decision (``_boundary.Decision`` as a module returned it)."""
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "host": host,
        "task": task,
        "check_mode": bool(check_mode),
        "flow": {
            "kind": flow_kind,
            "src": decision.get("src"),
            "name": decision.get("name"),
            "source_host": decision.get("source_host"),
            "source_path": decision.get("source_path"),
            "addresses": decision.get("addresses") or [],
        },
        "policy": {"sha256": decision.get("policy_sha256"), "file": policy_file},
        "boundary": decision.get("boundary"),
        "classification": decision.get("classification"),
        "host_region": decision.get("host_region"),
        "source_region": decision.get("source_region"),
        "rules": decision.get("rule") or {},
        "verdict": decision.get("verdict"),
        "reason": decision.get("reason"),
    }


FLOW_KEYS = ("src", "name", "host_region", "endpoint_url", "region", "resolve")


class BoundaryGate:
    """One action's data-boundary check: load the policy on the controller, decide on the node, log.

    ``action`` is the running action plugin. The decision is made by the data_boundary module on
    the node (so that host names resolve as the node resolves them); this class logs it, allowed
    or denied, and returns it.
    """

    def __init__(self, action, task_vars, policy, audit_log=None):
        self.action = action
        self.task_vars = task_vars or {}
        self.audit_log = os.path.expanduser(audit_log or default_audit_log())
        self.policy = None
        self.policy_file = None
        self.error = None
        if isinstance(policy, str) and policy and not os.path.isabs(policy):
            policy = self._find(policy)
        if isinstance(policy, str):
            self.policy_file = policy
        try:
            self.policy = load_policy(policy)
        except PolicyLoadError as exc:
            self.error = str(exc)

    def _find(self, path):
        from ansible.errors import AnsibleError  # noqa: PLC0415 - controller only

        try:
            return self.action._find_needle("files", path)
        except AnsibleError:
            return path  # load_policy then says it cannot be read

    @staticmethod
    def boolean(value, name):
        """``value`` as a boolean; anything else is an error, never a quiet False."""
        from ansible.errors import AnsibleActionFail  # noqa: PLC0415
        from ansible.module_utils.parsing.convert_bool import boolean  # noqa: PLC0415

        try:
            return boolean(value, strict=True)
        except TypeError:
            raise AnsibleActionFail(f"{name} must be a boolean, not {value!r}") from None

    def host_region(self, args):
        if args.get("host_region"):
            return args["host_region"]
        region = self.task_vars.get("horizon_region")
        if region is not None and hasattr(self.action, "_templar"):
            region = self.action._templar.template(region)
        return region or None

    def check(self, args, flow_kind):
        """Decide the flow described by ``args`` (module options: src, name, endpoint_url, ...)."""
        flow = {key: args[key] for key in FLOW_KEYS if args.get(key) is not None}
        if "endpoint" in args and "endpoint_url" not in flow:
            flow["endpoint_url"] = args["endpoint"]
        flow["host_region"] = self.host_region(args)
        if self.error:
            decision = self._denied(flow, self.error)
        else:
            result = self.action._execute_module(
                module_name="horizon.ai_platform.data_boundary",
                module_args=dict(flow, policy=self.policy.data, fail_on_violation=False),
                task_vars=self.task_vars,
            )
            result.pop("invocation", None)  # it would repeat the whole policy
            # A module that could not run or decide gives no permission.
            decision = result if "verdict" in result else self._denied(flow, f"the boundary check could not run on the node: {result.get('msg') or result}")
            decision["policy_sha256"] = self.policy.sha256
        decision["audit_log"] = self.audit_log
        decision["policy_file"] = self.policy_file
        self.log(decision, flow_kind)
        return decision

    def not_enforced(self, args, flow_kind):
        """A repository flow under a policy that does not enforce repositories: allowed unchecked, and logged so."""
        from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Flow  # noqa: PLC0415

        decision = {
            "allowed": True,
            "verdict": "allow",
            "reason": "the policy does not enforce repositories (enforce_repositories is false): not checked",
            # The canonical spelling, as a decided flow has it.
            "src": Flow(str(args.get("src", "")), name=args.get("name")).uri,
            "name": args.get("name"),
            "host_region": self.host_region(args),
            "boundary": None,
            "rule": {},
            "policy_sha256": self.policy.sha256,
            "audit_log": self.audit_log,
            "policy_file": self.policy_file,
            "enforced": False,
        }
        self.log(decision, flow_kind)
        return decision

    def log(self, decision, flow_kind):
        """Append ``decision`` to the audit log; a decision that cannot be logged becomes a denial."""
        record = audit_record(
            decision,
            host=self.task_vars.get("inventory_hostname"),
            flow_kind=flow_kind,
            task=getattr(self.action._task, "name", None) or None,
            policy_file=self.policy_file,
            check_mode=self.action._play_context.check_mode,
        )
        if self.policy is not None:
            record["policy"]["sha256"] = self.policy.sha256  # the file's, not the mapping's the node saw
        try:
            append_audit(self.audit_log, record)
        except OSError as exc:
            # Without evidence there is no permission either.
            decision.update(allowed=False, verdict="deny", msg=f"data boundary: cannot write the audit log {self.audit_log}: {exc.strerror or exc}")

    def _denied(self, flow, reason):
        from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact  # noqa: PLC0415

        src = redact(str(flow.get("src", "")))
        digest = None
        if self.policy_file:
            try:
                with open(self.policy_file, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                pass
        return {
            "allowed": False,
            "verdict": "deny",
            "reason": reason,
            "msg": f"data boundary: {reason}",
            "src": src,
            "name": flow.get("name"),
            "host_region": flow.get("host_region"),
            "boundary": None,
            "source_region": None,
            "rule": {},
            "policy_sha256": digest,
        }
