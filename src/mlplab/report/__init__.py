"""Figures and a self-contained HTML report for a run directory.

``write_report(run_dir)`` writes ``report.html`` with, at the top, the run's findings
(:mod:`mlplab.findings`), then the model summary; the training curves (validation per epoch, the
test set once at the end), the learning rate with the best epoch; for classifiers the confusion
matrix, per-class accuracy, the misclassified test images and the first layer's weights as images;
and from the recorded diagnostics (:mod:`mlplab.diagnostics`) per-layer histograms before and
after training, percentiles, dead/saturated fractions, gradient norms and update ratios.  Every
figure has labelled axes and a one-line caption saying what to look for; layers are named as the
lectures count them ("hidden 2").

Modules: :mod:`~mlplab.report.common` (pyplot, colours, PNGs), :mod:`~mlplab.report.curves`,
:mod:`~mlplab.report.histograms`, :mod:`~mlplab.report.over_training`, :mod:`~mlplab.report.classifier`,
:mod:`~mlplab.report.tables`, :mod:`~mlplab.report.findings_section`, :mod:`~mlplab.report.inputs`
and :mod:`~mlplab.report.page`.  Every ``plot_*`` returns a matplotlib Figure (for notebooks).
"""

from mlplab.report.classifier import (TestPredictions, confusion_matrix, per_class_accuracy, plot_confusion_matrix,
                                      plot_decision_regions, plot_first_layer_weights, plot_misclassified,
                                      plot_per_class_accuracy)
from mlplab.report.common import FIGURE_DPI, figure_png, layer_colors, pyplot, read_metrics, save_figure
from mlplab.report.curves import best_epoch, plot_curves, plot_learning_rate, plot_pretraining
from mlplab.report.histograms import plot_histogram_grid, plot_histograms
from mlplab.report.inputs import RunInputs
from mlplab.report.over_training import (plot_fractions, plot_gradient_norms, plot_percentiles,
                                         plot_update_ratios)
from mlplab.report.page import Figure, report_sections, write_report

__all__ = ["write_report", "report_sections", "Figure", "pyplot", "read_metrics", "save_figure", "figure_png",
           "layer_colors", "FIGURE_DPI", "RunInputs", "best_epoch", "plot_curves", "plot_learning_rate",
           "plot_pretraining", "plot_histograms", "plot_histogram_grid", "plot_percentiles", "plot_fractions",
           "plot_gradient_norms", "plot_update_ratios",
           "TestPredictions", "confusion_matrix", "per_class_accuracy", "plot_confusion_matrix",
           "plot_per_class_accuracy", "plot_misclassified", "plot_first_layer_weights", "plot_decision_regions"]
