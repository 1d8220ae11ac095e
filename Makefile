# Set-up and everyday commands. On a fresh machine `make exam` and `make test` do everything:
# a virtual environment with the project, TeX Live (Debian packages) when pdflatex is missing.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures lmodern poppler-utils texlive-lang-german
# lualatex and the Noto fonts: the sheets of roster names in other scripts (Vietnamese, Greek,
# Cyrillic, CJK, Arabic); every other sheet is pdflatex's
FONT_PACKAGES := texlive-luatex fonts-noto-core fonts-noto-cjk
# pandoc: LaTeX to HTML for the practice page and moodle.xml; chromium: the page's browser tests;
# npm: axe-core, the accessibility checker the accessible exam's test runs in Chromium
WEB_PACKAGES := pandoc chromium npm
AXE     := $(VENV)/axe/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1

.PHONY: exam test install tex fonts web axe apt-tex apt-fonts apt-web lint verify stress bench catalogs clean

exam: install tex fonts
	$(BIN)/examgen build exams/demo.yaml

test: install tex fonts web axe
	$(BIN)/ruff check generator problem_bank tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# System packages from Debian, each group only when one of its commands is missing: as root
# with apt-get, otherwise stop and print the exact command to run.
#   tex: TeX Live for the PDFs (and pdftotext, used by the tests), German hyphenation for `language: de`
#   web: pandoc (LaTeX to HTML: practice page, moodle.xml) and Chromium (the page's browser tests)
define apt_install
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "installing $(1) from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	else \
	  echo "missing $(1); run: sudo apt-get install -y $(2)"; exit 1; \
	fi
endef

tex:
	@command -v pdflatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
	  && kpsewhich ngerman.ldf >/dev/null 2>&1 || $(MAKE) --no-print-directory apt-tex

fonts:
	@command -v lualatex >/dev/null 2>&1 && kpsewhich luaotfload.sty >/dev/null 2>&1 \
	  && fc-list | grep -q NotoSerifCJK && fc-list | grep -q NotoNaskhArabic \
	  || $(MAKE) --no-print-directory apt-fonts

web:
	@command -v pandoc >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	  || $(MAKE) --no-print-directory apt-web

# axe-core from the npm registry, into the virtual environment's folder (not the project's)
axe: install web
	@[ -f $(AXE) ] || npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

apt-tex:
	$(call apt_install,TeX Live,$(TEX_PACKAGES))

apt-fonts:
	$(call apt_install,lualatex and the Noto fonts,$(FONT_PACKAGES))

apt-web:
	$(call apt_install,pandoc and Chromium,$(WEB_PACKAGES))

lint: install
	$(BIN)/ruff check generator problem_bank tests benchmarks

verify: install
	$(BIN)/examgen verify --seeds 500

# The message catalogs (generator/locale/*/LC_MESSAGES/examgen.po) brought up to date with the
# sources: new messages added with an empty msgstr (to translate), unused ones dropped.
catalogs: install
	$(BIN)/python -m generator.i18n

# The long certification (not part of `make test`): 5000 seeds of every problem through
# the independent checks, and seeds 0-49 of every problem compiled to PDF.
stress: install tex
	$(BIN)/examgen verify --seeds 5000 --pdf 50
	EXAMGEN_CHOICE_SEEDS=200 $(BIN)/python -m pytest -q tests/test_choice.py -k options_distinct

# Speed targets, measured with hyperfine; writes benchmarks/results.md.
bench: install tex
	@command -v hyperfine >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq hyperfine >/dev/null; } \
	  || { echo "hyperfine is missing; run: sudo apt-get install -y hyperfine"; exit 1; }
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/preview_latency.py

clean:
	rm -rf output/* $(VENV) .pytest_cache
	touch output/.gitkeep
