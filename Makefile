# Shortcuts for the commands of README.md and docs/operations.md, "Make targets". `make help` lists them.
.DEFAULT_GOAL := help
COMPOSE ?= docker compose

# Targets that need Docker stop at once, in one line, when no engine answers: Compose's own
# errors do not say what to do instead. $(1) is that advice (no commas: they split arguments).
need-docker = $(if $(shell docker info >/dev/null 2>&1 && echo up),,$(error make $@ needs a running Docker engine (docker info failed); $(1)))

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

up: ## Start PostgreSQL, Adminer, the loader and the scheduler with Docker Compose
	$(call need-docker,without Docker use: make start)
	mkdir -p logs
	$(COMPOSE) up --build -d
	@echo "Adminer: http://localhost:8080   cron.log: tail -f logs/cron.log"

down: ## Stop the Compose stack (the database volume is kept)
	$(call need-docker,without Docker: Ctrl-C stops make start)
	$(COMPOSE) down

reset: ## Stop the Compose stack and delete its database volume
	$(call need-docker,without Docker: stop make start and delete its data folder (EMBEDDED_PG_DIR or .pgdata))
	$(COMPOSE) down --volumes

reload: ## Load data/loans.csv again under Compose, changed or not (the loader service skips it unless it changed)
	$(call need-docker,without Docker use: npm run load while make start runs)
	$(COMPOSE) run --rm loader node dist/loader/main.js data/loans.csv

tail: ## Follow cron.log
	tail -f logs/cron.log

psql: ## Open psql on the Compose database
	$(call need-docker,without Docker use: make psql-embedded)
	$(COMPOSE) exec db sh -c 'psql -U "$$POSTGRES_USER" "$$POSTGRES_DB"'

psql-embedded: ## Open psql on the embedded database of make start / npm start (no Docker needed)
	@command -v psql >/dev/null 2>&1 || { echo "make psql-embedded needs psql, which is not installed (Debian/Ubuntu: apt-get install postgresql-client)" >&2; exit 1; }
	@npm run -s build
	@url=$$(node dist/embedded/connectionUrl.js) && exec psql "$$url"

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

.PHONY: help up down reset reload tail psql psql-embedded start install test check ci data
