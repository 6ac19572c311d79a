"""TensorFlow and Keras, imported once for the whole package, without their start-up noise.

TensorFlow 2.21 writes CUDA probing and oneDNN notes straight to the process's stderr while it
loads, whatever ``TF_CPP_MIN_LOG_LEVEL`` says; a user then reads six lines of noise above the
one error line that matters. Every module of aecore imports TensorFlow from here, so the noise
is silenced in one place. Set ``AECORE_TF_VERBOSE=1`` to see it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to a scratch file while native code that prints is loaded.

    If the load fails, what it printed is written back to stderr, so a fatal reason is never lost.
    """
    if os.environ.get("AECORE_TF_VERBOSE") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


with native_stderr_silenced():
    import keras
    import tensorflow as tf

    tf.config.list_physical_devices("GPU")  # CUDA is probed (and complains) on the first device query

# Every job wraps its own model's methods in tf.function, which TensorFlow reports as "retracing" once a
# few jobs have run: a warning per job that is expected here and would bury real problems in a server log.
tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf"]
