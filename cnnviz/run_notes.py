"""What a run's settings and a finished run's numbers mean, in words: plain Python (no torch), so
that ``runs show`` stays quick and the page and the CLI say the same."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnviz.runs import RunRecord


def chance_level_note(test_accuracy: float, num_classes: int, lr: float) -> str | None:
    """For a run that ended no better than guessing (under 1.5× the chance accuracy 1/classes), what
    that means and what to try; None otherwise. Such a run completes without an error (its loss
    stayed finite: SGD at learning rate 1000 on digits ends at 10.00%), so nothing else says it."""
    if num_classes < 2 or test_accuracy >= 1.5 / num_classes:
        return None
    return (f"A test accuracy of {test_accuracy:.2%} is about what guessing gives with {num_classes} classes "
            f"({1 / num_classes:.0%}): the network has not learned. Try a smaller learning rate (this run's "
            f"is {lr:g}) or more epochs.")


def chance_note(run: RunRecord) -> str | None:
    """:func:`chance_level_note` for a completed run of the store (None for any other run)."""
    classes, accuracy = run.info.get("classes"), (run.final or {}).get("test_accuracy")
    if run.status != "completed" or not classes or accuracy is None:
        return None
    return chance_level_note(accuracy, len(classes), run.config.get("lr", 0.0))


def time_text(training_s: float, whole_run_s: float | None = None) -> str:
    """"12.3 s of training": the time of the epochs, whose images/s a run reports. The whole run
    (the duration of "All runs") also loads the data and saves the weights; where the two differ
    at the precision shown, both are said, so that one run never reads two durations unexplained."""
    text = f"{training_s:.1f} s of training"
    if whole_run_s is not None and f"{whole_run_s:.1f}" != f"{training_s:.1f}":
        text += f" ({whole_run_s:.1f} s in all, with loading the data and saving the weights)"
    return text


def no_device_text(active: bool) -> str:
    """What stands for a run's device before it has one: a run that failed before training (a
    dataset missing offline) never chose one, and never will."""
    return "not chosen yet" if active else "none (the run ended before training began)"


def loss_text(loss: float) -> str:
    """A loss as a student reads it: 0.2913, and from a million on 1.623e+31, as the chart's axis
    writes it (a diverging run's loss of 16225285985096284893991866990592.0000 said nothing)."""
    return f"{loss:.4f}" if not abs(loss) >= 1e6 else f"{loss:.3e}"


def setting_texts(config: dict) -> dict[str, str]:
    """A run's settings in the Training form's words, by key: {"lr": "learning rate 0.01", …}.
    Momentum and Nesterov are part of "optimizer", as only SGD uses them; what the config lacks
    (a run recorded before the setting existed) is left out."""
    texts = {}
    if "epochs" in config:
        texts["epochs"] = f"{config['epochs']:,} epoch{'s' * (config['epochs'] != 1)}"
    if "batch_size" in config:
        texts["batch_size"] = f"batch size {config['batch_size']:,}"
    if "optimizer" in config:
        momentum = config.get("momentum", 0.0) if config["optimizer"] == "sgd" else 0.0
        texts["optimizer"] = config["optimizer"] + (f", momentum {momentum:g}" if momentum else "") + \
            (", Nesterov" if momentum and config.get("nesterov") else "")
    if "lr" in config:
        texts["lr"] = f"learning rate {config['lr']:g}"
    if "schedule" in config:
        texts["schedule"] = {"onecycle": "one-cycle schedule"}.get(config["schedule"], f"{config['schedule']} schedule")
    if "weight_decay" in config:
        texts["weight_decay"] = f"weight decay {config['weight_decay']:g}"
    if "label_smoothing" in config:
        texts["label_smoothing"] = f"label smoothing {config['label_smoothing']:g}"
    if "seed" in config:
        texts["seed"] = f"seed {config['seed']}"
    if "compile" in config:
        texts["compile"] = "torch.compile" if config["compile"] else "no torch.compile"
    return texts


# Left out of settings_text when 0 / False, which is their default; label smoothing's is 0.1, so its 0 is said.
SWITCHED_OFF_AT_ZERO = ("weight_decay", "compile")


def settings_text(config: dict, leave_out: tuple[str, ...] = ()) -> str:
    """ "15 epochs · batch size 64 · adam · learning rate 0.01 · one-cycle schedule · label smoothing 0.1 · seed 0":
    every setting but those switched off by default (no weight decay, no torch.compile)."""
    return " · ".join(text for key, text in setting_texts(config).items()
                      if key not in leave_out and not (key in SWITCHED_OFF_AT_ZERO and not config[key]))
