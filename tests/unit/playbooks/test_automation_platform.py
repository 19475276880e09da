# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Automation Platform as code: the generated job templates, surveys and workflow, the playbook that applies them,
and the fleet report's and boundary audit's artifacts as a job runner receives them.

No Automation Platform runs here (see docs/automation-platform.md): the surveys are held to the rules AWX's API
applies when a survey is posted (scripts/gen_aap_config.py:validate_survey), the configuration playbook is
syntax-checked and stops on missing settings before it contacts a controller, and the artifacts come from
ansible-runner, the runner AWX itself runs jobs with.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook, playbook_env
from ansible_collections.horizon.ai_platform.tests.unit.playbooks.test_boundary_audit import POLICY, write_fleet
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__serving import materialize

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))
import gen_aap_config  # noqa: E402

GENERATED = yaml.safe_load((REPO / "playbooks" / "vars" / "automation_platform.yml").read_text())
WORKFLOW_ORDER = ["fleet_inventory.yml", "boundary_audit.yml", "accelerator_drivers.yml", "container_runtime.yml", "model_cache.yml", "inference_server.yml"]


def options_of(role):
    return yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


def test_generated_file_is_what_the_specs_generate():
    assert yaml.safe_load(gen_aap_config.render()) == GENERATED


def test_every_survey_is_one_awx_accepts():
    templates = GENERATED["horizon_aap_job_templates"]
    assert [t["playbook"] for t in templates] == WORKFLOW_ORDER
    for template in templates:
        assert (REPO / "playbooks" / template["playbook"]).is_file()
        assert gen_aap_config.validate_survey(template["survey_spec"]) == [], template["name"]
    assert gen_aap_config.validate_survey(GENERATED["horizon_aap_workflow"]["survey_spec"]) == []


def test_role_questions_follow_the_argument_specs():
    kinds = {"str": {"text", "password", "multiplechoice"}, "path": {"text"}, "int": {"integer"}, "float": {"float"}}
    asked = 0
    for step in gen_aap_config.TEMPLATES:
        template = next(t for t in GENERATED["horizon_aap_job_templates"] if t["playbook"] == step["playbook"])
        if "role" not in step:
            # A playbook's own variables: each is one its header documents.
            header = (REPO / "playbooks" / step["playbook"]).read_text()
            for q in template["survey_spec"]["spec"]:
                assert q["variable"] in header
            continue
        options = options_of(step["role"])
        for q in template["survey_spec"]["spec"]:
            spec = options[q["variable"]]
            assert q["type"] in kinds[spec.get("type", "str")]
            assert q.get("choices", None) == ([str(c) for c in spec["choices"]] if "choices" in spec else None)
            # No default and nothing required: a blank answer sends nothing, and the inventory's value holds.
            assert "default" not in q and q["required"] is False
            if spec.get("default") not in (None, ""):
                assert f"the role's default ({spec['default']})" in q["question_description"]
            asked += 1
    assert asked >= 20
    secret = [q for t in GENERATED["horizon_aap_job_templates"] for q in t["survey_spec"]["spec"] if q["type"] == "password"]
    assert [q["variable"] for q in secret] == ["inference_server_api_key"]


def test_workflow_runs_the_steps_in_order_and_asks_every_question():
    workflow = GENERATED["horizon_aap_workflow"]
    names = [t["name"] for t in GENERATED["horizon_aap_job_templates"]]
    nodes = {n["identifier"]: n for n in workflow["nodes"]}
    assert list(nodes) == names
    for name, following in zip(names, names[1:] + [None]):
        assert nodes[name]["unified_job_template"] == {"name": name, "type": "job_template", "organization": {"name": "{{ horizon_aap_organization }}"}}
        assert nodes[name]["related"]["success_nodes"] == ([{"identifier": following}] if following else [])
    variables = [q["variable"] for q in workflow["survey_spec"]["spec"]]
    assert variables == [q["variable"] for t in GENERATED["horizon_aap_job_templates"] for q in t["survey_spec"]["spec"]]
    assert len({q["question_name"] for q in workflow["survey_spec"]["spec"]}) == len(variables)  # each names its step


def good_survey():
    return {
        "name": "s",
        "description": "d",
        "spec": [
            {"variable": "a", "type": "text", "question_name": "A", "required": False, "default": "x"},
            {"variable": "b", "type": "multiplechoice", "question_name": "B", "required": False, "choices": ["x", "y"], "default": "y"},
            {"variable": "c", "type": "integer", "question_name": "C", "required": True, "default": 3, "min": 1, "max": 9},
        ],
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.pop("description"), "description must be a str"),
        (lambda s: s.update(spec=[]), "spec has no question"),
        (lambda s: s["spec"][0].pop("question_name"), "question_name is missing"),
        (lambda s: s["spec"][0].update(required="no"), "required is missing or not a bool"),
        (lambda s: s["spec"][1].update(variable="a"), "the variable is asked twice"),
        (lambda s: s["spec"][0].update(variable="not-a-name"), "not a valid Ansible variable name"),
        (lambda s: s["spec"][0].update(type="boolean"), "type 'boolean' is not one of"),
        (lambda s: s["spec"][0].update(default=5), "the default 5 is not of the question's type text"),
        (lambda s: s["spec"][2].update(default="3"), "the default '3' is not of the question's type integer"),
        (lambda s: s["spec"][2].update(min="1"), "min must be an integer"),
        (lambda s: s["spec"][1].pop("choices"), "a multiplechoice question needs choices"),
        (lambda s: s["spec"][1].update(default="z"), "the default 'z' is not one of the choices"),
        (lambda s: s["spec"][1].update(default="x\ny"), "one default at most"),
        (lambda s: s["spec"][0].update(default="$encrypted$abc"), "$encrypted$ is reserved"),
        (lambda s: s["spec"][0].update(default="x" * 1025), "the default's length is outside min/max"),
    ],
)
def test_survey_validation_refuses_what_awx_refuses(change, problem):
    assert gen_aap_config.validate_survey(good_survey()) == []
    survey = good_survey()
    change(survey)
    problems = gen_aap_config.validate_survey(survey)
    assert len(problems) == 1 and problem in problems[0], problems


def test_generator_refuses_options_a_survey_cannot_ask(monkeypatch):
    templates = copy.deepcopy(gen_aap_config.TEMPLATES)
    templates[2]["options"].append("accelerator_drivers_nvidia_brnach")
    monkeypatch.setattr(gen_aap_config, "TEMPLATES", templates)
    with pytest.raises(ValueError, match="accelerator_drivers: the survey asks accelerator_drivers_nvidia_brnach, which the role's argument specs do not have"):
        gen_aap_config.generate()
    templates[2]["options"][-1] = "accelerator_drivers_hold"
    with pytest.raises(ValueError, match="accelerator_drivers_hold is of type bool"):
        gen_aap_config.generate()
    templates[2]["options"][-1] = "accelerator_drivers_sources"
    with pytest.raises(ValueError, match="accelerator_drivers_sources is of type dict"):
        gen_aap_config.generate()


def test_configuration_playbook_parses_and_stops_on_missing_settings(tmp_path):
    rc, out = ansible_playbook(tmp_path, "--syntax-check", "horizon.ai_platform.automation_platform")
    assert rc == 0, out
    # Without a project or an inventory it stops before any controller is contacted (none is given here).
    rc, out = ansible_playbook(tmp_path, "horizon.ai_platform.automation_platform", "-e", "horizon_aap_inventory=fleet", timeout=120)
    assert rc == 2, out
    assert "Give horizon_aap_project_url" in out and "TASK [Register the project]" not in out


def run_job(tmp_path, playbook, inventory, extravars):
    """The playbook run as AWX runs a job: through ansible-runner; its events."""
    private = tmp_path / "runner"
    (private / "env").mkdir(parents=True)
    env = playbook_env(tmp_path)
    runner = ansible_runner.run(
        private_data_dir=str(private),
        playbook=str(REPO / "playbooks" / playbook),
        inventory=str(inventory),
        extravars=extravars,
        envvars={**{k: v for k, v in env.items() if k.startswith("ANSIBLE_")}, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"},
        quiet=True,
    )
    return runner, list(runner.events)


def artifacts(events):
    (stats,) = [e for e in events if e["event"] == "playbook_on_stats"]
    return stats["event_data"]["artifact_data"]


def test_fleet_report_summary_is_a_job_artifact(tmp_path):
    for machine in ("hgx-h100-8x", "mi300x-8x"):
        materialize.materialize(str(REPO / "tests" / "fixtures" / "machines" / f"{machine}.yml"), str(tmp_path / machine))
        (tmp_path / machine / "proc").mkdir(exist_ok=True)
    inventory = tmp_path / "inventory.ini"
    lines = ["[nodes]"]
    for machine, region in (("hgx-h100-8x", "eu-central-1"), ("mi300x-8x", "eu-west-1")):
        root = tmp_path / machine
        lines.append(f"{machine} ansible_connection=local horizon_sysfs_root={root / 'sys'} horizon_procfs_root={root / 'proc'}")
        lines[-1] += f" horizon_vendor_tools=false horizon_region={region}"
    lines += ["[all:vars]", f"ansible_python_interpreter={sys.executable}", ""]
    inventory.write_text("\n".join(lines))
    runner, events = run_job(tmp_path, "fleet_inventory.yml", inventory, {"horizon_fleet_report_dir": str(tmp_path / "report")})
    assert runner.rc == 0, runner.stdout.read()
    data = artifacts(events)
    report = json.loads((tmp_path / "report" / "fleet-report.json").read_text())
    assert data["horizon_fleet_summary"] == report["summary"]
    assert data["horizon_fleet_summary"]["devices_by_class"] == {"amd-cdna3": 8, "nvidia-hopper": 8}
    assert data["horizon_fleet_report_paths"]["json"] == str(tmp_path / "report" / "fleet-report.json")


def test_boundary_audit_summary_is_a_job_artifact(tmp_path):
    write_fleet(tmp_path)
    runner, events = run_job(
        tmp_path,
        "boundary_audit.yml",
        tmp_path / "inventory.ini",
        {
            "horizon_boundary_policy": str(tmp_path / "policy.yml"),
            "horizon_boundary_report_dir": str(tmp_path / "report"),
            "horizon_boundary_audit_log": str(tmp_path / "audit.jsonl"),
            "horizon_boundary_fail_on_denied": "false",  # as a survey answers it
        },
    )
    assert runner.rc == 0, runner.stdout.read()
    assert (tmp_path / "policy.yml").read_text() == POLICY
    data = artifacts(events)
    report = json.loads((tmp_path / "report" / "boundary-audit.json").read_text())
    assert data["horizon_boundary_summary"] == report["summary"]
    assert (data["horizon_boundary_summary"]["allowed"], data["horizon_boundary_summary"]["denied"]) == (2, 3)
    assert set(data["horizon_boundary_report_paths"]) == {"json", "html"}
