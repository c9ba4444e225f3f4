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

.PHONY: package build-FlaskFunction build-FastApiFunction

package:
	$(LAMBGATE_PACKAGE) --output "$(OUTPUT)"

build-FlaskFunction build-FastApiFunction:
	$(LAMBGATE_PACKAGE) --quiet --output "$(ARTIFACTS_DIR).zip"
	$(PYTHON) -m zipfile -e "$(ARTIFACTS_DIR).zip" "$(ARTIFACTS_DIR)"
	rm "$(ARTIFACTS_DIR).zip"
