"""What saving a run costs: checkpoints, history, previews and TensorBoard events against the training itself.

Trains the dense 784-128-64-32 autoencoder (batch 128) on full Fashion-MNIST twice per round, once saved in a
run store and once not, alternating so both see the same machine. For the saved run it also times every call of
the run recorder (what the store adds at each epoch end and at the end). Reports wall seconds per epoch (epoch
2 onwards, so tracing is left out) and the recorder's share of the saved run's wall time.

    python -m benchmarks.store_overhead [--epochs 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from aecore.jobs.run_jobs import new_job
from aecore.runs.recorder import RunRecorder
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.training.engine import TrainingJob


def timed_recorder(recorder: RunRecorder, spent: list[float]) -> None:
    """Wrap the recorder's calls so the seconds each takes are added to ``spent``."""
    for name in ("started", "epoch_ended", "ended"):
        call = getattr(recorder, name)

        def wrapped(*args, _call=call, **kwargs):
            started = time.perf_counter()
            try:
                return _call(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        setattr(recorder, name, wrapped)


def epoch_walls(job: TrainingJob) -> list[float]:
    """Wall seconds of each epoch (its training, validation, preview and saving), from when each epoch's record
    appears in the job's snapshot, polled every 20 ms while the job trains in a thread."""
    import threading

    ends: list[float] = []
    thread = threading.Thread(target=job.run)
    started = time.perf_counter()
    thread.start()
    seen = 0
    while thread.is_alive():
        done = len(job.snapshot().epoch_history)
        if done > seen:
            ends.extend([time.perf_counter()] * (done - seen))
            seen = done
        time.sleep(0.02)
    thread.join()
    return [b - a for a, b in zip([started, *ends], ends, strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    config = RunConfig(
        dataset="fashion-mnist",
        model=ModelConfig(variant="undercomplete", hidden=(128, 64), latent_dim=32, activation="relu", loss="mse"),
        training=TrainingConfig(epochs=args.epochs, batch_size=128, learning_rate=1e-3),
    )
    plain, saved, shares = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(folder)
        for _ in range(args.rounds):
            plain += epoch_walls(TrainingJob(config))[1:]
            job = new_job(config, store)
            spent: list[float] = []
            timed_recorder(job.recorder, spent)
            started = time.perf_counter()
            saved += epoch_walls(job)[1:]
            shares.append(sum(spent) / (time.perf_counter() - started))
    result = {
        "epochs": args.epochs,
        "rounds": args.rounds,
        "plain_seconds_per_epoch": statistics.median(plain),
        "saved_seconds_per_epoch": statistics.median(saved),
        "overhead_percent": 100 * (statistics.median(saved) / statistics.median(plain) - 1),
        "recorder_share_percent": 100 * statistics.median(shares),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
