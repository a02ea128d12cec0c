"""The architecture zoo. Importing this package registers every family module's networks."""

from cnnviz.zoo import alexnet, examples, googlenet, lenet, nin, resnet, vgg  # noqa: F401  (registration happens on import)
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
