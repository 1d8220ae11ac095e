"""The exporter registry: `--format` choices come from it, and a new export is one module.

The tiny exporter below is what the README's "Adding an export" describes: one class, found
either by `exports.register` (in-process) or through the `examgen.exporters` entry point of
an installed package (here a package folder put on PYTHONPATH, as pip would install it).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from generator import cli, exports
from generator.errors import ExamgenError
from generator.exports import Export, Exporter
from tests.conftest import ROOT, run_cli

SPEC = """\
title: "Registry"
seed: 5
variants: 2
problems:
  - id: cnn/conv-layer-cost
    parts: [shape, params]
  - id: cnn/receptive-field
"""


class Slots(Exporter):
    """One line per variant and slot: the variant key, the problem and its part labels."""

    name = "slots-test"
    filename = "slots.txt"
    description = "a test export: variant, problem and part labels per line"

    def write(self, export: Export) -> str:
        lines = []
        for variant, rendered in zip(export.variants, export.rendered, strict=True):
            for problem in rendered:
                lines.append(f"{variant.key} {problem.problem_id} {','.join(p.label for p in problem.parts)}")
        return "\n".join(lines) + "\n"


@pytest.fixture
def registered():
    exports.register(Slots)
    yield Slots
    exports.unregister(Slots.name)


def test_builtin_exporters_are_in_the_registry_with_their_files():
    assert exports.names()[:4] == ("key", "csv", "moodle", "practice")
    files = {name: exports.get(name).filename for name in ("key", "csv", "moodle", "practice")}
    assert files == {"key": "key.json", "csv": "key.csv", "moodle": "moodle.xml", "practice": "index.html"}
    for name in exports.BUILTIN:
        exporter = exports.get(name)
        assert exporter.name == name and exporter.description and set(exporter.needs) <= set(exports.NEEDS)


def test_a_build_writes_the_always_exporters_and_the_requested_ones_in_registry_order():
    assert [e.name for e in exports.chosen([])] == ["key", "csv"]
    assert [e.name for e in exports.chosen(["practice", "moodle"])] == ["key", "csv", "moodle", "practice"]
    with pytest.raises(ExamgenError, match="no export called 'qti'"):
        exports.chosen(["qti"])


def test_format_choices_come_from_the_registry(registered, capsys):
    parser = cli.make_parser()
    assert parser.parse_args(["build", "x.yaml", "--format", "slots-test"]).formats == ["slots-test"]
    with pytest.raises(SystemExit):
        parser.parse_args(["build", "--help"])
    assert "moodle, practice, canvas, qti21, slots-test" in " ".join(capsys.readouterr().out.split())
    exports.unregister(Slots.name)
    with pytest.raises(cli.UsageError, match="invalid choice: 'slots-test'"):
        cli.make_parser().parse_args(["build", "x.yaml", "--format", "slots-test"])


def test_a_registered_exporter_writes_its_file_in_a_build(registered, tmp_path, capsys):
    spec = tmp_path / "registry.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["build", str(spec), "--no-pdf", "--format", "slots-test", "--out", str(out)]) == 0
    assert (out / "slots.txt").read_text(encoding="utf-8").splitlines() == [
        "001 cnn/conv-layer-cost a,b", "001 cnn/receptive-field a,b,c",
        "002 cnn/conv-layer-cost a,b", "002 cnn/receptive-field a,b,c",
    ]
    assert (out / "key.json").is_file() and (out / "key.csv").is_file() and not (out / "moodle.xml").exists()
    assert "slots.txt" in json.loads((out / ".examgen" / "manifest.json").read_text(encoding="utf-8"))["files"]


def test_an_installed_package_adds_an_export_through_its_entry_point(tmp_path):
    site = tmp_path / "site"
    (site / "tiny_export").mkdir(parents=True)
    (site / "tiny_export" / "__init__.py").write_text(textwrap.dedent('''
        from generator.exports import Exporter


        class Count(Exporter):
            name = "count"
            filename = "count.txt"
            description = "the number of variants and slots"

            def write(self, export):
                return f"{len(export.variants)} variants, {len(export.plan.slots)} slots\\n"
    '''), encoding="utf-8")
    info = site / "tiny_export-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-export\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[examgen.exporters]\ncount = tiny_export:Count\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    spec = tmp_path / "registry.yaml"
    spec.write_text(SPEC, encoding="utf-8")

    shown = run_cli("build", "--help", env=env)
    assert shown.returncode == 0 and "count" in shown.stdout.split("--format NAME", 1)[1]
    built = run_cli("build", str(spec), "--no-pdf", "--format", "count", "--out", str(tmp_path / "out"), env=env)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "count.txt").read_text(encoding="utf-8") == "2 variants, 2 slots\n"
    refused = run_cli("build", str(spec), "--no-pdf", "--format", "count", "--out", str(tmp_path / "x"))
    assert refused.returncode == 2 and "invalid choice: 'count'" in refused.stderr


def test_no_module_switches_on_a_format_name():
    """Format names are spelled only where the registry is and where each exporter names itself."""
    allowed = {Path("generator/exports/__init__.py")}
    for name in ("moodle", "html-mathjax", "html-mathml"):
        for path in (ROOT / "generator").rglob("*.py"):
            relative = path.relative_to(ROOT)
            text = path.read_text(encoding="utf-8")
            for quoted in (f'"{name}"', f"'{name}'"):
                if quoted in text and relative not in allowed:
                    lines = [line.strip() for line in text.splitlines() if quoted in line]
                    assert all(line.startswith(("name = ", "needs = ")) for line in lines), (relative, lines)
