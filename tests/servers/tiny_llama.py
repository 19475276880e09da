# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write a tiny Llama model that a real vLLM can serve: random weights, a tokenizer trained here.

Nothing is downloaded. The weights are float32 values from a seeded generator, written in the
safetensors format (an 8-byte header length, a JSON header, the raw little-endian tensors); the
tokenizer is a byte-level BPE trained with Hugging Face ``tokenizers`` on a few sentences. The same
seed gives the same files, byte for byte, so a test can publish it as a model revision.

    python tests/servers/tiny_llama.py DEST [--layers 2] [--hidden 128] [--heads 4] [--kv-heads 2]
"""

from __future__ import annotations

import argparse
import array
import json
import os
import random
import struct
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

CORPUS = (
    "The fleet serves a model from its own mirrors.",
    "Every node runs the same automation, from the data center to the edge.",
    "Weights and data stay inside the regions the policy allows.",
    "A health gate checks the server before traffic reaches it.",
    "One two three four five six seven eight nine ten.",
)
SPECIAL_TOKENS = ("<s>", "</s>", "<unk>")


def llama_config(vocab_size, layers, hidden, heads, kv_heads, intermediate, max_positions):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": hidden // heads,
        "max_position_embeddings": max_positions,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "torch_dtype": "float32",
    }


def tensor_shapes(config):
    hidden = config["hidden_size"]
    head_dim = config["head_dim"]
    kv_dim = config["num_key_value_heads"] * head_dim
    inter = config["intermediate_size"]
    shapes = {"model.embed_tokens.weight": (config["vocab_size"], hidden)}
    for layer in range(config["num_hidden_layers"]):
        prefix = "model.layers.%d." % layer
        shapes[prefix + "input_layernorm.weight"] = (hidden,)
        shapes[prefix + "post_attention_layernorm.weight"] = (hidden,)
        shapes[prefix + "self_attn.q_proj.weight"] = (config["num_attention_heads"] * head_dim, hidden)
        shapes[prefix + "self_attn.k_proj.weight"] = (kv_dim, hidden)
        shapes[prefix + "self_attn.v_proj.weight"] = (kv_dim, hidden)
        shapes[prefix + "self_attn.o_proj.weight"] = (hidden, config["num_attention_heads"] * head_dim)
        shapes[prefix + "mlp.gate_proj.weight"] = (inter, hidden)
        shapes[prefix + "mlp.up_proj.weight"] = (inter, hidden)
        shapes[prefix + "mlp.down_proj.weight"] = (hidden, inter)
    shapes["model.norm.weight"] = (hidden,)
    shapes["lm_head.weight"] = (config["vocab_size"], hidden)
    return shapes


def write_safetensors(path, shapes, seed):
    """Write float32 tensors: norms are ones, the rest N(0, 0.02), in the safetensors layout."""
    rng = random.Random(seed)
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(shapes):
        shape = shapes[name]
        count = 1
        for dim in shape:
            count *= dim
        ones = name.endswith("norm.weight")
        values = array.array("f", [1.0] * count if ones else (rng.gauss(0.0, 0.02) for _index in range(count)))
        if sys.byteorder != "little":
            values.byteswap()
        data = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for data in blobs:
            handle.write(data)


def train_tokenizer(vocab_size):
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return tokenizer


def write_tiny_llama(dest, layers=2, hidden=128, heads=4, kv_heads=2, seed=0, vocab_size=384, max_positions=512):
    """Write the model's files into dest (created); return its config."""
    if hidden % heads or heads % kv_heads:
        raise ValueError("hidden must be a multiple of heads, and heads of kv_heads")
    os.makedirs(dest, exist_ok=True)
    tokenizer = train_tokenizer(vocab_size)
    config = llama_config(tokenizer.get_vocab_size(), layers, hidden, heads, kv_heads, hidden * 2, max_positions)
    tokenizer.save(os.path.join(dest, "tokenizer.json"))
    files = {
        "config.json": config,
        "generation_config.json": {"bos_token_id": 0, "eos_token_id": 1, "do_sample": False},
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": SPECIAL_TOKENS[0],
            "eos_token": SPECIAL_TOKENS[1],
            "unk_token": SPECIAL_TOKENS[2],
            "model_max_length": max_positions,
            "clean_up_tokenization_spaces": False,
        },
        "special_tokens_map.json": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    }
    for name, content in files.items():
        with open(os.path.join(dest, name), "w") as handle:
            json.dump(content, handle, indent=2, sort_keys=True)
            handle.write("\n")
    write_safetensors(os.path.join(dest, "model.safetensors"), tensor_shapes(config), seed)
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = write_tiny_llama(args.dest, args.layers, args.hidden, args.heads, args.kv_heads, args.seed)
    print(json.dumps({"dest": args.dest, "vocab_size": config["vocab_size"], "layers": config["num_hidden_layers"]}))


if __name__ == "__main__":
    main()
