# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container_runtime plan for every OS x engine x source, from the role's own vars files and recorded machines.

Each OS file is rendered as ansible-playbook renders it (ansible-core's Templar over the role's defaults, vars/main.yml
and the OS file). The engine versions are those the distributions ship (Debian's, tested for real in Molecule) and
the releases where CDI arrived, so the decisions are checked at their edges.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
import tomllib

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators as acc
from ansible_collections.horizon.ai_platform.plugins.module_utils import _runtime_plan as rp
from ansible_collections.horizon.ai_platform.tests.unit.roles.role_vars import ROLES, render, role_vars

MACHINES = Path(__file__).resolve().parents[3] / "fixtures" / "machines"
RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "recorded" / "runtimes"
sys.path.insert(0, str(MACHINES))
import materialize  # noqa: E402

VARS = ROLES / "container_runtime" / "vars"
OS_FILES = {
    "Debian_12.yml": {"distribution_version": "12.8"},
    "Debian_13.yml": {"distribution_version": "13.2"},
    "Ubuntu_22.yml": {"distribution_version": "22.04"},
    "Ubuntu_24.yml": {"distribution_version": "24.04"},
    "RedHat_9.yml": {"distribution_version": "9.4"},
    "RedHat_10.yml": {"distribution_version": "10.0"},
}
_FACTS = {}


def machine(name, tmp_path_factory):
    if name not in _FACTS:
        root = tmp_path_factory.mktemp(name)
        materialize.materialize(str(MACHINES / ("%s.yml" % name)), str(root / "m"))
        _FACTS[name], _reader = acc.gather(str(root / "m" / "sys"), str(root / "no-proc"), str(root / "m" / "etc" / "nv_tegra_release"))
    return _FACTS[name]


def plan_for(os_file, facts, architecture="x86_64", **settings):
    templar = role_vars("container_runtime", os_file, dict(OS_FILES[os_file], architecture=architecture))
    settings.setdefault("known_repositories", render(templar, "__container_runtime_repository_names"))
    settings.setdefault("nvidia_toolkit_version", render(templar, "container_runtime_nvidia_toolkit_version"))
    return rp.plan(facts, render(templar, "__container_runtime_os"), settings)


CPU = {"devices": []}
HUB = [{"prefix": "docker.io", "mirrors": ["registry.eu.example.com/dockerhub"]}]


def test_every_os_file_is_tested_and_listed_as_supported():
    assert {path.name for path in VARS.glob("*.yml")} - {"main.yml"} == set(OS_FILES)
    templar = role_vars("container_runtime", "Debian_12.yml", dict(OS_FILES["Debian_12.yml"], architecture="x86_64"))
    names = [
        render(role_vars("container_runtime", os_file, dict(facts, architecture="x86_64")), "__container_runtime_os")["name"]
        for os_file, facts in OS_FILES.items()
    ]
    assert names == render(templar, "__container_runtime_support")


@pytest.mark.parametrize(
    ("os_file", "engine", "source", "packages", "repository"),
    [
        ("Debian_12.yml", "podman", "distribution", ["podman", "runc", "containernetworking-plugins", "catatonit"], None),
        ("Debian_13.yml", "podman", "distribution", ["podman", "runc", "aardvark-dns", "catatonit", "nftables"], None),
        ("Debian_12.yml", "docker", "distribution", ["docker.io"], None),
        ("Debian_13.yml", "docker", "distribution", ["docker.io", "docker-cli"], None),
        ("Debian_13.yml", "docker", "vendor", ["docker-ce", "docker-ce-cli", "containerd.io"], "https://download.docker.com/linux/debian"),
        ("Ubuntu_24.yml", "containerd", "vendor", ["containerd.io"], "https://download.docker.com/linux/ubuntu"),
        ("Ubuntu_22.yml", "containerd", "distribution", ["containerd", "runc"], None),
        ("RedHat_9.yml", "podman", "distribution", ["podman", "runc"], None),
        ("RedHat_9.yml", "docker", "vendor", ["docker-ce", "docker-ce-cli", "containerd.io"], "https://download.docker.com/linux/rhel/9/x86_64/stable"),
        ("RedHat_10.yml", "containerd", "vendor", ["containerd.io"], "https://download.docker.com/linux/rhel/10/x86_64/stable"),
    ],
)
def test_engine_packages_and_repositories_by_os(os_file, engine, source, packages, repository):
    plan = plan_for(os_file, CPU, engine=engine, source=source)
    assert plan["packages"] == packages
    assert plan["stacks"] == []
    if repository is None:
        assert plan["repositories"] == []
        assert plan["conflicts"] == []
    else:
        (repo,) = plan["repositories"]
        assert repo["name"] == "docker" and repo["uris"] == [repository]
        assert repo["fingerprints"] == ["060A61C51B558A7F742B77AAC52FEB6B621E9F35" if plan["family"] == "dnf" else "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"]
        assert "runc" in plan["conflicts"]
        # The node fetches both the repository and its key: the boundary decides both.
        assert [entry["url"] for entry in plan["boundary_urls"]] == [repository, repo["key_url"]]
    assert plan["services"] == ([] if engine == "podman" else [engine])


@pytest.mark.parametrize("os_file", ["RedHat_9.yml", "RedHat_10.yml"])
@pytest.mark.parametrize("engine", ["docker", "containerd"])
def test_rhel_ships_no_docker_or_containerd(os_file, engine):
    with pytest.raises(ValueError, match="%s from the distribution source is not available on RHEL" % engine):
        plan_for(os_file, CPU, engine=engine)


def test_podman_has_no_vendor_source():
    with pytest.raises(ValueError, match="podman from the vendor source is not available on Debian 12; it has: distribution"):
        plan_for("Debian_12.yml", CPU, source="vendor")


def test_nvidia_gets_the_pinned_toolkit_and_its_repository(tmp_path_factory):
    plan = plan_for("Debian_12.yml", machine("hgx-h100-8x", tmp_path_factory))
    (entry,) = plan["stacks"]
    assert entry["name"] == "nvidia" and entry["count"] == 8 and entry["kind"] == "nvidia.com/gpu" and entry["generator"] == "nvidia-ctk"
    assert [p for p in plan["packages"] if "nvidia" in p] == [
        "nvidia-container-toolkit=1.18.2-*",
        "nvidia-container-toolkit-base=1.18.2-*",
        "libnvidia-container-tools=1.18.2-*",
        "libnvidia-container1=1.18.2-*",
    ]
    (repo,) = plan["repositories"]
    assert repo["uris"] == ["https://nvidia.github.io/libnvidia-container/stable/deb/amd64"]
    assert repo["suites"] == ["/"] and repo["fingerprints"] == ["C95B321B61E88C1809C4F759DDCAE044F796ECB0"]


def test_nvidia_toolkit_on_rhel_checks_the_repositorys_metadata_signature(tmp_path_factory):
    plan = plan_for("RedHat_9.yml", machine("hgx-h100-8x", tmp_path_factory), architecture="aarch64")
    (repo,) = plan["repositories"]
    assert repo["uris"] == ["https://nvidia.github.io/libnvidia-container/stable/rpm/aarch64"]
    assert repo["repo_gpgcheck"] is True
    assert "nvidia-container-toolkit-1.18.2-*" in plan["packages"]


def test_jetson_uses_the_toolkits_csv_mode(tmp_path_factory):
    plan = plan_for("Ubuntu_22.yml", machine("jetson-orin", tmp_path_factory))
    (entry,) = plan["stacks"]
    assert entry["name"] == "nvidia_jetson" and entry["mode"] == "csv"


@pytest.mark.parametrize(
    ("name", "stack", "kind"),
    [("mi300x-8x", "amd", "amd.com/gpu"), ("gaudi2-8x", "intel_gaudi", "intel.com/gaudi"), ("intel-max", "intel_gpu", "intel.com/gpu")],
)
def test_device_node_stacks_need_no_toolkit(tmp_path_factory, name, stack, kind):
    plan = plan_for("Debian_13.yml", machine(name, tmp_path_factory))
    (entry,) = plan["stacks"]
    assert (entry["name"], entry["kind"], entry["generator"]) == (stack, kind, "cdi_spec")
    assert plan["repositories"] == [] and not any("nvidia" in package for package in plan["packages"])


def test_accelerators_none_leaves_them_out(tmp_path_factory):
    plan = plan_for("Debian_12.yml", machine("hgx-h100-8x", tmp_path_factory), accelerators="none")
    assert plan["stacks"] == [] and plan["repositories"] == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "cri-o"}, "container_runtime_engine must be one of podman, docker, containerd"),
        ({"source": "upstream"}, "container_runtime_source must be one of"),
        ({"cdi": "yes"}, "container_runtime_cdi must be one of auto, always, never"),
        ({"accelerators": "all"}, "container_runtime_accelerators must be auto or none"),
        ({"repositories": {"dockr": {}}}, "container_runtime_repositories names dockr, which is no repository of this role"),
        ({"registries": [{"prefix": "https://docker.io"}]}, r"prefix 'https://docker.io' must be a registry host"),
        ({"registries": [{"prefix": "docker.io", "mirror": ["x"]}]}, r"container_runtime_registries\[0\] has unknown keys mirror"),
        ({"registries": [{"prefix": "docker.io", "mirrors": [{"location": "http://m"}]}]}, r"mirrors\[0\] location 'http://m' must be a registry host"),
        ({"registries": [{"prefix": "docker.io"}, {"prefix": "docker.io"}]}, "lists docker.io twice"),
        ({"registries": [{"prefix": "docker.io", "insecure": "maybe"}]}, r"container_runtime_registries\[0\] insecure must be a boolean"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        plan_for("Debian_13.yml", CPU, **settings)


def test_a_bad_toolkit_version_is_named(tmp_path_factory):
    with pytest.raises(ValueError, match=r"container_runtime_nvidia_toolkit_version must be a release such as 1\.18\.2"):
        plan_for("Debian_12.yml", machine("hgx-h100-8x", tmp_path_factory), nvidia_toolkit_version="latest")


def test_an_override_points_docker_at_the_sites_mirror():
    override = {"docker": {"uris": ["https://apt.mirror.example.com/docker/"], "key_url": "https://apt.mirror.example.com/keys/docker.asc"}}
    plan = plan_for("Debian_13.yml", CPU, engine="docker", source="vendor", repositories=override)
    (repo,) = plan["repositories"]
    assert repo["uris"] == ["https://apt.mirror.example.com/docker/"]
    assert repo["fingerprints"] == ["9DC858229FC7DD38854AE2D88D81803C0EBFCD88"]


def test_registry_urls_for_the_boundary():
    plan = plan_for("Debian_13.yml", CPU, registries=HUB + [{"prefix": "quay.io", "mirrors": [{"location": "10.1.0.5:5000", "insecure": True}]}])
    assert plan["registry_urls"] == [
        {"name": "docker.io", "url": "https://registry-1.docker.io/", "role": "location"},
        {"name": "docker.io", "url": "https://registry.eu.example.com/dockerhub/", "role": "mirror"},
        {"name": "quay.io", "url": "https://quay.io/", "role": "location"},
        {"name": "quay.io", "url": "http://10.1.0.5:5000/", "role": "mirror"},
    ]


@pytest.mark.parametrize(
    ("engine", "version", "cdi"),
    [
        ("podman", "podman version 4.0.2", False),
        ("podman", "podman version 4.1.0", True),
        ("podman", "podman version 4.3.1", True),
        ("docker", "Docker version 20.10.24+dfsg1, build 5d6db84", False),
        ("docker", "Docker version 25.0.0, build e758fe5", True),
        ("docker", "Docker version 26.1.5+dfsg1, build 411e817", True),
        ("containerd", "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", False),
        ("containerd", "containerd github.com/containerd/containerd 1.7.24~ds1 1.7.24~ds1-6+deb13u1", True),
        ("containerd", "containerd containerd.io 2.2.1 dea7da592f5d1d2b7755e3a161be07f43fad8f75", True),
    ],
)
def test_which_engine_versions_read_cdi(engine, version, cdi):
    plan = plan_for("Debian_13.yml", {"devices": []}, engine=engine)
    assert rp.configure(plan, version)["cdi"] is cdi


def test_cdi_always_fails_where_the_engine_reads_none():
    plan = plan_for("Debian_12.yml", CPU, engine="docker", cdi="always")
    with pytest.raises(ValueError, match=r"docker 20.10.24 reads no CDI specs \(CDI needs docker 25.0 or later\)"):
        rp.configure(plan, "Docker version 20.10.24+dfsg1, build 5d6db84")


def test_old_docker_gets_nvidias_runtime_and_new_docker_cdi(tmp_path_factory):
    facts = machine("hgx-h100-8x", tmp_path_factory)
    old = rp.configure(plan_for("Debian_12.yml", facts, engine="docker"), "Docker version 20.10.24+dfsg1", nvidia_default=True)
    assert old["stacks"][0]["method"] == "runtime"
    assert old["docker"]["settings"] == {"runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}}, "default-runtime": "nvidia"}
    assert old["docker"]["validate"] is False
    new = rp.configure(plan_for("Debian_13.yml", facts, engine="docker"), "Docker version 26.1.5+dfsg1")
    assert new["stacks"][0]["method"] == "cdi" and new["stacks"][0]["run_args"] == ["--device", "nvidia.com/gpu=all"]
    assert new["docker"]["settings"]["features"] == {"cdi": True} and new["docker"]["validate"] is True


def test_amd_on_an_engine_without_cdi_is_left_to_device_flags(tmp_path_factory):
    config = rp.configure(plan_for("Debian_12.yml", machine("mi300x-8x", tmp_path_factory), engine="docker"), "Docker version 20.10.24")
    assert config["stacks"][0]["method"] == "devices"
    assert "only through --device flags" in config["messages"][0]


def test_docker_mirrors_docker_hub_only_and_owns_its_registry_keys():
    registries = HUB + [{"prefix": "quay.io", "mirrors": ["registry.eu.example.com/quay"]}, {"prefix": "registry.lab:5000", "insecure": True}]
    config = rp.configure(plan_for("Debian_13.yml", CPU, engine="docker", registries=registries), "Docker version 26.1.5")
    settings = config["docker"]["settings"]
    assert settings["registry-mirrors"] == ["https://registry.eu.example.com"]
    assert settings["insecure-registries"] == ["registry.lab:5000"]
    assert any("the path of the docker.io mirror is dropped" in message for message in config["messages"])
    assert any("mirrors of quay.io are not configured for Docker" in message for message in config["messages"])
    # Without registries, the operator's own keys are left alone.
    assert "registry-mirrors" not in rp.configure(plan_for("Debian_13.yml", CPU, engine="docker"), "Docker version 26.1.5")["docker"]["settings"]


def test_containerd_keys_follow_the_files_config_version(tmp_path_factory):
    facts = machine("gaudi2-8x", tmp_path_factory)
    debian = (RECORDED / "containerd-config_debian13-containerd-1.7.24.toml").read_text()
    v2 = rp.configure(plan_for("Debian_13.yml", facts, engine="containerd", registries=HUB), "containerd 1.7.24", config_text=debian)["containerd"]
    cri = {"enable_cdi": True, "cdi_spec_dirs": ["/etc/cdi", "/var/run/cdi"], "registry": {"config_path": "/etc/containerd/certs.d"}}
    assert v2["settings"] == {"plugins": {"io.containerd.grpc.v1.cri": cri}}
    v3 = rp.configure(plan_for("Ubuntu_24.yml", facts, engine="containerd", registries=HUB), "containerd 2.2.1", config_text="version = 3\n")["containerd"]
    assert v3["settings"] == {
        "plugins": {
            "io.containerd.cri.v1.runtime": {"enable_cdi": True, "cdi_spec_dirs": ["/etc/cdi", "/var/run/cdi"]},
            "io.containerd.cri.v1.images": {"registry": {"config_path": "/etc/containerd/certs.d"}},
        }
    }
    # Docker's containerd.io ships a file without a version, which containerd 1.x reads as version 1.
    unversioned = rp.configure(plan_for("Debian_13.yml", facts, engine="containerd"), "containerd 1.7.27", config_text='disabled_plugins = ["cri"]\n')
    assert unversioned["containerd"]["settings"]["version"] == 2


def test_containerd_16_gets_nvidias_runtime_entry(tmp_path_factory):
    plan = plan_for("Debian_12.yml", machine("hgx-h100-8x", tmp_path_factory), engine="containerd")
    runtime = rp.configure(plan, "containerd 1.6.20", config_text="version = 2\n")["containerd"]["settings"]["plugins"]["io.containerd.grpc.v1.cri"]
    assert "enable_cdi" not in runtime
    nvidia = runtime["containerd"]["runtimes"]["nvidia"]
    assert nvidia == {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": "/usr/bin/nvidia-container-runtime"}}


def test_containerd_hosts_files_map_podman_style_namespaces_to_override_path():
    registries = HUB + [{"prefix": "quay.io", "mirrors": [{"location": "10.1.0.5:5000", "insecure": True}]}]
    plan = plan_for("Debian_13.yml", CPU, engine="containerd", registries=registries)
    hosts = rp.configure(plan, "containerd 1.7.24", config_text="version = 2\n")["containerd"]["hosts"]
    assert hosts["docker.io"] == {
        "server": "https://registry-1.docker.io",
        "host": {"https://registry.eu.example.com/v2/dockerhub": {"capabilities": ["pull", "resolve"], "override_path": True}},
    }
    assert hosts["quay.io"] == {"server": "https://quay.io", "host": {"http://10.1.0.5:5000": {"capabilities": ["pull", "resolve"], "skip_verify": True}}}


def test_containerd_takes_a_remapped_location_with_a_path_as_a_host_entry():
    registries = [{"prefix": "quay.io", "location": "registry.eu.example.com/quay"}]
    hosts = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=registries), "containerd 1.7.24", config_text="")["containerd"]["hosts"]
    # The server keeps the path: containerd asks it at /quay/v2/..., a dead end inside the same registry, not its root.
    assert hosts["quay.io"] == {
        "server": "https://registry.eu.example.com/quay",
        "host": {"https://registry.eu.example.com/v2/quay": {"capabilities": ["pull", "resolve"], "override_path": True}},
    }


def test_containerd_maps_hosts_not_paths():
    plan = plan_for("Debian_13.yml", CPU, engine="containerd", registries=[{"prefix": "registry.example.com/team", "mirrors": ["m.example.com"]}])
    with pytest.raises(ValueError, match="containerd maps whole registry hosts, not paths"):
        rp.configure(plan, "containerd 1.7.24", config_text="version = 2\n")


def test_an_unknown_containerd_config_version_is_refused():
    with pytest.raises(ValueError, match="declares version 1, which this role does not write"):
        rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd"), "containerd 1.7.24", config_text="version = 1\n")


DENIED_HUB = {
    "https://registry-1.docker.io/": {"allowed": False, "reason": "registry-1.docker.io is in us-east-1, outside the boundary eu"},
    "https://registry.eu.example.com/dockerhub/": {"allowed": True, "reason": "registry.eu.example.com is in eu-west-1"},
}


def test_a_registry_outside_the_boundary_is_held_to_its_mirrors_by_podman_and_containerd():
    podman = rp.configure(plan_for("Debian_13.yml", CPU, registries=HUB), "podman version 5.4.2", verdicts=DENIED_HUB)
    assert podman["podman"]["registries"][0]["blocked"] is True and podman["mirror_only"] == ["docker.io"]
    containerd = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=HUB), "containerd 1.7.24", verdicts=DENIED_HUB, config_text="")
    # The mirror is the server: a pull the mirror cannot serve ends there, not at Docker Hub.
    assert containerd["containerd"]["hosts"]["docker.io"] == {
        "server": "https://registry.eu.example.com/dockerhub",
        "host": {"https://registry.eu.example.com/v2/dockerhub": {"capabilities": ["pull", "resolve"], "override_path": True}},
    }


def test_docker_cannot_hold_pulls_to_mirrors():
    with pytest.raises(ValueError, match="Docker Engine falls back to a registry when its mirrors fail"):
        rp.configure(plan_for("Debian_13.yml", CPU, engine="docker", registries=HUB), "Docker version 26.1.5", verdicts=DENIED_HUB)


def test_a_registry_outside_without_a_mirror_and_a_mirror_outside_are_refused():
    with pytest.raises(ValueError, match=r"the registry docker\.io .* is outside this node's data boundary, and has no mirror inside it"):
        rp.configure(plan_for("Debian_13.yml", CPU, registries=[{"prefix": "docker.io"}]), "podman version 5.4.2", verdicts=DENIED_HUB)
    denied_mirror = {"https://registry.eu.example.com/dockerhub/": {"allowed": False, "reason": "outside"}, "https://registry-1.docker.io/": {"allowed": True}}
    with pytest.raises(ValueError, match=r"the mirror registry\.eu\.example\.com/dockerhub of docker\.io is outside this node's data boundary: outside"):
        rp.configure(plan_for("Debian_13.yml", CPU, registries=HUB), "podman version 5.4.2", verdicts=denied_mirror)


def test_podman_registries_and_search_list():
    config = rp.configure(plan_for("Debian_13.yml", CPU, registries=HUB, unqualified_search_registries=["docker.io"]), "podman version 5.4.2")
    assert config["podman"] == {
        "registries": [
            {
                "prefix": "docker.io",
                "location": "docker.io",
                "insecure": False,
                "blocked": False,
                "mirrors": [{"location": "registry.eu.example.com/dockerhub", "insecure": False}],
            }
        ],
        "search": ["docker.io"],
    }


def test_credentials_for_each_engine():
    auth = {"docker.io": {"username": "robot", "password": "s3cret:x"}, "registry.eu.example.com:5000": {"username": "ci", "password": "pw"}}
    podman = rp.auth_settings(auth, "podman")["auths"]
    assert base64.b64decode(podman["docker.io"]["auth"]) == b"robot:s3cret:x"
    docker = rp.auth_settings(auth, "docker")["auths"]
    assert set(docker) == {"https://index.docker.io/v1/", "registry.eu.example.com:5000"}
    containerd = rp.auth_settings(auth, "containerd", "io.containerd.cri.v1.images")
    configs = containerd["plugins"]["io.containerd.cri.v1.images"]["registry"]["configs"]
    assert configs["registry.eu.example.com:5000"] == {"auth": {"username": "ci", "password": "pw"}}


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"https://r.example.com": {"username": "u", "password": "p"}}, "is not a registry host"),
        ({"r.example.com/team": {"username": "u", "password": "p"}}, "is not a registry host"),
        ({"r.example.com": {"username": "u"}}, "must have exactly username and password"),
        ({"r.example.com": {"username": "a:b", "password": "p"}}, r"username \(without ':'\) and password must be non-empty strings"),
    ],
)
def test_bad_credentials_are_named_without_the_password(auth, message):
    with pytest.raises(ValueError, match=message) as info:
        rp.auth_settings(auth, "podman")
    assert "p'" not in str(info.value) and '"p"' not in str(info.value)


def test_the_merged_containerd_settings_parse_as_toml(tmp_path_factory):
    from ansible_collections.horizon.ai_platform.plugins.module_utils._config_merge import merge  # noqa: PLC0415

    debian = (RECORDED / "containerd-config_debian13-containerd-1.7.24.toml").read_text()
    plan = plan_for("Debian_13.yml", machine("gaudi2-8x", tmp_path_factory), engine="containerd", registries=HUB)
    config = rp.configure(plan, "containerd 1.7.24", config_text=debian)
    text, _changed = merge("toml", debian, settings=config["containerd"]["settings"])
    cri = tomllib.loads(text)["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["enable_cdi"] is True and cri["cni"]["bin_dir"] == "/usr/lib/cni"


@pytest.mark.parametrize(
    ("os_file", "engine", "version", "fails"),
    [
        ("Debian_12.yml", "podman", "podman version 4.3.1", True),
        ("Debian_13.yml", "podman", "podman version 5.4.2", False),
        ("Debian_13.yml", "containerd", "containerd 1.7.24", True),
        ("Ubuntu_24.yml", "containerd", "containerd 2.2.1", False),
    ],
)
def test_toolkit_specs_of_cdi_07_need_an_engine_that_reads_them(tmp_path_factory, os_file, engine, version, fails):
    plan = plan_for(os_file, machine("hgx-h100-8x", tmp_path_factory), engine=engine, nvidia_toolkit_version="1.19.1")
    if fails:
        with pytest.raises(ValueError, match=r"writes CDI specs of version 0\.7\.0 .* pin container_runtime_nvidia_toolkit_version to a 1\.18 release"):
            rp.configure(plan, version, config_text="version = 2\n")
    else:
        assert rp.configure(plan, version, config_text="version = 2\n")["cdi"] is True
    # The default, 1.18.2, writes 0.5.0 specs that every CDI engine reads.
    assert rp.configure(plan_for(os_file, machine("hgx-h100-8x", tmp_path_factory), engine=engine), version, config_text="version = 2\n")["cdi"]


def test_under_a_policy_an_undecided_registry_is_denied():
    # A run whose tags skipped the boundary check has a policy but no verdicts: nothing is configured.
    with pytest.raises(ValueError, match=r"was not decided against the boundary policy"):
        rp.configure(plan_for("Debian_13.yml", CPU, registries=HUB), "podman version 5.4.2", verdicts={})


def test_podman_blocks_a_remapped_location_as_well():
    registries = [{"prefix": "docker.io", "location": "hub-proxy.us.example.com", "mirrors": ["registry.eu.example.com/dockerhub"]}]
    verdicts = {
        "https://hub-proxy.us.example.com/": {"allowed": False, "reason": "us-east-1"},
        "https://registry.eu.example.com/dockerhub/": {"allowed": True},
    }
    config = rp.configure(plan_for("Debian_13.yml", CPU, registries=registries), "podman version 5.4.2", verdicts=verdicts)
    # podman checks blocked against the registry it is about to contact: the location needs an entry of its own.
    assert [(entry["prefix"], entry["location"], entry["blocked"]) for entry in config["podman"]["registries"]] == [
        ("docker.io", "hub-proxy.us.example.com", True),
        ("hub-proxy.us.example.com", "hub-proxy.us.example.com", True),
    ]


def test_docker_is_decided_by_the_prefix_it_really_pulls_from_and_cannot_remap():
    plan = plan_for("Debian_13.yml", CPU, engine="docker", registries=HUB)
    assert plan["registry_urls"][0] == {"name": "docker.io", "url": "https://registry-1.docker.io/", "role": "location"}
    remap = plan_for("Debian_13.yml", CPU, engine="docker", registries=[{"prefix": "docker.io", "location": "hub.eu.example.com"}])
    with pytest.raises(ValueError, match=r"Docker Engine cannot send docker\.io to another location \(hub\.eu\.example\.com\)"):
        rp.configure(remap, "Docker version 26.1.5")


def test_search_registries_are_decided_too():
    plan = plan_for("Debian_13.yml", CPU, registries=HUB, unqualified_search_registries=["docker.io", "quay.io"])
    assert [entry["url"] for entry in plan["registry_urls"] if entry["role"] == "search"] == ["https://registry-1.docker.io/", "https://quay.io/"]
    verdicts = dict(DENIED_HUB, **{"https://quay.io/": {"allowed": False, "reason": "us-east-1"}})
    with pytest.raises(ValueError, match=r"the search registry quay\.io is outside this node's data boundary"):
        rp.configure(plan, "podman version 5.4.2", verdicts=verdicts)
    # docker.io is held to its mirrors, so a short name searched there stays inside.
    allowed = dict(DENIED_HUB, **{"https://quay.io/": {"allowed": True}})
    assert rp.configure(plan, "podman version 5.4.2", verdicts=allowed)["podman"]["search"] == ["docker.io", "quay.io"]
    with pytest.raises(ValueError, match="must be a registry host, without a scheme"):
        plan_for("Debian_13.yml", CPU, unqualified_search_registries=["https://quay.io"])


def test_containerd_blocks_a_registry_by_making_its_mirror_the_server():
    blocked = [{"prefix": "docker.io", "blocked": True, "mirrors": ["registry.eu.example.com/dockerhub"]}]
    hosts = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=blocked), "containerd 1.7.24", config_text="")["containerd"]["hosts"]
    assert hosts["docker.io"]["server"] == "https://registry.eu.example.com/dockerhub"
    with pytest.raises(ValueError, match="containerd cannot block a registry without mirrors"):
        rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=[{"prefix": "quay.io", "blocked": True}]), "containerd 1.7.24")


def test_containerd_io_ships_the_cri_plugin_disabled_and_the_role_enables_it():
    shipped = '# Copyright 2018-2022 Docker Inc.\n\ndisabled_plugins = ["cri"]\n\n#root = "/var/lib/containerd"\n'
    settings = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", source="vendor"), "containerd containerd.io 1.7.27", config_text=shipped)[
        "containerd"
    ]["settings"]
    assert settings["disabled_plugins"] == [] and settings["version"] == 2
    kept = rp.configure(
        plan_for("Debian_13.yml", CPU, engine="containerd"),
        "containerd 1.7.24",
        config_text='version = 2\ndisabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "cri"]\n',
    )
    assert kept["containerd"]["settings"]["disabled_plugins"] == ["io.containerd.snapshotter.v1.btrfs"]
    with pytest.raises(ValueError, match="spreads disabled_plugins over several lines"):
        rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd"), "containerd 1.7.24", config_text='version = 2\ndisabled_plugins = [\n  "cri",\n]\n')


def test_a_version_less_file_with_version_1_tables_is_refused_and_a_version_inside_a_table_is_not_the_files():
    v1 = '[plugins.cri]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n'
    with pytest.raises(ValueError, match="has plugin tables but no version line"):
        rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd"), "containerd 1.7.24", config_text=v1)
    assert rp.containerd_version_of_file('[plugins."x"]\n  version = 3\n') is None
    assert rp.containerd_version_of_file("# v\nversion = 3  # containerd 2\n[plugins]\n") == 3


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ({"engine": {"runtime": "runc", "cgroup_manager": "cgroupfs"}}, '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'),
        (
            {"containers": {"default_ulimits": ["nofile=20000:20000"], "log_size_max": -1, "init": True}},
            '[containers]\ndefault_ulimits = ["nofile=20000:20000"]\nlog_size_max = -1\ninit = true\n',
        ),
        (
            {"engine": {"runtimes": {"kata": ["/usr/bin/kata-runtime"]}, "env": ['A="b\\c"']}},
            '[engine]\nenv = ["A=\\"b\\\\c\\""]\n\n[engine.runtimes]\nkata = ["/usr/bin/kata-runtime"]\n',
        ),
        ({"engine": {"x.y": "\u00e9\U0001f680"}}, '[engine]\n"x.y" = "\u00e9\U0001f680"\n'),
    ],
)
def test_podman_settings_as_toml(settings, text):
    assert rp.podman_settings_toml(settings) == text
    assert tomllib.loads(text) == settings


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "runc"}, r"container_runtime_podman_settings\.engine must be a table of keys"),
        ({"engine": {"runtime": None}}, r"engine\.runtime has no value \(null\)"),
        ({"engine": {"service_destinations": {"prod": {"uri": "x"}}}}, "three levels deep"),
        ({"engine": {"n": float("nan")}}, "which containers.conf cannot hold"),
    ],
)
def test_podman_settings_that_toml_cannot_hold_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        rp.podman_settings_toml(settings)


@pytest.mark.parametrize(("version", "quadlet"), [("podman version 4.3.1", False), ("podman version 4.4.0", True), ("podman version 5.4.2", True)])
def test_quadlet_comes_with_podman_44(version, quadlet):
    config = rp.configure(plan_for("Debian_13.yml", CPU), version)
    assert config["quadlet"] is quadlet
    assert any("has no Quadlet" in message for message in config["messages"]) is not quadlet


def test_only_podman_searches_registries():
    for engine in ("docker", "containerd"):
        plan = plan_for("Debian_13.yml", CPU, engine=engine, unqualified_search_registries=["quay.io"])
        assert [entry for entry in plan["registry_urls"] if entry["role"] == "search"] == []
        rp.configure(plan, "containerd 1.7.24" if engine == "containerd" else "Docker version 26.1.5", verdicts={}, config_text="")


def test_containerds_docker_hub_login_is_for_the_host_it_contacts():
    configs = rp.auth_settings({"docker.io": {"username": "u", "password": "p"}}, "containerd")["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["configs"]
    assert list(configs) == ["registry-1.docker.io"]


def test_a_registry_blocked_by_the_operator_is_not_said_to_be_held_by_the_boundary():
    blocked = [{"prefix": "docker.io", "blocked": True, "mirrors": ["registry.eu.example.com/dockerhub"]}]
    config = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=blocked), "containerd 1.7.24", config_text="")
    assert config["mirror_only"] == []
    held = rp.configure(plan_for("Debian_13.yml", CPU, engine="containerd", registries=HUB), "containerd 1.7.24", verdicts=DENIED_HUB, config_text="")
    assert held["mirror_only"] == ["docker.io"]


def test_toml_escapes_what_json_leaves_raw():
    text = rp.podman_settings_toml({"engine": {"x\x7f": "a\x7fb"}})
    assert tomllib.loads(text) == {"engine": {"x\x7f": "a\x7fb"}}
