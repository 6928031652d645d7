from dataclasses import dataclass

import pytest

from mlplab.findings import SEVERE, Finding
from mlplab.report import findings_section
from mlplab.report.findings_section import findings_html, run_findings, stored_findings


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


def test_run_findings_calls_diagnose_run_when_the_summary_keeps_none(monkeypatch, tmp_path):
    calls = []

    def diagnose(run_dir):
        calls.append(run_dir)
        return [StubFinding("diverged", [], str(run_dir), "loss not finite", "lower lr")]
    monkeypatch.setattr(findings_section, "diagnose_run", diagnose)
    for summary in (None, {}, {"test_accuracy": 0.9}):          # no summary.json yet, or one without findings
        findings, severe, problem = run_findings(tmp_path, summary)
        assert [f.measured for f in findings] == [str(tmp_path)] and severe == SEVERE and problem == ""
    assert calls == [tmp_path] * 3

    def broken(run_dir):
        raise FileNotFoundError("no diagnostics.json")
    monkeypatch.setattr(findings_section, "diagnose_run", broken)
    assert run_findings(tmp_path) == ([], SEVERE, "the findings could not be computed: no diagnostics.json")


def test_run_findings_reads_the_findings_the_summary_keeps(monkeypatch, tmp_path):
    """What training stored is shown as it was stored, and nothing is recomputed (diagnose_run would fail)."""
    def never(run_dir):
        raise AssertionError("diagnose_run called although summary.json keeps the findings")
    monkeypatch.setattr(findings_section, "diagnose_run", never)
    kept = Finding("dead-units", ["hidden 2"], "41% dead", "at least 40% of a layer's units dead", "lower the rate")
    findings, severe, problem = run_findings(tmp_path, {"findings": [kept.record()]})
    assert findings == [kept] and severe == SEVERE and problem == ""
    assert findings[0].headline() == "hidden 2: units are dead [dead-units, severe]"
    assert run_findings(tmp_path, {"findings": []}) == ([], SEVERE, "")          # stored: there were none


def test_findings_another_version_stored_are_computed_afresh(monkeypatch, tmp_path):
    fresh = [Finding("diverged", [], "loss nan", "a loss that is NaN", "lower lr")]
    monkeypatch.setattr(findings_section, "diagnose_run", lambda run_dir: fresh)
    good = {"code": "overfitting", "layers": [], "measured": "m", "threshold": "t", "advice": "a"}
    for stored in ({**good, "code": "too-clever"}, {**good, "extra": 1}, {k: v for k, v in good.items() if k != "advice"},
                   {**good, "layers": "hidden 1"}, "overfitting"):
        assert stored_findings({"findings": [good, stored]}) is None
        assert run_findings(tmp_path, {"findings": [good, stored]})[0] == fresh
    assert stored_findings({"findings": [good]}) == [Finding(**good)]


def test_a_stored_finding_that_is_not_one_is_refused_naming_what_is_wrong():
    with pytest.raises(ValueError, match="code must be one of .* got 'too-clever'"):
        Finding.from_record({"code": "too-clever", "layers": [], "measured": "", "threshold": "", "advice": ""})
    with pytest.raises(ValueError, match="keys .* got 'overfitting'"):
        Finding.from_record("overfitting")
