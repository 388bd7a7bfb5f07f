#!/usr/bin/env python3
"""Writes the PyTorch parity cases of this folder (see README.md): one safetensors file per case.

    /usr/bin/python3 make_reference.py [OUTPUT_DIR]     # default: this script's folder

Debian's python3-torch 1.13 (CPU, float32), one thread, deterministic algorithms. Each case seeds
torch's generator and draws, in this order: its modules (PyTorch's default initialisation, then
overwritten), every parameter uniform in [-0.5, 0.5] in `parameters()` order, the input, a forward
pass, the target; then the loss, its gradients and one plain SGD step. Running it again writes the
same bytes (check_reference.sh compares).
"""
import json
import pathlib
import sys

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

LEARNING_RATE = 0.1


# ---------------------------------------------------------------------------------------------
# safetensors writer: tensors in the order given, F32, header padded with spaces to 8 bytes,
# __metadata__ last.

def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors:
        data = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def metadata(shape_keys, layers, extra):
    """The documented header: shape keys, `layers` as a JSON string, extra keys, then the torch version."""
    meta = {k: str(v) for k, v in shape_keys.items()}
    meta["layers"] = json.dumps(layers)
    meta.update({k: str(v) for k, v in extra.items()})
    meta["torch"] = torch.__version__
    return meta


def init_uniform(model):
    """Every parameter uniform in [-0.5, 0.5], so that saturating activations are exercised."""
    for p in model.parameters():
        nn.init.uniform_(p, -0.5, 0.5)


def finish(path, model, inputs, extra_inputs, target, output, loss, meta, check=None):
    """Backward, one SGD step, optional independent checks, then the file."""
    params = list(model.named_parameters())
    loss.backward()
    with torch.no_grad():
        stepped = [(name, p - LEARNING_RATE * p.grad) for name, p in params]
    if check is not None:
        check()
    tensors = [(name, p) for name, p in params]
    tensors.append(("input", inputs))
    tensors.extend(extra_inputs)
    tensors += [("target", target), ("output", output), ("loss", loss.reshape(1))]
    for (name, p), (_, s) in zip(params, stepped):
        tensors += [("grad." + name, p.grad), ("sgd." + name, s)]
    if inputs.requires_grad:
        tensors.append(("grad.input", inputs.grad))
    write_safetensors(path, tensors, meta)


# ---------------------------------------------------------------------------------------------
# The first five cases: float inputs, all sequences full length, MSE over every element.

class Stack(nn.Module):
    """Recurrent layers in order (each passes every timestep on, or only the last), then an optional Linear."""

    def __init__(self, recurrent, head=None, head_activation=None):
        super().__init__()
        self.names = []
        for name, module, return_sequences in recurrent:
            setattr(self, name, module)
            self.names.append((name, return_sequences))
        self.head_name = None
        if head is not None:
            self.head_name = head[0]
            setattr(self, head[0], head[1])
        self.head_activation = head_activation

    def forward(self, x):
        for name, return_sequences in self.names:
            x, _ = getattr(self, name)(x)
            if not return_sequences:
                x = x[:, -1]
        if self.head_name is not None:
            x = getattr(self, self.head_name)(x)
        if self.head_activation == "sigmoid":
            x = torch.sigmoid(x)
        return x


def regression_case(out_dir, name, seed, batch, timesteps, features, recurrent, layers, head=None, head_activation=None):
    torch.manual_seed(seed)
    model = Stack([(n, make(), seq) for n, make, seq in recurrent],
                  None if head is None else (head[0], head[1]()), head_activation)
    init_uniform(model)
    x = torch.randn(batch, timesteps, features).requires_grad_(True)
    output = model(x)
    target = torch.randn_like(output)
    loss = F.mse_loss(output, target)
    meta = metadata({"features": features, "timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "mse", "learning_rate": LEARNING_RATE})
    finish(out_dir / f"{name}.safetensors", model, x, [], target.detach(), output, loss, meta)


def original_cases(out_dir):
    def rnn(kind, units, name, return_sequences=False):
        layer = {"kind": kind, "name": name, "units": units}
        if return_sequences:
            layer["return_sequences"] = True
        return layer

    modules = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    for seed, kind in ((1, "rnn"), (2, "lstm"), (3, "gru")):
        case = "simple_rnn_seq" if kind == "rnn" else f"{kind}_seq"
        regression_case(out_dir, case, seed, batch=2, timesteps=4, features=3,
                        recurrent=[(kind, lambda m=modules[kind]: m(3, 5, batch_first=True), True)],
                        layers=[rnn(kind, 5, kind, True)])

    regression_case(out_dir, "sine_forecaster", 4, batch=4, timesteps=10, features=1,
                    recurrent=[("rnn1", lambda: nn.RNN(1, 32, batch_first=True), True),
                               ("rnn2", lambda: nn.RNN(32, 32, batch_first=True), False)],
                    head=("head", lambda: nn.Linear(32, 1)),
                    layers=[rnn("rnn", 32, "rnn1", True), rnn("rnn", 32, "rnn2"),
                            {"kind": "dense", "name": "head", "units": 1}])

    regression_case(out_dir, "lstm_stack_classifier", 5, batch=3, timesteps=6, features=2,
                    recurrent=[("enc1", lambda: nn.LSTM(2, 8, batch_first=True), True),
                               ("enc2", lambda: nn.LSTM(8, 8, batch_first=True), False)],
                    head=("head", lambda: nn.Linear(8, 3)), head_activation="sigmoid",
                    layers=[rnn("lstm", 8, "enc1", True), rnn("lstm", 8, "enc2"),
                            {"kind": "dense", "name": "head", "units": 3, "activation": "sigmoid"}])


def main():
    out_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    original_cases(out_dir)


if __name__ == "__main__":
    main()
