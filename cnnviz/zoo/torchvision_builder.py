"""torchvision's reference models, built without weights (nothing is ever downloaded)."""

from __future__ import annotations

from torch import nn


def torchvision_model(name: str, in_channels: int, num_classes: int, **kwargs) -> nn.Module:
    """``torchvision.models.get_model(name, weights=None)``; for ``in_channels`` ≠ 3 the first
    conv is replaced by one with the same kernel, stride and padding.

    torchvision is imported here, not at the top: it takes as long to import as torch itself, and
    a training process for a course net never needs it."""
    from torchvision import models

    model = models.get_model(name, weights=None, num_classes=num_classes, **kwargs)
    if in_channels != 3:
        _replace_first_conv(model, in_channels)
    return model


def _replace_first_conv(model: nn.Module, in_channels: int) -> None:
    path, old = next((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d))
    parent_path, _, attribute = path.rpartition(".")
    parent = model.get_submodule(parent_path)
    new = nn.Conv2d(
        in_channels, old.out_channels, old.kernel_size, stride=old.stride, padding=old.padding,
        dilation=old.dilation, groups=old.groups, bias=old.bias is not None,
    )
    setattr(parent, attribute, new)
