# town311 — `make run` brings the product up on 127.0.0.1, `make test` runs every test and check.
PORT ?= 3311
EMULATOR_PORT ?= 5311
TEST_EMULATOR_PORT ?= 5312
export PORT EMULATOR_PORT TEST_EMULATOR_PORT

.PHONY: run stop test template-check lambda-build api-key outbox

## Start the emulator, create the resources from template.yaml, seed the demo catalog, serve the API.
run:
	@infra/local/run.sh

## Stop what `make run` started.
stop:
	@infra/local/stop.sh

## Every test and check (what CI runs).
test:
	@tests/run.sh

## Only the template checks.
template-check:
	@infra/local/venv.sh all && tests/template/check.sh

## Only the deployable build (cargo lambda build --release --arm64).
lambda-build:
	@infra/local/venv.sh all && tests/lambda-build.sh

## What the running local stack sent citizens (SMS and email, recorded by the emulator).
outbox:
	@EMULATOR_PORT=$(EMULATOR_PORT) python3 infra/local/outbox.py

## Manage API keys of the running local stack: make api-key ARGS="issue --name FixMyStreet" | ARGS=list | ARGS="revoke ID"
api-key:
	@AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_REGION=us-east-1 \
	  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing TABLE_NAME=town311-tickets \
	  cargo run --quiet --locked -p town311-ops --bin town311-admin -- api-key $(ARGS)
