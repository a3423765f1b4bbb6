# town311 — `make run` brings the product up on 127.0.0.1, `make test` runs every test and check.
PORT ?= 3311
EMULATOR_PORT ?= 5311
TEST_EMULATOR_PORT ?= 5312
export PORT EMULATOR_PORT TEST_EMULATOR_PORT

.PHONY: run stop test template-check sam-build api-key privacy outbox send inbox digest bench soak cost deploy

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

## Only the deployable build, as make deploy makes it (sam build: each function's cargo lambda build
## --release --arm64, into .aws-sam/build), and its checks.
sam-build:
	@infra/local/venv.sh all && tests/sam/build.sh

## What the running local stack sent citizens (SMS and email, recorded by the emulator).
outbox:
	@EMULATOR_PORT=$(EMULATOR_PORT) python3 infra/local/outbox.py

## Write to the running local stack as a citizen: make send ARGS='email --from ana@example.org --text "Deep hole on Elm St"'
## (to report@311.millbrook.example, or --to a reply address) | ARGS='text --from +15555550100 --text "East side"'
send:
	@EMULATOR_PORT=$(EMULATOR_PORT) python3 infra/local/conversation.py $(ARGS)

## A ticket's conversation on the running local stack: make inbox TICKET=K7QM-3XPR
inbox:
	@PORT=$(PORT) EMULATOR_PORT=$(EMULATOR_PORT) python3 infra/local/conversation.py inbox $(TICKET)

## Export or erase one person's data on the running local stack: make privacy ARGS="export --contact ana@example.org"
## | ARGS="erase --contact +15555550100" (in AWS: town311-admin with the stack's TABLE_NAME and CONTACT_SECRET)
privacy:
	@AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_REGION=us-east-1 \
	  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing TABLE_NAME=town311-tickets \
	  CONTACT_SECRET='town311 contact secret of the tests and the local stack' \
	  cargo run --quiet --locked -p town311-ops --bin town311-admin -- privacy $(ARGS)

## Run the morning digest once on the running local stack, as the schedule does each morning in AWS
## (each department's overdue and due-today requests; the "was it fixed?" questions due); make outbox shows the mail.
digest:
	@python3 -c 'import json, sys, urllib.request; r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="POST"), timeout=300); print(json.dumps(json.load(r), indent=2))' "http://127.0.0.1:$(PORT)/_town311/digest"

## Manage API keys of the running local stack: make api-key ARGS="issue --name FixMyStreet" | ARGS=list | ARGS="revoke ID"
api-key:
	@AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_REGION=us-east-1 \
	  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing TABLE_NAME=town311-tickets \
	  cargo run --quiet --locked -p town311-ops --bin town311-admin -- api-key $(ARGS)

## Measure artefact sizes, cold starts, warm latency, AWS calls and the monthly bill: bench/report/latest.md (and .json).
bench:
	@bench/run.sh

## The storm-night reliability run: 300 reports from 16 clients, SNS and DynamoDB outages mid-run; bench/report/soak.md (and .json).
soak:
	@bench/soak.sh

## The monthly bill from the last `make bench` measurements (no new measurement; edit bench/report.py's prices or town to try others).
cost:
	@infra/local/venv.sh all && .venv/bin/python bench/report.py --target target --cost-only

## Build with SAM and deploy (needs AWS credentials; docs/deploy.md): sam deploy --guided the first time, which
## saves the answers in samconfig.toml; then sam deploy with them: make deploy ARGS="--parameter-overrides SmsNumber=+15555550311"
deploy:
	@infra/local/venv.sh all
	infra/sam-build.sh
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam deploy $(if $(wildcard samconfig.toml),,--guided) $(ARGS)
