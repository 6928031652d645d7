import numpy as np

from mlplab.data import load_dataset
from mlplab.report.classifier import (TestPredictions, confusion_matrix, most_confident_mistakes, per_class_accuracy,
                                      plot_confusion_matrix, plot_first_layer_weights, plot_misclassified)

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def test_confusion_matrix_and_per_class_accuracy():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 0, 1, 1, 0])
    matrix = confusion_matrix(y_true, y_pred, 4)
    assert matrix.tolist() == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    accuracy = per_class_accuracy(matrix)
    assert np.allclose(accuracy[:3], [2 / 3, 1.0, 0.0]) and np.isnan(accuracy[3])


def test_the_gallery_shows_the_most_confident_mistakes_with_both_labels():
    predictions = TestPredictions(np.array([0, 1, 2, 0]), np.array([1, 1, 0, 2]), np.array([0.6, 0.99, 0.9, 0.7]),
                                  ["zero", "one", "two"])
    assert most_confident_mistakes(predictions).tolist() == [2, 3, 0]
    fig = plot_misclassified(np.arange(4 * 4).reshape(4, 4), predictions, (2, 2), pixel_max=16.0)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["true: two\npred: zero (90%)", "true: zero\npred: two (70%)", "true: zero\npred: one (60%)"]


def test_confusion_matrix_figure_uses_the_class_names():
    predictions = TestPredictions(np.arange(10), np.arange(10), np.ones(10), FASHION)
    ax = plot_confusion_matrix(predictions).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == FASHION
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_first_layer_weights_are_drawn_as_images_one_per_unit():
    W = np.random.default_rng(0).normal(size=(40, 64))
    fig = plot_first_layer_weights(W, (8, 8))
    images = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(images) == 25 and images[3].shape == (8, 8)
    assert np.array_equal(images[3], W[3].reshape(8, 8))


def test_datasets_name_their_classes():
    assert load_dataset("digits").label_names() == [str(d) for d in range(10)]
    assert load_dataset("digits").image_shape == (8, 8)
    assert load_dataset("moons").label_names() == ["0", "1"] and load_dataset("moons").image_shape is None


def test_fashion_mnist_has_its_ten_names():
    from mlplab.data.datasets import CLASS_NAMES
    assert list(CLASS_NAMES["fashion-mnist"]) == FASHION
