"""Reference data for the torchvision-compatibility test of mexa's models:
for r3d_18, mc3_18 and r2plus1d_18 (7 classes, randomly initialised with a
fixed seed) saves the state_dict (torch.save, as users' Kinetics weights are)
and one input/output pair in eval mode. Exit 77 (ctest: skipped) without torchvision.

usage: make_torchvision_reference.py OUTDIR
"""
import os
import subprocess
import sys

try:
    import torch
    from torchvision.models.video import mc3_18, r2plus1d_18, r3d_18
except ImportError as error:
    print(f"torchvision not available ({error}): skipping", file=sys.stderr)
    sys.exit(77)

out = sys.argv[1]
convert = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "convert_state_dict.py")
os.makedirs(out, exist_ok=True)
torch.manual_seed(2026)
x = torch.randn(2, 3, 8, 56, 56)
for name, make in (("r3d_18", r3d_18), ("mc3_18", mc3_18), ("r2plus1d_18", r2plus1d_18)):
    model = make(num_classes=7)
    # Non-trivial batch-norm statistics, so loading the buffers matters.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    model.eval()
    with torch.no_grad():
        y = model(x)
    # As torchvision ships weights (an OrderedDict), then converted the way users do.
    raw = os.path.join(out, f"{name}_ordereddict.pth")
    torch.save(model.state_dict(), raw)
    subprocess.run([sys.executable, convert, raw, os.path.join(out, f"{name}.pt")], check=True)
    torch.save({"input": x, "output": y}, os.path.join(out, f"{name}_io.pt"))
print(f"wrote torchvision references to {out}")
