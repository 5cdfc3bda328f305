# Shortcuts for the commands in README.md. `make help` lists them.
.DEFAULT_GOAL := help
COMPOSE ?= docker compose

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

up: ## Start PostgreSQL, Adminer, the loader and the scheduler with Docker Compose
	mkdir -p logs
	$(COMPOSE) up --build -d
	@echo "Adminer: http://localhost:8080   cron.log: tail -f logs/cron.log"

down: ## Stop the Compose stack (the database volume is kept)
	$(COMPOSE) down

reset: ## Stop the Compose stack and delete its database volume
	$(COMPOSE) down --volumes

reload: ## Load data/loans.csv again under Compose, changed or not (the loader service skips it unless it changed)
	$(COMPOSE) run --rm loader node dist/loader/main.js data/loans.csv

tail: ## Follow cron.log
	tail -f logs/cron.log

psql: ## Open psql on the Compose database
	$(COMPOSE) exec db sh -c 'psql -U "$$POSTGRES_USER" "$$POSTGRES_DB"'

start: ## Run everything without Docker, on an embedded PostgreSQL (npm start)
	npm start

install: ## Install the dependencies from the lockfile
	npm ci

test: ## Run every test (starts its own PostgreSQL)
	npm test

check: ## Typecheck, lint and validate docker-compose.yml
	npm run typecheck
	npm run lint
	for script in docker/*.sh; do sh -n "$$script"; done
	docker-compose -f docker-compose.yml config --quiet

ci: ## Exactly what CI runs
	bash .ci/run

data: ## Regenerate the synthetic data/loans.csv (seeded: same file every time)
	npm run -s generate-data > data/loans.csv

.PHONY: help up down reset reload tail psql start install test check ci data
