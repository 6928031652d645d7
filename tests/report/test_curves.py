from mlplab.report.curves import best_epoch, plot_curves

HISTORY = [{"epoch": 1, "train_loss": 1.0, "train_accuracy": 0.5, "val_loss": 0.9, "val_accuracy": 0.6},
           {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.7},
           {"epoch": 3, "train_loss": 0.2, "train_accuracy": 0.9, "val_loss": 0.8, "val_accuracy": 0.72}]


def test_best_epoch_is_the_lowest_validation_loss_else_training_loss():
    assert best_epoch(HISTORY).epoch == 2 and best_epoch(HISTORY).criterion == "lowest validation loss"
    no_val = [{k: v for k, v in row.items() if not k.startswith("val")} for row in HISTORY]
    assert best_epoch(no_val).epoch == 3 and best_epoch(no_val).criterion == "lowest training loss"
    assert best_epoch([]) is None


def test_curves_show_validation_per_epoch_and_test_once():
    fig = plot_curves(HISTORY, final_test={"test_loss": 0.75, "test_accuracy": 0.71}, best=best_epoch(HISTORY))
    left = fig.axes[0]
    labels = [line.get_label() for line in left.get_lines()]
    assert labels[:3] == ["training", "validation", "test (once, after training)"]
    test = left.get_lines()[2]
    assert list(test.get_xdata()) == [3] and list(test.get_ydata()) == [0.75]
    assert any(label.startswith("best epoch 2") for label in labels)
    assert left.get_xlabel() == "epoch" and left.get_ylabel() == "cross-entropy loss"


def test_curves_with_test_every_epoch_show_it_labelled():
    history = [{**row, "test_loss": 0.1 * row["epoch"], "test_accuracy": 0.5} for row in HISTORY]
    labels = [line.get_label() for line in plot_curves(history, final_test={"test_loss": 0.3}).axes[0].get_lines()]
    assert "test (every epoch: --test-every-epoch)" in labels and "test (once, after training)" not in labels
