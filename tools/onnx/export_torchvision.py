#!/usr/bin/env python3
"""Exports torchvision models (random weights) to ONNX for eosdnn's importer tests, and writes
reference.json beside them with figures counted independently of eosdnn:

  param_bytes  bytes of the parameters the file holds, counted with the onnx package: every
               initializer, every tensor of a Constant node, and every graph input other than
               the data inputs (an export with export_params=False turns weights into inputs),
               except literals: Constant values of at most 64 elements and int64 initializers
               of at most 64 elements (shapes, axes, the scalars of element-wise arithmetic).
               A torch export folds BatchNorm into the convolutions in eval mode and stores
               identical tensors once, so this is not 4 x the model's parameter count (the
               transformer fixtures get distinct random parameters, so there it is).
  macs_torch   multiply-accumulates of the convolutions and dense layers, counted by forward
               hooks on torch's own modules while running the model at the export shape.
               For the reduced MaxViT, also those of every torch.einsum call (macs_with_einsum).
  parameters   the torch model's parameter count, for information.

Usage:
  export_torchvision.py fixtures DIR   small committed fixtures: the five models without
                                       weights (export_params=False), plus tiny models with
                                       external data, a dynamic batch and an attention block
  export_torchvision.py full DIR       the five models with their weights (about 730 MB),
                                       torchvision's swin_t at opsets 11, 13 and 17 and maxvit_t
                                       at opset 13, without weights (1.2 MB and 680 kB each, too
                                       big to commit)
  export_torchvision.py transformers DIR  only the transformer and recurrent fixtures (ViT-B/16,
                                       a BERT-style encoder and a reduced Swin at opsets 11, 13,
                                       17, an LSTM, a GRU, an RNN), merged into
                                       DIR/reference.json
  export_torchvision.py einsum DIR     only the reduced MaxViT, whose attention is ONNX Einsum,
                                       merged into DIR/reference.json

The transformer and recurrent fixtures are written compactly (compact_names): tensors between
nodes get short names and node names lose torch's repeated module prefixes, which keeps each
file under 200 KB without changing what it computes.

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


LITERAL_ELEMENTS = 64


def tensor_bytes(dims, elem_type):
    itemsize = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type]).itemsize
    return int(np.prod(dims, dtype=np.int64)) * itemsize


def file_param_bytes(path, data_inputs):
    """Parameter bytes a file holds, from its protobuf alone (external data is not loaded)."""
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    total = sum(tensor_bytes(t.dims, t.data_type) for t in g.initializer
                if not (t.data_type == onnx.TensorProto.INT64
                        and int(np.prod(t.dims, dtype=np.int64)) <= LITERAL_ELEMENTS))
    initializers = {t.name for t in g.initializer}
    for i in g.input:
        if i.name in initializers or i.name in data_inputs:
            continue
        t = i.type.tensor_type
        total += tensor_bytes([d.dim_value for d in t.shape.dim], t.elem_type)
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value" and int(np.prod(a.t.dims, dtype=np.int64)) > LITERAL_ELEMENTS:
                    total += tensor_bytes(a.t.dims, a.t.data_type)
    return total


def export(model, example, path, export_params, opset=OPSET, **kwargs):
    model.eval()
    torch.onnx.export(model, example, path, export_params=export_params, opset_version=opset,
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


def distinct_parameters(model, seed):
    """Gives every parameter its own random values: torch stores identical tensors (fresh
    LayerNorm weights, zero biases) once and reads them through Identity nodes, and the file
    would then hold fewer parameters than the model has."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.02)
    return model


class BertStyleEncoder(torch.nn.Module):
    """BERT-base's embeddings (word, position, token type, LayerNorm), `layers` post-LayerNorm
    encoder layers with GELU, and the pooler; the positions come from torch.arange over the
    sequence, so their shape is computed (Shape, Gather, Range) in the exported graph."""

    def __init__(self, layers=2, d=768, heads=12, ff=3072, vocab=30522, positions=512):
        super().__init__()
        self.word = torch.nn.Embedding(vocab, d)
        self.position = torch.nn.Embedding(positions, d)
        self.token_type = torch.nn.Embedding(2, d)
        self.norm = torch.nn.LayerNorm(d, eps=1e-12)
        layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu",
                                                 batch_first=True, layer_norm_eps=1e-12)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pooler = torch.nn.Linear(d, d)

    def forward(self, input_ids):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        types = torch.zeros_like(input_ids)
        x = self.word(input_ids) + self.position(positions) + self.token_type(types)
        x = self.encoder(self.norm(x))
        return torch.tanh(self.pooler(x[:, 0]))


class Recurrent(torch.nn.Module):
    """A recurrent network on a sequence, and a dense layer on its last output."""

    def __init__(self, kind, input_size, hidden, layers, bidirectional):
        super().__init__()
        cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
        self.rnn = cell(input_size, hidden, layers, batch_first=True, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(hidden * (2 if bidirectional else 1), 10)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


def compact_names(path):
    """Rewrites an exported file with short names: every tensor passed between nodes becomes
    t<hex>, and a node name such as /features/features.1/features.1.0/attn/Pad becomes
    features.1.0/attn/Pad (a path component that the next one extends is dropped). Graph
    inputs, outputs and initializers keep their names; doc strings are dropped."""
    m = onnx.load(path)
    g = m.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output} | {t.name for t in g.initializer}
    renamed = {}

    def short(name):
        if not name or name in keep:
            return name
        return renamed.setdefault(name, "t%x" % len(renamed))

    for n in g.node:
        n.doc_string = ""
        n.input[:] = [short(x) for x in n.input]
        n.output[:] = [short(x) for x in n.output]
        parts = [p for p in n.name.split("/") if p]
        n.name = "/".join(p for k, p in enumerate(parts)
                          if not (k + 1 < len(parts) and parts[k + 1].startswith(p + ".")))
    for v in g.value_info:
        v.name = short(v.name)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def reduced_swin():
    """torchvision's Swin-T cut to its first two stages (two blocks each, the second with
    shifted windows; patch merging between them) and its head on 192 features: swin_t itself
    exports to 1.2 MB even without weights (6000 nodes)."""
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[4, 4], embed_dim=96, depths=[2, 2], num_heads=[3, 6],
                           window_size=[7, 7], stochastic_depth_prob=0.0)


def export_swin_t(out):
    """torchvision's swin_t without weights at opsets 11, 13 and 17 (not compacted: as torch
    writes it)."""
    reference = {}
    for opset in (11, 13, 17):
        torch.manual_seed(0)
        swin = distinct_parameters(torchvision.models.swin_t(weights=None), 3).eval()
        name = f"swin_t_opset{opset}"
        path = os.path.join(out, f"{name}.onnx")
        export(swin, (torch.randn(1, 3, 224, 224),), path, False, opset=opset)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input"}),
            "parameters": sum(p.numel() for p in swin.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)
    return reference


def export_maxvit_t(out):
    """torchvision's maxvit_t without weights at opset 13 (680 kB: not committed)."""
    torch.manual_seed(0)
    net = torchvision.models.maxvit_t(weights=None).eval()
    return export_with_einsum(out, "maxvit_t", net, (torch.randn(1, 3, 224, 224),), False)


def export_transformers(out):
    reference = {}
    for opset in (11, 13, 17):
        torch.manual_seed(0)
        vit = distinct_parameters(torchvision.models.vit_b_16(weights=None), 0).eval()
        name = f"vit_b_16_opset{opset}"
        path = os.path.join(out, f"{name}.onnx")
        export(vit, (torch.randn(1, 3, 224, 224),), path, False, opset=opset)
        compact_names(path)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input"}),
            "parameters": sum(p.numel() for p in vit.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)

    # A dynamic batch and sequence: the importer needs --dim sequence=N.
    for opset in (11, 13, 17):
        torch.manual_seed(0)
        bert = distinct_parameters(BertStyleEncoder(), 1).eval()
        name = f"bert_style_encoder_opset{opset}"
        path = os.path.join(out, f"{name}.onnx")
        export(bert, (torch.randint(0, 30522, (1, 16)),), path, False, opset=opset,
               input_names=["input_ids"],
               dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "output": {0: "batch"}})
        compact_names(path)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input_ids"}),
            "parameters": sum(p.numel() for p in bert.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)

    # Swin: shifted windows (torch.roll as Slice and Concat), window partition (Reshape,
    # Transpose), a Pad whose pads torch computes, relative position bias.
    for opset in (11, 13, 17):
        torch.manual_seed(0)
        swin = distinct_parameters(reduced_swin(), 2).eval()
        name = f"swin_reduced_opset{opset}"
        path = os.path.join(out, f"{name}.onnx")
        export(swin, (torch.randn(1, 3, 224, 224),), path, False, opset=opset)
        compact_names(path)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input"}),
            "parameters": sum(p.numel() for p in swin.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)

    # Recurrent networks: batch 1, sequence 20, input 32.
    for kind, hidden, layers, bidirectional in (("lstm", 64, 2, False), ("gru", 48, 1, True),
                                                ("rnn", 40, 2, False)):
        torch.manual_seed(0)
        net = Recurrent(kind, 32, hidden, layers, bidirectional).eval()
        name = f"{kind}_{layers}layer" + ("_bidirectional" if bidirectional else "")
        path = os.path.join(out, f"{name}.onnx")
        export(net, (torch.randn(1, 20, 32),), path, False, opset=13)
        compact_names(path)
        reference[name] = {
            "file": os.path.basename(path),
            "param_bytes": file_param_bytes(path, {"input"}),
            "parameters": sum(p.numel() for p in net.parameters()),
        }
        print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)
    return reference


def reduced_maxvit():
    """torchvision's MaxViT cut to one stage of one layer (an MBConv, then block and grid
    attention over 7 x 7 partitions) on a 112 x 112 input: its attention multiplies queries,
    keys and values with torch.einsum, which exports as ONNX Einsum. maxvit_t itself exports to
    680 kB without weights."""
    from torchvision.models.maxvit import MaxVit
    return MaxVit(input_size=(112, 112), stem_channels=32, partition_size=7, block_channels=[64],
                  block_layers=[1], head_dim=16, stochastic_depth_prob=0.0, num_classes=10)


def macs_with_einsum(model, example):
    """torch_macs() plus the multiply-accumulates of every torch.einsum the forward pass calls:
    one per combination of all of an equation's indices, for two operands (what a loop over the
    indices does), with the index sizes read from the operands torch passes."""
    total = 0
    plain = torch.einsum

    def counting(equation, *operands):
        nonlocal total
        terms = equation.replace(" ", "").split("->")[0].split(",")
        assert len(terms) == 2 and len(operands) == 2 and "..." not in equation
        sizes = {}
        for term, operand in zip(terms, operands):
            for letter, size in zip(term, operand.shape):
                sizes[letter] = size
        total += int(np.prod(list(sizes.values()), dtype=np.int64))
        return plain(equation, *operands)

    torch.einsum = counting
    try:
        return torch_macs(model, example) + total
    finally:
        torch.einsum = plain


def export_with_einsum(out, name, net, example, compact):
    """Exports `net` without weights at opset 13, with torch's MAC count including its einsums
    (macs_with_einsum)."""
    path = os.path.join(out, f"{name}.onnx")
    export(net, example, path, False, opset=13)
    if compact:
        compact_names(path)
    reference = {name: {
        "file": os.path.basename(path),
        "param_bytes": file_param_bytes(path, {"input"}),
        "parameters": sum(p.numel() for p in net.parameters()),
        "macs_torch": macs_with_einsum(net, example),
    }}
    print(f"{name}: {os.path.getsize(path)} bytes, {reference[name]}", file=sys.stderr)
    return reference


def export_einsum(out):
    """The reduced MaxViT (reduced_maxvit), compacted."""
    torch.manual_seed(0)
    net = distinct_parameters(reduced_maxvit(), 4).eval()
    return export_with_einsum(out, "maxvit_reduced", net, (torch.randn(1, 3, 112, 112),), True)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixtures", "full", "transformers", "einsum"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if mode == "fixtures":
        reference = export_fixtures(out)
        reference.update(export_transformers(out))
        reference.update(export_einsum(out))
    elif mode in ("transformers", "einsum"):
        reference = {}
        if os.path.exists(os.path.join(out, "reference.json")):
            with open(os.path.join(out, "reference.json")) as f:
                reference = json.load(f)
        reference.update(export_transformers(out) if mode == "transformers" else
                         export_einsum(out))
    else:
        reference = export_zoo(out, True)
        reference.update(export_swin_t(out))
        reference.update(export_maxvit_t(out))
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
