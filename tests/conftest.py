import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def one_hot_instance(rng, class_sizes, d):
    """X (n×d) Gaussian, Y one-hot with the given class sizes (so ‖y_j‖ = √n_j), rows shuffled."""
    labels = np.concatenate([np.full(s, j) for j, s in enumerate(class_sizes)])
    labels = rng.permutation(labels)
    X = rng.standard_normal((labels.size, d))
    return X, np.eye(len(class_sizes))[labels]
