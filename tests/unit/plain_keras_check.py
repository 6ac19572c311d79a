"""Load a run's ``model.keras`` the way a person without Autoencoder Lab would, and check what it rebuilds.

Run as a script by the tests: ``python plain_keras_check.py MODEL.keras IMAGES.npy [EXPECTED.npy]``. Importing
aecore is made impossible first, so the model must load with Keras alone (``safe_mode=True``); prints
``ok <code shape>``.
"""

import sys


class NoAecore:
    """An import hook that refuses aecore, as in a Python where it is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "aecore":
            raise ImportError("aecore is not installed here")


sys.meta_path.insert(0, NoAecore())

import keras  # noqa: E402
import numpy as np  # noqa: E402

model_path, images_path, *expected_path = sys.argv[1:]
model = keras.models.load_model(model_path, safe_mode=True)
images = np.load(images_path)
codes = model.get_layer("encoder")(images)
rebuilt = np.asarray(model.get_layer("decoder")(codes))
np.testing.assert_allclose(np.asarray(model(images)), rebuilt, atol=1e-5)
if expected_path:
    np.testing.assert_allclose(rebuilt, np.load(expected_path[0]), atol=1e-5)
print("ok", tuple(codes.shape))
