"""Shared by the training sweeps (defaults_sweep.py, noise_experiment.py):
running one command into a log, and mean ± std cells."""
import statistics
import subprocess


def run(cmd, log):
    """Runs `cmd` with stdout and stderr in the file `log`; its exit status."""
    with open(log, "w") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode


def mean_std(values, digits=3):
    """"m ± s" over the values that are not None ("m" for one, "-" for none)."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"
