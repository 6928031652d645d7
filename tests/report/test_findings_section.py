import sys
import types
from dataclasses import dataclass

from mlplab.report.findings_section import findings_html, run_findings


@dataclass(frozen=True)
class StubFinding:
    code: str
    layers: list
    measured: str
    threshold: str
    advice: str

    def headline(self) -> str:
        return f"{', '.join(self.layers) or 'the run'}: {self.code}"


def test_findings_show_headline_measured_threshold_and_advice_severe_first():
    findings = [StubFinding("not-zero-centred", ["hidden 1"], "mean 0.5", "mean above 0.25", "use tanh"),
                StubFinding("vanishing-activations", ["hidden 6", "hidden 7"], "std 1e-6 <b>", "std below 1e-2",
                            "CS7015 lecture 9, module 9.4: Xavier init")]
    page = findings_html(findings, frozenset({"vanishing-activations"}))
    assert page.index("hidden 6, hidden 7: vanishing-activations") < page.index("hidden 1: not-zero-centred")
    assert "class='finding severe' data-code='vanishing-activations'" in page
    assert "std 1e-6 &lt;b&gt;" in page                         # escaped
    for word in ("measured", "threshold", "advice", "CS7015 lecture 9, module 9.4"):
        assert word in page
    assert "2 findings, 1 of them severe" in page


def test_no_findings_and_no_diagnosis_say_so():
    assert "No findings: none of the checks" in findings_html([], frozenset())
    assert "No findings: the findings could not" in findings_html([], frozenset(), "the findings could not be computed")


def test_run_findings_calls_diagnose_run(monkeypatch, tmp_path):
    stub = types.ModuleType("mlplab.findings")
    stub.SEVERE = frozenset({"diverged"})
    stub.diagnose_run = lambda run_dir: [StubFinding("diverged", [], str(run_dir), "loss not finite", "lower lr")]
    monkeypatch.setitem(sys.modules, "mlplab.findings", stub)
    findings, severe, problem = run_findings(tmp_path)
    assert [f.measured for f in findings] == [str(tmp_path)] and severe == {"diverged"} and problem == ""

    def broken(run_dir):
        raise FileNotFoundError("no diagnostics.json")
    stub.diagnose_run = broken
    assert run_findings(tmp_path) == ([], {"diverged"}, "the findings could not be computed: no diagnostics.json")
