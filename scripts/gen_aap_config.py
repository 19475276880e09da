# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the Automation Platform job templates, surveys and workflow from the roles' argument specs.

    python scripts/gen_aap_config.py           # rewrite playbooks/vars/automation_platform.yml
    python scripts/gen_aap_config.py --check   # fail if it differs from what the specs generate (make lint)

playbooks/automation_platform.yml applies the result with the awx.awx modules. Each job template runs one of the
collection's playbooks; its survey asks the options listed in TEMPLATES below, each question made from the role's
own argument spec (type, choices, description, default), so a renamed or retyped option fails the generation
instead of leaving a survey that sets a variable nobody reads.

No question has a default and none is required: AWX sends a survey's answers (defaults included) as extra
variables, which outrank the inventory, so a default would override what group_vars set for a group. A question
left blank sends nothing, and the inventory's value, else the role's default, holds. Options of type bool are not
asked: AWX answers every question with a string or a number, and a role's `when:` on a string fails on
ansible-core 2.19; dicts and lists of dicts have no question type either.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "playbooks" / "vars" / "automation_platform.yml"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _generated import generate_main  # noqa: E402
from gen_role_readme import MARKUP  # noqa: E402

PREFIX = "horizon.ai_platform"

# The job templates, in the order of the workflow: each playbook, its role (whose argument specs make the
# questions) and the options asked. Playbook variables of the two playbooks without a role are described here.
TEMPLATES = [
    {
        "name": "Fleet inventory",
        "playbook": "fleet_inventory.yml",
        "description": "Inventory the silicon of the fleet and write the fleet report (JSON, CSV, HTML); the summary is a job artifact.",
        "questions": [
            {
                "variable": "horizon_fleet_report_dir",
                "type": "text",
                "question_name": "Fleet report directory",
                "question_description": "Where the fleet report is written in the execution environment (default: fleet-report in the job's directory).",
            },
            {
                "variable": "horizon_fleet_report_formats",
                "type": "multiselect",
                "choices": ["json", "csv", "html"],
                "question_name": "Report formats",
                "question_description": "The formats of the fleet report (default: all three).",
            },
        ],
    },
    {
        "name": "Boundary audit",
        "playbook": "boundary_audit.yml",
        "description": "Check every data flow of the fleet against the data-boundary policy and write the evidence; the summary is a job artifact.",
        "questions": [
            {
                "variable": "horizon_boundary_policy",
                "type": "text",
                "question_name": "Boundary policy",
                "question_description": "Path of the data-boundary policy in the project or the execution environment (default: the inventory's).",
            },
            {
                "variable": "horizon_boundary_report_dir",
                "type": "text",
                "question_name": "Audit report directory",
                "question_description": "Where the audit report is written in the execution environment (default: boundary-report in the job's directory).",
            },
            {
                "variable": "horizon_boundary_fail_on_denied",
                "type": "multiplechoice",
                "choices": ["true", "false"],
                "question_name": "Fail on a denied flow",
                "question_description": "Fail the job after writing the report when a flow is denied (default: true).",
            },
        ],
    },
    {
        "name": "Accelerator drivers",
        "playbook": "accelerator_drivers.yml",
        "role": "accelerator_drivers",
        "description": "Install each node's accelerator driver stack, as its silicon needs, from the in-region repositories.",
        "options": [
            "accelerator_drivers_nvidia_branch",
            "accelerator_drivers_nvidia_modules",
            "accelerator_drivers_rocm_version",
            "accelerator_drivers_amdgpu_version",
            "accelerator_drivers_gaudi_version",
            "accelerator_drivers_secure_boot",
            "accelerator_drivers_reboot",
            "accelerator_drivers_reboot_batch",
        ],
    },
    {
        "name": "Container runtime",
        "playbook": "container_runtime.yml",
        "role": "container_runtime",
        "description": "Set up each node's container engine with its accelerators' runtime hooks and CDI devices.",
        "options": [
            "container_runtime_engine",
            "container_runtime_source",
            "container_runtime_cdi",
            "container_runtime_nvidia_toolkit_version",
        ],
    },
    {
        "name": "Model sync",
        "playbook": "model_cache.yml",
        "role": "model_cache",
        "description": "Sync the models to the regional mirrors and the nodes, verified and published atomically.",
        "options": [
            "model_cache_verify",
            "model_cache_parallel",
            "model_cache_keep_revisions",
            "model_cache_page_cache",
        ],
    },
    {
        "name": "Serve",
        "playbook": "inference_server.yml",
        "role": "inference_server",
        "description": "Serve the model with vLLM or TGI as each node's silicon needs, behind the health gate.",
        "options": [
            "inference_server_model",
            "inference_server_engine",
            "inference_server_backend",
            "inference_server_port",
            "inference_server_dtype",
            "inference_server_gpu_memory_utilization",
            "inference_server_max_model_len",
            "inference_server_api_key",
        ],
    },
]
WORKFLOW = {
    "name": f"{PREFIX} / Bare metal to served model",
    "description": "Fleet inventory, boundary audit, drivers, container runtime, model sync, serve: each step on the success of the one before.",
}

# What AWX accepts (awx/api/views: JobTemplateSurveySpec): the question types and the type of their defaults.
QUESTION_TYPES = {
    "text": str,
    "textarea": str,
    "password": str,
    "multiplechoice": str,
    "multiselect": str,
    "integer": int,
    "float": (float, int),
}
# The question type of an option, by its argument spec's type: with choices, and numbers.
CHOICE_TYPES = {"str": "multiplechoice", "list": "multiselect"}
NUMBER_TYPES = {"int": "integer", "float": "float"}
# Options whose values are secrets: asked as passwords (AWX stores the answer encrypted, shows it as $encrypted$).
SECRET = re.compile(r"(password|api_key|token|secret)$")


def _plain(match):
    value = match.group(2)
    if match.group(1) == "O" and "#" in value:
        plugin, _sep, option = value.partition(":")
        return f"{option} of {plugin.split('#', 1)[0]}"
    return value


def plain(text):
    """Ansible's semantic markup as plain text, for AWX's survey form."""
    return MARKUP.sub(_plain, text)


# Words a question's name spells as their owners do.
WORDS = {"nvidia": "NVIDIA", "rocm": "ROCm", "cdi": "CDI", "api": "API", "gpu": "GPU", "len": "length", "max": "maximum"}


def question_name(role, name):
    """The option's name without its role's prefix, as words: accelerator_drivers_nvidia_branch -> NVIDIA branch."""
    words = [WORDS.get(w, w) for w in name.removeprefix(role + "_").split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def question(role, name, spec):
    """One survey question from one option's argument spec; ValueError where the option cannot be asked."""
    kind = spec.get("type", "str")
    description = " ".join(plain(p) for p in (spec["description"] if isinstance(spec["description"], list) else [spec["description"]]))
    q = {"variable": name, "required": False}
    if spec.get("choices"):
        if kind not in CHOICE_TYPES:
            raise ValueError(f"{role}: {name} has choices for a {kind}; a survey offers choices of strings")
        q["type"] = CHOICE_TYPES[kind]
        q["choices"] = [str(c) for c in spec["choices"]]
    elif kind in ("str", "path"):
        q["type"] = "password" if SECRET.search(name) or spec.get("no_log") else "text"
    elif kind in NUMBER_TYPES:
        q["type"] = NUMBER_TYPES[kind]
    else:
        raise ValueError(f"{role}: {name} is of type {kind}; a survey asks for text, numbers and choices only")
    q["question_name"] = question_name(role, name)
    default = spec.get("default")
    blank = "the inventory's value" + (f", else the role's default ({default})" if default not in (None, "") else "")
    q["question_description"] = f"{description} Blank: {blank}."
    return q


def survey_for(template):
    if "role" not in template:
        questions = [dict(q, required=False) for q in template["questions"]]
    else:
        role = template["role"]
        options = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        questions = []
        for name in template["options"]:
            if name not in options:
                raise ValueError(f"{role}: the survey asks {name}, which the role's argument specs do not have")
            questions.append(question(role, name, options[name]))
    return {"name": f"{PREFIX} / {template['name']}", "description": template["description"], "spec": questions}


def validate_survey(survey):
    """What AWX refuses when a survey spec is posted, and a default it would refuse at launch; a list of problems."""
    problems = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(survey.get(field), kind):
            problems.append(f"survey {survey.get('name')!r}: {field} must be a {kind.__name__}")
    if problems:
        return problems
    if not survey["spec"]:
        problems.append(f"survey {survey['name']!r}: spec has no question")
    seen = set()
    for idx, q in enumerate(survey["spec"]):
        where = f"survey {survey['name']!r} question {idx}"
        if not isinstance(q, dict):
            problems.append(f"{where}: not a mapping")
            continue
        for field, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            if not isinstance(q.get(field), kind):
                problems.append(f"{where}: {field} is missing or not a {kind.__name__}")
        if problems:
            continue
        where = f"{where} ({q['variable']})"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", q["variable"]):
            problems.append(f"{where}: the variable is not a valid Ansible variable name")
        if q["variable"] in seen:
            problems.append(f"{where}: the variable is asked twice")
        seen.add(q["variable"])
        if q["type"] not in QUESTION_TYPES:
            problems.append(f"{where}: type {q['type']!r} is not one of {', '.join(QUESTION_TYPES)}")
            continue
        default = q.get("default", "")
        if default != "" and not isinstance(default, QUESTION_TYPES[q["type"]]):
            problems.append(f"{where}: the default {default!r} is not of the question's type {q['type']}")
        for key in ("min", "max"):
            if q.get(key) is not None and not isinstance(q[key], int):
                problems.append(f"{where}: {key} must be an integer")
        if q["type"] in ("multiplechoice", "multiselect"):
            choices = q.get("choices")
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            if not choices:
                problems.append(f"{where}: a {q['type']} question needs choices")
                continue
            defaults = [d for d in (default.splitlines() if isinstance(default, str) else default) if d.strip()]
            if q["type"] == "multiplechoice" and len(defaults) > 1:
                problems.append(f"{where}: a multiplechoice question has one default at most")
            if any(d not in choices for d in defaults):
                problems.append(f"{where}: the default {default!r} is not one of the choices")
        if isinstance(default, str) and default.startswith("$encrypted$"):
            problems.append(f"{where}: $encrypted$ is reserved for a password kept by AWX")
        text_default = q["type"] in ("text", "textarea", "password") and isinstance(default, str) and default
        if text_default and not q.get("min", 0) <= len(default) <= q.get("max", 1024):
            problems.append(f"{where}: the default's length is outside min/max")
    return problems


def generate():
    templates = []
    for template in TEMPLATES:
        survey = survey_for(template)
        templates.append(
            {
                "name": survey["name"],
                "description": template["description"],
                "playbook": template["playbook"],
                "survey_spec": survey,
            }
        )
    # The workflow asks every step's questions (its answers reach every job), each named with its step.
    seen = {}
    for step, template in zip(TEMPLATES, templates):
        for q in template["survey_spec"]["spec"]:
            seen.setdefault(q["variable"], dict(copy.deepcopy(q), question_name=f"{step['name']}: {q['question_name']}"))
    workflow = dict(WORKFLOW, survey_spec={"name": WORKFLOW["name"], "description": WORKFLOW["description"], "spec": list(seen.values())})
    # The graph: each step on the success of the one before (nodes are matched by identifier, so a re-run
    # updates them in place).
    names = [t["name"] for t in templates]
    workflow["nodes"] = [
        {
            "identifier": name,
            "unified_job_template": {"name": name, "type": "job_template", "organization": {"name": "{{ horizon_aap_organization }}"}},
            "related": {"success_nodes": [{"identifier": following}] if following else []},
        }
        for name, following in zip(names, names[1:] + [None])
    ]
    problems = [p for t in templates for p in validate_survey(t["survey_spec"])] + validate_survey(workflow["survey_spec"])
    if problems:
        raise ValueError("\n".join(problems))
    return {"horizon_aap_job_templates": templates, "horizon_aap_workflow": workflow}


HEADER = """\
---
# Generated by scripts/gen_aap_config.py from the roles' argument specs; do not edit (make lint fails on drift).
# playbooks/automation_platform.yml applies it: one job template per playbook, each with its survey, and the
# workflow that runs them in order.
"""


def render():
    return HEADER + yaml.safe_dump(generate(), sort_keys=False, width=120, allow_unicode=True)


def main():
    return generate_main(__doc__, OUTPUT, render, REPO, errors=(ValueError, KeyError))


if __name__ == "__main__":
    sys.exit(main())
