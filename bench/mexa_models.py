"""PyTorch copies of mexa's own engine models (engine/src/models.cpp), with
mexa's parameter names, so a mexa checkpoint's weights load into them (the
r3d_18 family is torchvision's, whose names mexa shares). Used by the
benchmarks that run the same model on both sides: bench/model_speed.py and
bench/score_python.py.
"""
import torch
from torch import nn


class Small3D(nn.Module):
    """mexa's small3d: three conv-BN-ReLU-pool blocks (16, 32, 64 channels), global pooling, dropout, linear."""

    def __init__(self, in_channels, classes):
        super().__init__()
        layers, c = [], in_channels
        for out in (16, 32, 64):
            layers += [nn.Conv3d(c, out, 3, padding=1, bias=False), nn.BatchNorm3d(out), nn.ReLU(inplace=True),
                       nn.MaxPool3d((1 if c == in_channels else 2, 2, 2))]
            c = out
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(64, classes)

    def features(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool3d(self.body(x), 1), 1)

    def forward(self, x):
        return self.fc(self.dropout(self.features(x)))


class StstNet(nn.Module):
    def __init__(self, in_channels, classes):
        super().__init__()
        self.streams = nn.ModuleList(
            nn.Sequential(nn.Conv3d(in_channels, c, (1, 3, 3), padding=(0, 1, 1)), nn.ReLU(inplace=True),
                          nn.BatchNorm3d(c), nn.MaxPool3d((1, 3, 3), stride=(1, 3, 3), padding=(0, 1, 1)))
            for c in (3, 5, 8))
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(16 * 25, classes)

    def forward(self, x):
        y = torch.cat([s(x) for s in self.streams], 1)
        y = torch.flatten(nn.functional.adaptive_avg_pool3d(y, (1, 5, 5)), 1)
        return self.fc(self.dropout(y))


def make_model(name, in_channels, classes=7):
    """The engine model `name` in PyTorch: mexa's own small3d and ststnet, torchvision's video ResNets."""
    if name == "small3d":
        return Small3D(in_channels, classes)
    if name == "ststnet":
        return StstNet(in_channels, classes)
    from torchvision.models import video
    return getattr(video, name)(num_classes=classes)
