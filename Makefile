# The examples' deployment package: one recipe for both ways template.yaml's apps are deployed.
#   sam build       runs `make build-<LogicalId>` with ARTIFACTS_DIR set (template.yaml's
#                   Metadata says BuildMethod: makefile; CodeUri . makes this Makefile theirs);
#   make package    writes dist/lambgate-examples.zip for Terraform (infra/examples/basic).
# Both run `lambgate package` from the environment lambgate is installed in: the requirements
# resolved for python3.12 on arm64 (template.yaml's Globals), examples/ at the zip's root, and
# the part of lambgate that runs in Lambda; the rest of the checkout stays out.

PYTHON ?= python3
REQUIREMENTS ?= examples/requirements.txt
OUTPUT ?= dist/lambgate-examples.zip
LAMBGATE_PACKAGE = $(PYTHON) -m lambgate package --source . --requirements "$(REQUIREMENTS)" \
	--python 3.12 --arch arm64 \
	--exclude handler --exclude local_server --exclude infra --exclude tests --exclude bench --exclude docs \
	--exclude build --exclude '.*' --exclude '*.egg-info' --exclude '*.md' --exclude '*.toml' \
	--exclude '*.yaml' --exclude Makefile

# `python -m zipfile -e` drops the files' modes, and SAM zips ARTIFACTS_DIR with each file's own:
# lambgate/streaming/exec-wrapper must stay executable, as Lambda runs AWS_LAMBDA_EXEC_WRAPPER
# (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html). This extracts the zip and
# gives each file the Unix mode the zip recorded (the high 16 bits of external_attr).
EXTRACT_KEEPING_MODES = $(PYTHON) -c 'import os, sys, zipfile; \
	archive = zipfile.ZipFile(sys.argv[1]); \
	[os.chmod(archive.extract(entry, sys.argv[2]), entry.external_attr >> 16 & 0o7777) \
	 for entry in archive.infolist() if entry.external_attr >> 16]'

.PHONY: package build-FlaskFunction build-FastApiFunction

package:
	$(LAMBGATE_PACKAGE) --output "$(OUTPUT)"

build-FlaskFunction build-FastApiFunction:
	$(LAMBGATE_PACKAGE) --quiet --output "$(ARTIFACTS_DIR).zip"
	$(EXTRACT_KEEPING_MODES) "$(ARTIFACTS_DIR).zip" "$(ARTIFACTS_DIR)"
	rm "$(ARTIFACTS_DIR).zip"
