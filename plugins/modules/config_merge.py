#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_merge
short_description: Merge settings into a JSON or TOML configuration file, keeping everything else in it
version_added: 0.1.0
description:
  - Sets keys in a configuration file that other people and tools also write, such as Docker's C(daemon.json),
    containerd's C(config.toml) or the containers C(policy.json), without losing what they put there.
  - The file is parsed and the settings merged into its data. Mappings are merged key by key; any other value
    (a string, a number, a list) replaces the one in the file. O(append) adds list items the file lacks and
    O(remove) deletes keys. Everything else in the file stays as it was.
  - TOML is read and written with the C(tomlkit) library, which keeps the file's comments, order and layout. JSON is
    written with O(indent) spaces.
  - Whether the file changes is decided on its data, so a file that already holds the settings is never rewritten,
    whatever its layout.
  - The new content is written to a temporary file beside O(path), checked with O(validate) where given, and renamed
    over O(path). A file that does not parse, or settings that do not fit it, fail the task with the key or line at
    fault, and the file is left as it was.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - Computes the merged file and reports whether it would change; nothing is written and O(validate) is not run.
  diff_mode:
    support: full
    details:
      - Shows the file before and after.
  idempotent:
    support: full
options:
  path:
    description: The configuration file.
    type: path
    required: true
  format:
    description:
      - The file's format. By default it follows the name, V(json) for C(.json) and V(toml) for C(.toml) and C(.conf).
    type: str
    choices: [json, toml]
  settings:
    description:
      - The keys to set, as a nested mapping. A mapping is merged into the file's table of the same name, which is
        created where missing; any other value replaces the file's value.
      - A key that holds a table in the file cannot be given a plain value, nor the other way round; the task fails
        and names the key.
    type: dict
    default: {}
  append:
    description:
      - List items to add, as a nested mapping whose leaves are lists. Each item is appended to the file's list at
        that key unless it is already there; the list's other items stay. A missing list is created.
    type: dict
    default: {}
  remove:
    description:
      - Keys to delete, each given as a list of the keys that lead to it (V([runtimes, nvidia])). A key that is not
        there is ignored.
      - Removal comes first, then O(settings), then O(append).
    type: list
    elements: list
    default: []
  create:
    description: Create the file when it does not exist. With V(false), a missing file fails the task.
    type: bool
    default: true
  indent:
    description: Spaces of indentation when a JSON file is written.
    type: int
    default: 2
  validate:
    description:
      - A command that checks the new content before it replaces O(path); C(%s) in it is the temporary file's path.
        The file is not replaced when the command fails, and its output is shown.
      - For example V(dockerd --validate --config-file %s) or V(containerd --config %s config dump).
    type: str
  backup:
    description: Keep a time-stamped copy of the file as it was before it changed.
    type: bool
    default: false
requirements:
  - tomlkit on the node, for TOML files (C(python3-tomlkit) on Debian, Ubuntu and Fedora; EPEL on RHEL)
notes:
  - Lists are values, like strings. To keep another tool's entries in a shared list, give them in O(append), not in
    O(settings).
seealso:
  - module: ansible.builtin.copy
  - module: community.general.ini_file
"""

EXAMPLES = r"""
- name: Turn on CDI in Docker, keeping the rest of daemon.json
  horizon.ai_platform.config_merge:
    path: /etc/docker/daemon.json
    settings:
      features:
        cdi: true
      cdi-spec-dirs: [/etc/cdi, /var/run/cdi]
    validate: dockerd --validate --config-file %s
    mode: "0644"

- name: Point containerd's CRI plugin at the registry hosts directory, keeping its comments
  horizon.ai_platform.config_merge:
    path: /etc/containerd/config.toml
    settings:
      plugins:
        io.containerd.grpc.v1.cri:
          enable_cdi: true
          registry:
            config_path: /etc/containerd/certs.d
    validate: containerd --config %s config dump

- name: Drop the NVIDIA runtime another tool added
  horizon.ai_platform.config_merge:
    path: /etc/docker/daemon.json
    remove:
      - [runtimes, nvidia]
"""

RETURN = r"""
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/docker/daemon.json
changed_keys:
  description: The key paths that were set, added to or removed, in TOML's dotted notation.
  returned: always
  type: list
  elements: str
  sample: [features.cdi, cdi-spec-dirs]
backup_file:
  description: The copy of the file before the change, when O(backup) made one.
  returned: when changed and O(backup) is true
  type: str
  sample: /etc/docker/daemon.json.12345.2026-12-06@10:15:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.horizon.ai_platform.plugins.module_utils._config_merge import FORMATS, ConfigError, MissingTomlkit, as_dict, format_for, merge
from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file


def _read(path, create):
    if not os.path.exists(path):
        if not create:
            raise ConfigError("no such file, and create is false")
        return None
    if not os.path.isfile(path):
        raise ConfigError("not a regular file")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text (byte %d)" % exc.start) from None


def _write(module, path, text):
    """Stage, validate, then rename (a new file with its mode already set)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise ConfigError("cannot be written: the directory %s does not exist" % directory)
    validate = module.params["validate"]
    if validate and "%s" not in validate:
        raise ConfigError("validate must hold %%s where the file's path goes: %r" % validate)

    def check(staging):
        if not validate:
            return
        rc, out, err = module.run_command(validate % staging, use_unsafe_shell=False)
        if rc != 0:
            raise ConfigError(
                "the merged file failed validation (%s, exit %d), so it was not written: %s" % (validate, rc, to_text(err or out).strip() or "no output")
            )

    write_file(module, path, to_bytes(text), mode=module.params["mode"], check=check)


def run(module):
    p = module.params
    path = p["path"]
    fmt = format_for(path, p["format"])
    current = _read(path, p["create"])
    new_text, changed_keys = merge(
        fmt,
        current or "",
        settings=as_dict(p["settings"], "settings"),
        append=as_dict(p["append"], "append"),
        remove=p["remove"],
        indent=p["indent"],
    )
    changed = current is None or new_text != current
    if current is None and not new_text.strip():
        new_text = "{}\n" if fmt == "json" else ""
    result = {"changed": changed, "path": path, "changed_keys": changed_keys}
    if module._diff:
        result["diff"] = {"before_header": path, "after_header": path, "before": current or "", "after": new_text}
    if changed and not module.check_mode:
        if current is not None and p["backup"]:
            result["backup_file"] = module.backup_local(path)
        _write(module, path, new_text)
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(p, path=path)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            format=dict(type="str", choices=list(FORMATS)),
            settings=dict(type="dict", default={}),
            append=dict(type="dict", default={}),
            remove=dict(type="list", elements="list", default=[]),
            create=dict(type="bool", default=True),
            indent=dict(type="int", default=2),
            validate=dict(type="str"),
            backup=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except ConfigError as exc:
        module.fail_json(msg="config_merge %s: %s" % (module.params["path"], exc))
    except OSError as exc:
        module.fail_json(msg="config_merge %s: %s" % (module.params["path"], exc.strerror or exc))
    except MissingTomlkit:
        module.fail_json(msg=missing_required_lib("tomlkit", reason="to merge settings into the TOML file %s" % module.params["path"]))


if __name__ == "__main__":
    main()
