# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The merge rules of config_merge, on real configuration files as Debian's packages ship them."""

from __future__ import annotations

import json
import pathlib

import pytest
import tomllib

from ansible_collections.horizon.ai_platform.plugins.module_utils._config_merge import ConfigError, format_for, key_path, merge

RECORDED = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "recorded" / "runtimes"
DEBIAN_CONFIG = (RECORDED / "containerd-config_debian13-containerd-1.7.24.toml").read_text()
DEFAULT_17 = (RECORDED / "containerd-config-default_debian13-containerd-1.7.24.toml").read_text()
CRI = "io.containerd.grpc.v1.cri"

OPERATOR_DAEMON_JSON = """{
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}},
    "registry-mirrors": ["https://mirror.corp.example"]
}
"""


@pytest.mark.parametrize(
    ("path", "requested", "expected"),
    [
        ("/etc/docker/daemon.json", None, "json"),
        ("/etc/containerd/config.toml", None, "toml"),
        ("/etc/containers/containers.conf.d/50-horizon.conf", None, "toml"),
        ("/etc/containers/policy", "json", "json"),
    ],
)
def test_format_follows_the_name_or_the_request(path, requested, expected):
    assert format_for(path, requested) == expected


def test_a_name_without_a_known_suffix_asks_for_the_format():
    with pytest.raises(ConfigError, match="give format"):
        format_for("/etc/docker/daemon")


def test_key_paths_quote_keys_with_dots_as_toml_does():
    assert key_path(["plugins", CRI, "enable_cdi"]) == 'plugins."io.containerd.grpc.v1.cri".enable_cdi'
    assert key_path(["features", "cdi"]) == "features.cdi"


def test_json_settings_merge_into_the_operators_daemon_json_and_keep_the_rest():
    text, changed = merge("json", OPERATOR_DAEMON_JSON, settings={"features": {"cdi": True}, "cdi-spec-dirs": ["/etc/cdi", "/var/run/cdi"]})
    data = json.loads(text)
    assert data["features"] == {"cdi": True}
    assert data["cdi-spec-dirs"] == ["/etc/cdi", "/var/run/cdi"]
    # Everything the operator and the NVIDIA toolkit put there is still there.
    assert data["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert data["runtimes"] == {"nvidia": {"path": "nvidia-container-runtime", "args": []}}
    assert data["registry-mirrors"] == ["https://mirror.corp.example"]
    assert changed == ["features.cdi", "cdi-spec-dirs"]


def test_settings_already_there_leave_the_text_untouched_whatever_its_layout():
    text, changed = merge("json", OPERATOR_DAEMON_JSON, settings={"log-opts": {"max-size": "10m"}, "log-driver": "json-file"})
    assert text == OPERATOR_DAEMON_JSON
    assert changed == []


def test_a_list_in_settings_replaces_the_files_list():
    text, changed = merge("json", OPERATOR_DAEMON_JSON, settings={"registry-mirrors": ["https://registry.eu.example"]})
    assert json.loads(text)["registry-mirrors"] == ["https://registry.eu.example"]
    assert changed == ["registry-mirrors"]


def test_append_adds_only_the_missing_items_and_keeps_the_others():
    text, changed = merge("json", OPERATOR_DAEMON_JSON, append={"registry-mirrors": ["https://mirror.corp.example", "https://registry.eu.example"]})
    assert json.loads(text)["registry-mirrors"] == ["https://mirror.corp.example", "https://registry.eu.example"]
    assert changed == ["registry-mirrors"]
    again, changed = merge("json", text, append={"registry-mirrors": ["https://registry.eu.example"]})
    assert again == text and changed == []


def test_remove_deletes_the_runtime_another_tool_added_and_ignores_missing_keys():
    text, changed = merge("json", OPERATOR_DAEMON_JSON, remove=[["runtimes", "nvidia"], ["default-runtime"], ["no", "such", "key"]])
    assert json.loads(text)["runtimes"] == {}
    assert changed == ["runtimes.nvidia"]


def test_an_empty_file_is_an_empty_object():
    text, changed = merge("json", "", settings={"features": {"cdi": True}})
    assert json.loads(text) == {"features": {"cdi": True}}
    assert changed == ["features.cdi"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"log-driver": "json-file",}', "not valid JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
    ],
)
def test_a_json_file_that_does_not_parse_is_named_as_such(text, message):
    with pytest.raises(ConfigError, match=message):
        merge("json", text, settings={"features": {"cdi": True}})


def test_a_plain_value_where_the_settings_give_a_table_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"features is a string in the file, but the settings give a mapping"):
        merge("json", '{"features": "cdi"}', settings={"features": {"cdi": True}})


def test_a_table_where_the_settings_give_a_plain_value_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"log-opts is a table in the file, but the settings give a string"):
        merge("json", OPERATOR_DAEMON_JSON, settings={"log-opts": "max-size=10m"})


def test_append_to_something_that_is_not_a_list_is_an_error():
    with pytest.raises(ConfigError, match="log-driver is a string in the file, not a list"):
        merge("json", OPERATOR_DAEMON_JSON, append={"log-driver": ["local"]})
    with pytest.raises(ConfigError, match="append for registry-mirrors must be a list"):
        merge("json", OPERATOR_DAEMON_JSON, append={"registry-mirrors": "https://x"})


@pytest.mark.parametrize("entry", ["runtimes.nvidia", [], 3])
def test_remove_wants_lists_of_keys(entry):
    with pytest.raises(ConfigError, match="remove must be a non-empty list of keys"):
        merge("json", OPERATOR_DAEMON_JSON, remove=[entry])


def test_toml_merge_into_debians_containerd_config_keeps_its_tables_and_layout():
    settings = {"plugins": {CRI: {"enable_cdi": True, "cdi_spec_dirs": ["/etc/cdi", "/var/run/cdi"], "registry": {"config_path": "/etc/containerd/certs.d"}}}}
    text, changed = merge("toml", DEBIAN_CONFIG, settings=settings)
    data = tomllib.loads(text)
    assert data["plugins"][CRI]["enable_cdi"] is True
    assert data["plugins"][CRI]["registry"]["config_path"] == "/etc/containerd/certs.d"
    # What Debian's package put there is still there, in the same words.
    assert data["plugins"][CRI]["cni"] == {"bin_dir": "/usr/lib/cni", "conf_dir": "/etc/cni/net.d"}
    assert data["plugins"]["io.containerd.internal.v1.opt"] == {"path": "/var/lib/containerd/opt"}
    for line in DEBIAN_CONFIG.splitlines():
        assert line in text.splitlines()
    assert 'plugins."io.containerd.grpc.v1.cri".enable_cdi' in changed
    again, changed = merge("toml", text, settings=settings)
    assert again == text and changed == []


def test_toml_comments_survive_the_merge():
    original = '# kept: the operator\'s note\nversion = 2\nroot = "/data/containerd"  # on the big disk\n'
    text, _changed = merge("toml", original, settings={"plugins": {CRI: {"enable_cdi": True}}})
    assert "# kept: the operator's note" in text
    assert 'root = "/data/containerd"  # on the big disk' in text
    assert tomllib.loads(text)["plugins"][CRI]["enable_cdi"] is True


def test_toml_merge_into_the_full_default_config_changes_only_the_keys_given():
    settings = {"plugins": {CRI: {"enable_cdi": True, "registry": {"config_path": "/etc/containerd/certs.d"}}}}
    text, changed = merge("toml", DEFAULT_17, settings=settings)
    before, after = tomllib.loads(DEFAULT_17), tomllib.loads(text)
    assert before["plugins"][CRI]["enable_cdi"] is False and after["plugins"][CRI]["enable_cdi"] is True
    before["plugins"][CRI]["enable_cdi"] = True
    before["plugins"][CRI]["registry"]["config_path"] = "/etc/containerd/certs.d"
    assert after == before
    assert sorted(changed) == ['plugins."io.containerd.grpc.v1.cri".enable_cdi', 'plugins."io.containerd.grpc.v1.cri".registry.config_path']
    # Only the two lines differ.
    assert len(set(text.splitlines()) ^ set(DEFAULT_17.splitlines())) == 4


def test_toml_append_keeps_the_operators_imports():
    text, changed = merge("toml", 'version = 2\nimports = ["/etc/containerd/site.toml"]\n', append={"imports": ["/etc/containerd/conf.d/*.toml"]})
    assert tomllib.loads(text)["imports"] == ["/etc/containerd/site.toml", "/etc/containerd/conf.d/*.toml"]
    assert changed == ["imports"]


def test_toml_remove_of_a_runtime_table():
    original = DEFAULT_17 + '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n  runtime_type = "io.containerd.runc.v2"\n'
    text, changed = merge("toml", original, remove=[["plugins", CRI, "containerd", "runtimes", "nvidia"]])
    assert "nvidia" not in tomllib.loads(text)["plugins"][CRI]["containerd"]["runtimes"]
    assert changed == ['plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia']


def test_a_toml_file_that_does_not_parse_is_named_as_such():
    with pytest.raises(ConfigError, match="not valid TOML"):
        merge("toml", "version = 2\n[plugins\n", settings={"version": 2})


def test_a_value_of_another_type_is_a_change_even_where_python_calls_them_equal():
    text, changed = merge("json", '{"debug": true, "max-concurrent-downloads": 3}\n', settings={"debug": 1, "max-concurrent-downloads": 3.0})
    assert json.loads(text) == {"debug": 1, "max-concurrent-downloads": 3.0}
    assert changed == ["debug", "max-concurrent-downloads"]


def test_toml_refusals_are_errors_naming_the_key():
    with pytest.raises(ConfigError, match=r"version has no value \(null\): TOML has none"):
        merge("toml", "version = 2\n", settings={"version": None})
    inline = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nregistry = { config_path = "" }\n'
    with pytest.raises(ConfigError, match=r'cannot set plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.mirrors'):
        merge("toml", inline, settings={"plugins": {CRI: {"registry": {"mirrors": {"docker.io": {"endpoint": ["https://m"]}}}}}})
    # JSON has null: it is a value there.
    assert json.loads(merge("json", "{}", settings={"default-runtime": None})[0]) == {"default-runtime": None}
