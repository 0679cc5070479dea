#!/usr/bin/env python3
"""Exports torchvision models (random weights) to ONNX for eosdnn's importer tests, and writes
reference.json beside them with figures counted independently of eosdnn:

  param_bytes  bytes of the parameters the file holds, counted with the onnx package: every
               initializer, every tensor of a Constant node, and every graph input other than
               the data input (an export with export_params=False turns weights into inputs).
               A torch export folds BatchNorm into the convolutions in eval mode and stores
               identical tensors once, so this is not 4 x the model's parameter count.
  macs_torch   multiply-accumulates of the convolutions and dense layers, counted by forward
               hooks on torch's own modules while running the model at the export shape.
  parameters   the torch model's parameter count, for information.

Usage:
  export_torchvision.py fixtures DIR   small committed fixtures: the five models without
                                       weights (export_params=False), plus tiny models with
                                       external data, a dynamic batch and an attention block
  export_torchvision.py full DIR       the five models with their weights (about 730 MB)

Exit status 77 when torch, torchvision or onnx cannot be imported, so ctest reports a skip.
"""

import json
import os
import sys

try:
    import numpy as np
    import onnx
    import torch
    import torchvision
except ImportError as e:  # the full-weight test is optional: say why it is skipped
    print(f"skipped: cannot import {e.name} (install python3-torch, python3-torchvision and "
          f"python3-onnx)", file=sys.stderr)
    sys.exit(77)

MODELS = ["resnet50", "vgg16", "mobilenet_v2", "googlenet", "densenet121"]
OPSET = 13


def make_model(name):
    if name == "googlenet":
        # No auxiliary heads (they run in training only) and no input re-normalisation.
        return torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True,
                                            transform_input=False)
    return getattr(torchvision.models, name)(weights=None)


def torch_macs(model, example):
    """MACs of Conv and Linear modules, from the shapes seen by forward hooks."""
    total = 0

    def conv_hook(module, inputs, output):
        nonlocal total
        kernel = int(np.prod(module.kernel_size))
        total += output.numel() * (module.in_channels // module.groups) * kernel

    def linear_hook(module, inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(*example)
    for h in handles:
        h.remove()
    return total


def tensor_bytes(dims, elem_type):
    itemsize = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type]).itemsize
    return int(np.prod(dims, dtype=np.int64)) * itemsize


def file_param_bytes(path, data_inputs):
    """Parameter bytes a file holds, from its protobuf alone (external data is not loaded)."""
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    total = sum(tensor_bytes(t.dims, t.data_type) for t in g.initializer)
    initializers = {t.name for t in g.initializer}
    for i in g.input:
        if i.name in initializers or i.name in data_inputs:
            continue
        t = i.type.tensor_type
        total += tensor_bytes([d.dim_value for d in t.shape.dim], t.elem_type)
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    total += tensor_bytes(a.t.dims, a.t.data_type)
    return total


def export(model, example, path, export_params, **kwargs):
    model.eval()
    torch.onnx.export(model, example, path, export_params=export_params, opset_version=OPSET,
                      input_names=kwargs.pop("input_names", ["input"]),
                      output_names=kwargs.pop("output_names", ["output"]), **kwargs)


def export_zoo(out, export_params):
    reference = {}
    for name in MODELS:
        torch.manual_seed(0)
        model = make_model(name).eval()
        example = (torch.randn(1, 3, 224, 224),)
        path = os.path.join(out, f"{name}.onnx")
        export(model, example, path, export_params)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input"}),
            "macs_torch": torch_macs(model, example),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)
    return reference


class TinyCnn(torch.nn.Module):
    """Conv-BN-ReLU, a grouped dilated conv, a transposed conv, pooling and a dense layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4, bias=False)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(4, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = x + self.conv2(x)
        x = self.pool(self.up(x))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


def tiny_macs(batch, size):
    h = size // 2
    conv1 = batch * 8 * h * h * 3 * 9
    conv2 = batch * 8 * h * h * 2 * 9
    up = batch * 8 * h * h * 4 * 4  # every input element meets Cout/groups x k x k weights
    fc = batch * 4 * 10
    return conv1 + conv2 + up + fc


def export_fixtures(out):
    reference = export_zoo(out, export_params=False)

    # Tiny CNN with a dynamic batch, its weights in an external-data file.
    torch.manual_seed(0)
    tiny = TinyCnn().eval()
    path = os.path.join(out, "tiny_cnn_external.onnx")
    export(tiny, (torch.randn(2, 3, 16, 16),), path, True,
           dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    m = onnx.load(path)
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="tiny_cnn_external.onnx.data", size_threshold=0)
    reference["tiny_cnn_external"] = {
        "file": os.path.basename(path),
        "param_bytes": file_param_bytes(path, {"input"}),
        "macs_batch1": tiny_macs(1, 16),
        "macs_batch4": tiny_macs(4, 16),
        "parameters": sum(p.numel() for p in tiny.parameters()),
    }

    # One transformer encoder layer: MatMul, Softmax, LayerNorm pieces, Transpose, Reshape.
    torch.manual_seed(0)
    d, heads, ff, seq = 32, 4, 64, 10
    block = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True).eval()
    path = os.path.join(out, "attention_block.onnx")
    export(block, (torch.randn(1, seq, d),), path, True)
    # in/out projections and the feed-forward network are dense; Q.K^T and A.V are MatMuls.
    macs = seq * d * 3 * d + seq * d * d + 2 * seq * seq * d + 2 * seq * d * ff
    reference["attention_block"] = {
        "file": os.path.basename(path),
        "param_bytes": file_param_bytes(path, {"input"}),
        "macs": macs,
        "parameters": sum(p.numel() for p in block.parameters()),
    }
    return reference


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixtures", "full"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    reference = export_fixtures(out) if mode == "fixtures" else export_zoo(out, True)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
