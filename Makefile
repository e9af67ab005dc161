# docseal: `make demo` and `make test` are the two commands a newcomer needs.
# Each installs the system packages it needs when they are missing.

SHELL := /bin/bash
CARGO ?= cargo
DEMO_DATA ?= demo-data
DOCSEAL := $(CARGO) run --quiet --bin docseal --
export OMP_THREAD_LIMIT := 1

# Debian packages: Tesseract with its Vietnamese, English and OSD data; the
# headers and libclang the bindings are generated from; fonts with Vietnamese
# glyphs for result documents and samples (noto-core and dejavu-core draw the
# standard samples; liberation2, freefont, texgyre, roboto, open-sans,
# linuxlibertine and dejavu-extra are the other families `docseal samples
# --wide` draws with, each left out when missing); poppler-utils, qpdf and openssl to
# check result PDFs and certificates; libnss3-tools (certutil) for the NSS
# certificate database pdfsig checks trust against; pip for pyHanko; zbar-tools
# (zbarimg) to read a result's QR seal off a rasterized page.
DEB_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd \
	libtesseract-dev libleptonica-dev clang libclang-dev pkg-config \
	fonts-noto-core fonts-dejavu-core poppler-utils qpdf openssl time \
	fonts-liberation2 fonts-freefont-ttf fonts-texgyre fonts-roboto-unhinted \
	fonts-open-sans fonts-linuxlibertine fonts-dejavu-extra \
	libnss3-tools python3 python3-pip zbar-tools

.PHONY: all deps pydeps browserdeps build demo test lint fmt clean samples bench heldout

all: build

# Installs the Debian packages a recipe put in $$missing, as root or with sudo.
define apt_install
if [ -n "$$missing" ]; then \
	echo "Installing:$$missing"; \
	SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	$(apt_install)

build: deps
	$(CARGO) build --bin docseal

demo: build
	@rm -rf $(DEMO_DATA)
	$(DOCSEAL) --data $(DEMO_DATA) run samples/
	@pdf=$$(ls $(DEMO_DATA)/objects/results/*/*.pdf 2>/dev/null | head -n 1); \
	if [ -z "$$pdf" ]; then echo "No result document was issued."; exit 1; fi; \
	echo; echo "Verifying $$pdf"; \
	$(DOCSEAL) --data $(DEMO_DATA) verify "$$pdf"

# pyHanko, the independent validator the PDF-signature tests check against.
PYHANKO := pyhanko==0.38.0 pyhanko-cli==0.6.0

pydeps:
	@command -v pyhanko >/dev/null 2>&1 || python3 -m pip install -q $(PYHANKO) 2>/dev/null || \
		python3 -m pip install -q --break-system-packages $(PYHANKO)
	@python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography 2>/dev/null || \
		python3 -m pip install -q --break-system-packages cryptography

# The live-server tests: Debian's Chromium (browsers are never downloaded),
# Node.js and npm (by command: a Node.js from elsewhere brings its own npm),
# playwright-core as tests/browser/package-lock.json pins it, and the
# pinned schemathesis (tests/schemathesis.rs).
SCHEMATHESIS := schemathesis==4.32.5

browserdeps:
	@missing=""; [ -x /usr/bin/chromium ] || missing=" chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	$(apt_install)
	@cd tests/browser && { [ node_modules/.package-lock.json -nt package-lock.json ] || \
		npm ci --no-audit --no-fund --loglevel=error; }
	@schemathesis --version 2>/dev/null | grep -qF "version $(lastword $(subst ==, ,$(SCHEMATHESIS)))" || \
		python3 -m pip install -q $(SCHEMATHESIS) 2>/dev/null || \
		python3 -m pip install -q --break-system-packages $(SCHEMATHESIS)

test: deps pydeps browserdeps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	@tests/services.sh start >/dev/null
	@eval "$$(tests/services.sh env)"; \
	status=0; $(CARGO) test --all-targets --no-fail-fast || status=$$?; \
	tests/services.sh stop; exit $$status

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

samples: build
	rm -rf samples
	$(DOCSEAL) samples --out samples --count 16 --seed 2024

# Per-stage costs (criterion), then end-to-end CPU per page against bare tesseract.
bench: build
	$(CARGO) bench --bench stages
	benches/throughput.sh 36 7031

# Issue 13's figures on held-out seeds (never tuned on): wide samples, some
# pages as PDFs written by img2pdf, ImageMagick and Ghostscript, and CPU on
# them against bare tesseract and OCRmyPDF. HELDOUT_SEEDS and HELDOUT_COUNT
# choose the sets.
HELDOUT_PACKAGES := img2pdf imagemagick ghostscript
OCRMYPDF := ocrmypdf==17.13.0
HELDOUT_SEEDS ?= 98001 98002 98003 98004
HELDOUT_COUNT ?= 30

heldout: build
	@missing=""; for p in $(HELDOUT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	$(apt_install)
	@ocrmypdf --version 2>/dev/null | grep -qxF "$(lastword $(subst ==, ,$(OCRMYPDF)))" || \
		python3 -m pip install -q $(OCRMYPDF) 2>/dev/null || \
		python3 -m pip install -q --break-system-packages $(OCRMYPDF)
	benches/heldout.sh --count $(HELDOUT_COUNT) $(HELDOUT_SEEDS)

clean:
	$(CARGO) clean
	rm -rf $(DEMO_DATA)
