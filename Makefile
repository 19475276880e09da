# horizon.ai_platform - every entry point a person or CI uses.
#   make demo   the embedded demo fleet: inventory, boundary audit, site.yml serving a model
#   make test   every test layer
# All state stays in this directory (.venv, .cache, build, tests/output, demo/output) except
# the test-host image cache, kept in $(HORIZON_CACHE_DIR) so fresh clones reuse it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTION_LINK := .cache/collections/ansible_collections/horizon/ai_platform
SANITY_ROOT := build/sanity/ansible_collections/horizon/ai_platform

export HORIZON_CACHE_DIR ?= $(HOME)/.cache/horizon-ai-platform
export CONTAINERS_CONF := $(CURDIR)/tests/podman/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.cache/ansible-home/tmp
export MOLECULE_GLOB := molecule/*/molecule.yml
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup system-packages venv link images lint sanity unit molecule browser compat release-check ee-context docs demo-test test demo benchmark benchmark-site changelog clean

help:
	@echo "make demo       run the demo fleet: inventory, boundary audit, site.yml (sets everything up)"
	@echo "make test       run every test layer: lint, sanity, unit, browser, compat, release-check, docs, molecule, demo"
	@echo "make benchmark  time accelerator_facts, the fleet inventory plugin and model_sync"
	@echo "layers: make lint | sanity | unit | browser | compat | release-check | docs | molecule | demo-test"
	@echo "make ee-context the execution environment's build context, in build/ee"
	@echo "make docs       the documentation site, in build/docs/html"

setup: system-packages venv link

system-packages:
	@scripts/system-packages.sh

venv: $(VENV)/.stamp

$(VENV)/.stamp: requirements/dev.txt requirements/test-data.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip download -q --disable-pip-version-check --no-deps --require-hashes -d $(CURDIR)/.cache/test-data -r requirements/test-data.txt
	touch $@

link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)

# First the volumes test hosts of earlier versions left behind (scripts/test-hosts/prune-volumes.sh says which).
images: setup
	scripts/test-hosts/prune-volumes.sh
	scripts/test-hosts/build-images.sh

lint: setup
	ruff check .
	ruff format --check .
	yamllint --strict .
	ansible-lint --profile production
	antsibull-changelog lint
	python scripts/gen_silicon_matrix.py --check
	python scripts/gen_role_readme.py --check
	python scripts/gen_aap_config.py --check
	python scripts/gen_policy_reference.py --check

sanity: setup
	scripts/ansible-test-sanity.sh

unit: setup
	PYTHONPATH=$(CURDIR)/.cache/collections pytest -q -m "not testhosts" tests/unit

# Tests of playbooks that stage or run nodes in the test-host images (the air-gapped bundle's packages).
testhost-tests: images
	PYTHONPATH=$(CURDIR)/.cache/collections pytest -q -m testhosts tests/unit

browser: setup
	HORIZON_REQUIRE_BROWSER=1 PYTHONPATH=$(CURDIR)/.cache/collections pytest -q tests/browser

compat: setup
	tests/compat/run.sh

# The collection as it would be published: built, checked, and imported by Galaxy's importer (offline).
release-check: setup
	scripts/check-collection.sh

# The documentation site: antsibull-docs' pages of every plugin and role, the guides, no warning (scripts/build_docs.py).
docs: setup
	python scripts/build_docs.py

ee-context: setup
	scripts/ee-context.sh build/ee

molecule: images
	scripts/molecule-all.sh

# The newcomer's path in docs/getting-started.md, run as written (it says `make demo`), then its outputs checked.
demo-test: setup
	python tests/newcomer/run_doc.py docs/getting-started.md
	python tests/demo/check_report.py demo/output/report
	python tests/demo/check_boundary.py demo/output/boundary
	python tests/demo/check_site.py demo/output/site

test: lint sanity unit browser compat release-check docs testhost-tests molecule demo-test
	@echo "make test: all layers passed"

demo: images
	demo/run.sh

benchmark: setup
	PYTHONPATH=$(CURDIR)/.cache/collections python benchmarks/bench_accelerator_facts.py
	PYTHONPATH=$(CURDIR)/.cache/collections python benchmarks/bench_inventory.py
	python benchmarks/bench_boundary.py
	PYTHON=$(PYTHON) benchmarks/setup-tools.sh
	python benchmarks/bench_model_sync.py $(BENCH_MODEL_SYNC_ARGS)

# site.yml on the demo's CPU node, unchanged, against Ansible's cost per task (keeps and reuses the demo fleet).
benchmark-site: images
	podman container exists demo-cpu || HORIZON_DEMO_KEEP=1 demo/run.sh
	python benchmarks/bench_site.py

changelog: setup
	antsibull-changelog lint

clean:
	rm -rf build tests/output demo/output .pytest_cache .ruff_cache
