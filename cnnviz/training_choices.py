"""The names a training run chooses from, in a module without torch: the CLI's parser lists them
in its help, and `conv`, `pool`, `runs` and `--help` need not wait ~2 s for torch to load."""

DATASET_NAMES = ("digits", "mnist", "fashion-mnist", "cifar10")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16")
