# openstack-lab — every target runs `setup` first; setup is idempotent and fast when done.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STACK ?= dev
PY := .venv/bin/python

.PHONY: help setup env up down preview test e2e bench clean-toolchain \
	checkpoint-save checkpoint-restore checkpoint-list checkpoint-delete

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## apt packages, virtualenv, Pulumi toolchain, state backend, libvirt daemons
	@scripts/setup.sh

env: ## shell exports for running pulumi by hand: eval "$$(make -s env)"
	@scripts/env.sh

up: setup ## bring up the default lab (stack $(STACK))
	@scripts/up.sh $(STACK)

preview: setup ## preview the default lab
	@scripts/lab.sh preview $(STACK)

down: setup ## destroy the lab (overlay first, then underlay)
	@scripts/down.sh $(STACK)

test: setup ## fast tiers: unit, graph, render validation, real-engine toolchain tests
	@scripts/test.sh

e2e: setup ## slow tier: the full local lab end to end (long; see README)
	@scripts/setup/browser.sh
	@scripts/test.sh -m e2e

bench: setup ## benchmarks (numbers go in bench/results/)
	@scripts/bench.sh

checkpoint-save: setup ## save the lab's nodes (memory and disks) and state: NAME=...
	@scripts/lab.sh checkpoint save "$(NAME)" $(STACK)

checkpoint-restore: setup ## put the lab back as checkpoint NAME saved it
	@scripts/lab.sh checkpoint restore "$(NAME)" $(STACK)

checkpoint-list: setup ## the lab's checkpoints: name, time, size, commit
	@scripts/lab.sh checkpoint list $(STACK)

checkpoint-delete: setup ## delete checkpoint NAME
	@scripts/lab.sh checkpoint delete "$(NAME)" $(STACK)

clean-toolchain: ## forget the built Pulumi toolchain (next setup rebuilds it)
	@scripts/setup/toolchain.sh --clean
