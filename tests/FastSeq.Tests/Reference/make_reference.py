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
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

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


def finish(path, model, inputs, extra_inputs, target, output, loss, meta, check=None, extra_outputs=None):
    """Backward, one SGD step, optional independent checks, then the file (ending with extra_outputs(), if given)."""
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
    if extra_outputs is not None:
        tensors.extend(extra_outputs())
    write_safetensors(path, tensors, meta)


def close(a, b, what, tol=1e-6):
    if not torch.allclose(a, b, atol=tol, rtol=0):
        raise AssertionError(f"{what}: differs by {(a - b).abs().max().item()}")


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


# ---------------------------------------------------------------------------------------------
# Cases with lengths, embeddings and bidirectional layers.

LENGTHS_NOTE = ("`lengths` [B] holds each sequence's length; steps at or past it are padding: "
                "never read, their outputs zero")


def mask_of(lengths, timesteps):
    """[B, T] booleans: true at real steps."""
    return torch.arange(timesteps)[None, :] < lengths[:, None]


def zero_padded(values, real):
    """values [B, T, ...] with +0 at the padded steps (`real` [B, T, 1] is false there)."""
    return torch.where(real, values, torch.zeros(()))


def tokens_for(lengths, timesteps, vocab):
    """Token ids in 1..vocab-1 at real steps, 0 (padding) after them, Keras mask_zero style."""
    tokens = torch.randint(1, vocab, (len(lengths), timesteps))
    return tokens * mask_of(lengths, timesteps)


def run_packed(rnn, x, lengths):
    """The packed run: per-step outputs [B, T, D*H], zero at padded steps, and h_n [D, B, H]."""
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    h_n = state[0] if isinstance(state, tuple) else state
    return out, h_n


def check_each_alone(rnn, x, lengths, out, h_n):
    """The packed run equals each sequence run alone over its own real steps."""
    with torch.no_grad():
        for b, length in enumerate(lengths.tolist()):
            alone, state = rnn(x[b:b + 1, :length])
            alone_h = state[0] if isinstance(state, tuple) else state
            close(out[b, :length], alone[0], f"sequence {b} alone, outputs")
            close(h_n[:, b], alone_h[:, 0], f"sequence {b} alone, last states")
            if length < x.shape[1]:
                close(out[b, length:], torch.zeros_like(out[b, length:]), f"sequence {b}, padded outputs", 0)


class EmbeddingBiLstmClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 5)
        self.lstm = nn.LSTM(5, 6, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(12, 3)

    def forward(self, tokens, lengths):
        out, h_n = run_packed(self.lstm, self.embedding(tokens), lengths)
        return self.dense(torch.cat([h_n[0], h_n[1]], dim=1)), out, h_n


def embedding_bilstm_classifier(out_dir):
    torch.manual_seed(6)
    model = EmbeddingBiLstmClassifier()
    init_uniform(model)
    batch, timesteps, lengths = 4, 7, torch.tensor([7, 3, 5, 1])
    tokens = tokens_for(lengths, timesteps, 12)
    logits, out, h_n = model(tokens, lengths)
    output = torch.softmax(logits, dim=1)
    target = torch.randint(0, 3, (batch,))
    loss = F.cross_entropy(logits, target)

    def check():
        check_each_alone(model.lstm, model.embedding(tokens), lengths, out, h_n)
        close(h_n[0], out[torch.arange(batch), lengths - 1, :6], "forward h_n is the output at the last real step")
        close(h_n[1], out[:, 0, 6:], "backward h_n is the output at t = 0")
        close(loss, -output[torch.arange(batch), target].log().mean(), "cross-entropy from the softmax")
        close(model.embedding.weight.grad[0], torch.zeros(5), "padding id never read", 0)

    layers = [{"kind": "embedding", "name": "embedding", "input_dim": 12, "output_dim": 5, "mask_zero": True},
              {"kind": "lstm", "name": "lstm", "units": 6, "bidirectional": True},
              {"kind": "dense", "name": "dense", "units": 3, "activation": "softmax"}]
    meta = metadata({"timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "sparse_categorical_crossentropy", "loss_mean": "batch",
                     "learning_rate": LEARNING_RATE, "input": "token_ids", "lengths": LENGTHS_NOTE})
    finish(out_dir / "embedding_bilstm_classifier.safetensors", model, tokens.float(),
           [("lengths", lengths.float())], target.float(), output, loss, meta, check)


class BiGruTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(8, 2)

    def forward(self, x, lengths):
        out, h_n = run_packed(self.gru, x, lengths)
        return zero_padded(self.dense(out), mask_of(lengths, x.shape[1])[:, :, None]), out, h_n


def bigru_lengths(out_dir):
    torch.manual_seed(7)
    model = BiGruTagger()
    init_uniform(model)
    batch, timesteps, features, lengths = 3, 6, 3, torch.tensor([6, 2, 4])
    x = torch.randn(batch, timesteps, features).requires_grad_(True)
    output, out, h_n = model(x, lengths)
    mask = mask_of(lengths, timesteps)[:, :, None]
    target = zero_padded(torch.randn_like(output), mask)
    real_steps = lengths.sum()
    loss = ((output - target) ** 2 * mask).sum() / (real_steps * output.shape[2])

    def check():
        check_each_alone(model.gru, x, lengths, out, h_n)
        real = mask_of(lengths, timesteps)
        close(loss, F.mse_loss(output[real], target[real]), "masked mean = MSE over the real steps")
        close(x.grad * ~mask, torch.zeros_like(x), "padded inputs get no gradient", 0)

    layers = [{"kind": "gru", "name": "gru", "units": 4, "return_sequences": True, "bidirectional": True},
              {"kind": "dense", "name": "dense", "units": 2}]
    meta = metadata({"features": features, "timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "mse", "loss_mean": "real_steps", "learning_rate": LEARNING_RATE,
                     "lengths": LENGTHS_NOTE})
    finish(out_dir / "bigru_lengths.safetensors", model, x, [("lengths", lengths.float())],
           target.detach(), output, loss, meta, check)


class EmbeddingLstmTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.dense = nn.Linear(5, 4)

    def forward(self, tokens, lengths):
        out, h_n = run_packed(self.lstm, self.embedding(tokens), lengths)
        return self.dense(out), out, h_n


def tagger_masked(out_dir):
    torch.manual_seed(8)
    model = EmbeddingLstmTagger()
    init_uniform(model)
    batch, timesteps, lengths = 3, 5, torch.tensor([3, 5, 2])
    tokens = tokens_for(lengths, timesteps, 10)
    logits, out, h_n = model(tokens, lengths)
    real = mask_of(lengths, timesteps)
    output = zero_padded(torch.softmax(logits, dim=2), real[:, :, None])
    target = torch.randint(0, 4, (batch, timesteps)) * real
    loss = F.cross_entropy(logits[real], target[real])

    def check():
        check_each_alone(model.lstm, model.embedding(tokens), lengths, out, h_n)
        picked = output.gather(2, target[:, :, None])[:, :, 0]
        close(loss, -(picked[real]).log().sum() / lengths.sum(), "cross-entropy, mean over the real steps")
        close(model.embedding.weight.grad[0], torch.zeros(4), "padding id never read", 0)

    layers = [{"kind": "embedding", "name": "embedding", "input_dim": 10, "output_dim": 4, "mask_zero": True},
              {"kind": "lstm", "name": "lstm", "units": 5, "return_sequences": True},
              {"kind": "dense", "name": "dense", "units": 4, "activation": "softmax"}]
    meta = metadata({"timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "sparse_categorical_crossentropy", "loss_mean": "real_steps",
                     "learning_rate": LEARNING_RATE, "input": "token_ids", "lengths": LENGTHS_NOTE})
    finish(out_dir / "tagger_masked.safetensors", model, tokens.float(),
           [("lengths", lengths.float())], target.float(), output, loss, meta, check)


class StackedBidirectional(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 3, batch_first=True, bidirectional=True)
        self.lstm_1 = nn.LSTM(6, 3, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(6, 1)

    def forward(self, x):
        first, _ = self.lstm(x)
        second, (h_n, _) = self.lstm_1(first)
        return self.dense(torch.cat([h_n[0], h_n[1]], dim=1)), second, h_n


def stacked_bidirectional(out_dir):
    torch.manual_seed(9)
    model = StackedBidirectional()
    init_uniform(model)
    batch, timesteps, features = 2, 4, 2
    x = torch.randn(batch, timesteps, features).requires_grad_(True)
    output, second, h_n = model(x)
    target = torch.randn_like(output)
    loss = F.mse_loss(output, target)

    def check():
        close(h_n[0], second[:, -1, :3], "forward last state = output at the last step")
        close(h_n[1], second[:, 0, 3:], "backward last state = output at t = 0")
        with torch.no_grad():
            # The backward direction is the forward recurrence of a one-direction LSTM with the
            # _reverse weights over the time-reversed inputs.
            reverse = nn.LSTM(2, 3, batch_first=True)
            for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                getattr(reverse, n).copy_(getattr(model.lstm, n + "_reverse"))
            first, _ = model.lstm(x)
            backward, _ = reverse(x.flip(1))
            close(first[:, :, 3:], backward.flip(1), "backward half of the first layer")

    layers = [{"kind": "lstm", "name": "lstm", "units": 3, "return_sequences": True, "bidirectional": True},
              {"kind": "lstm", "name": "lstm_1", "units": 3, "bidirectional": True},
              {"kind": "dense", "name": "dense", "units": 1}]
    meta = metadata({"features": features, "timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "mse", "learning_rate": LEARNING_RATE})
    finish(out_dir / "stacked_bidirectional.safetensors", model, x, [], target.detach(), output, loss, meta, check)


class EmbeddingLstmClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 5)
        self.lstm = nn.LSTM(5, 6, batch_first=True)
        self.dense = nn.Linear(6, 3)

    def forward(self, tokens):
        out, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.dense(out[:, -1]), out, h_n


def embedding_lstm_classifier(out_dir):
    """No padding, no lengths: every id in 0..11 is a real token (mask_zero false)."""
    torch.manual_seed(10)
    model = EmbeddingLstmClassifier()
    init_uniform(model)
    batch, timesteps = 4, 7
    tokens = torch.randint(0, 12, (batch, timesteps))
    logits, out, h_n = model(tokens)
    output = torch.softmax(logits, dim=1)
    target = torch.randint(0, 3, (batch,))
    loss = F.cross_entropy(logits, target)

    def check():
        close(h_n[0], out[:, -1], "last state = output at the last step")
        close(loss, -output[torch.arange(batch), target].log().mean(), "cross-entropy from the softmax")
        # The embedding is a row lookup: its gradient is the LSTM's input gradient summed over the
        # steps that read each id (zero for ids that never occur). autograd.grad leaves .grad alone.
        x = model.embedding.weight[tokens].detach().requires_grad_(True)
        lstm_out, _ = model.lstm(x)
        (x_grad,) = torch.autograd.grad(F.cross_entropy(model.dense(lstm_out[:, -1]), target), x)
        rows = torch.zeros(12, 5).index_add_(0, tokens.reshape(-1), x_grad.reshape(-1, 5))
        close(model.embedding.weight.grad, rows, "embedding gradient = input gradients summed per id")

    layers = [{"kind": "embedding", "name": "embedding", "input_dim": 12, "output_dim": 5, "mask_zero": False},
              {"kind": "lstm", "name": "lstm", "units": 6},
              {"kind": "dense", "name": "dense", "units": 3, "activation": "softmax"}]
    meta = metadata({"timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "sparse_categorical_crossentropy", "loss_mean": "batch",
                     "learning_rate": LEARNING_RATE, "input": "token_ids"})
    finish(out_dir / "embedding_lstm_classifier.safetensors", model, tokens.float(), [],
           target.float(), output, loss, meta, check)


# ---------------------------------------------------------------------------------------------
# Initial and final states: an LSTM started from given h0 and c0, its h_n and c_n in the loss.

class LstmStatesTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, batch_first=True)
        self.dense = nn.Linear(5, 2)

    def forward(self, x, lengths, h0, c0):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = self.lstm(packed, (h0, c0))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return self.dense(out), out, h_n, c_n


def lstm_states(out_dir):
    torch.manual_seed(11)
    model = LstmStatesTagger()
    init_uniform(model)
    batch, timesteps, features, units, lengths = 3, 4, 3, 5, torch.tensor([4, 2, 3])
    x = torch.randn(batch, timesteps, features).requires_grad_(True)
    h0 = torch.randn(1, batch, units).requires_grad_(True)
    c0 = torch.randn(1, batch, units).requires_grad_(True)
    output, out, h_n, c_n = model(x, lengths, h0, c0)
    mask = mask_of(lengths, timesteps)[:, :, None]
    output = zero_padded(output, mask)
    target = zero_padded(torch.randn_like(output), mask)
    h_n_weight, c_n_weight = torch.randn_like(h_n), torch.randn_like(c_n)
    loss = ((output - target) ** 2 * mask).sum() / (lengths.sum() * output.shape[2]) + (h_n * h_n_weight).sum() + (c_n * c_n_weight).sum()

    def check():
        with torch.no_grad():
            for b, length in enumerate(lengths.tolist()):
                alone, (h, c) = model.lstm(x[b:b + 1, :length], (h0[:, b:b + 1], c0[:, b:b + 1]))
                close(out[b, :length], alone[0], f"sequence {b} alone from its initial state, outputs")
                close(h_n[:, b], h[:, 0], f"sequence {b} alone, h_n")
                close(c_n[:, b], c[:, 0], f"sequence {b} alone, c_n")

    layers = [{"kind": "lstm", "name": "lstm", "units": units, "return_sequences": True},
              {"kind": "dense", "name": "dense", "units": 2}]
    meta = metadata({"features": features, "timesteps": timesteps, "batch": batch}, layers,
                    {"loss": "mse", "loss_mean": "real_steps", "learning_rate": LEARNING_RATE, "lengths": LENGTHS_NOTE,
                     "states": STATES_NOTE})
    finish(out_dir / "lstm_states.safetensors", model, x,
           [("lengths", lengths.float()), ("h0", h0), ("c0", c0), ("h_n_weight", h_n_weight), ("c_n_weight", c_n_weight)],
           target.detach(), output, loss, meta, check,
           lambda: [("h_n", h_n), ("c_n", c_n), ("grad.h0", h0.grad), ("grad.c0", c0.grad)])


STATES_NOTE = ("the LSTM starts from h0, c0 [1, B, H]; h_n, c_n [1, B, H] are its states after each sequence's last real "
               "step; loss adds sum(h_n * h_n_weight) + sum(c_n * c_n_weight); grad.h0, grad.c0 are d loss / d h0, c0")


def main():
    out_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    original_cases(out_dir)
    embedding_bilstm_classifier(out_dir)
    bigru_lengths(out_dir)
    tagger_masked(out_dir)
    stacked_bidirectional(out_dir)
    embedding_lstm_classifier(out_dir)
    lstm_states(out_dir)


if __name__ == "__main__":
    main()
