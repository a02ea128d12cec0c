"""The architecture zoo. Importing this package registers every family module's networks."""

# Importing a family module registers its networks; the order here is the order of the list,
# roughly the history of the architectures.
# isort: off
from cnnviz.zoo import lenet, examples, alexnet, vgg, nin, googlenet, resnet  # noqa: F401
# isort: on
from cnnviz.zoo.registry import (
    Architecture,
    UnknownArchitecture,
    create_model,
    get_architecture,
    list_architectures,
    register_model,
)

__all__ = [
    "Architecture",
    "UnknownArchitecture",
    "create_model",
    "get_architecture",
    "list_architectures",
    "register_model",
]
