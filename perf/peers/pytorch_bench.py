#!/usr/bin/python3
"""The FastSeq workloads W1-W4 in PyTorch (Debian's python3-torch), one thread, float32; with --default-threads, W3
and W4 at PyTorch's (and OpenBLAS's) default thread counts instead.

Same shapes as perf/FastSeq.Benchmarks: W1 one streamed step of LSTM(40)/GRU(40) -> Linear(1)
with the output read back (.item()); W2 one 10-step sequence (batch 1) through two stacked
RNN(32)/LSTM(32) and Linear(1) on the last step; W3 one training epoch over the 990 sine
windows, batch 32, Adam, MSE; W4 LSTM(256) on [64, 50, 64], forward + backward with input
gradients. Each figure is the median (and best) of several timed repeats of a fixed number of
calls. Run through perf/peers/run-pytorch.sh, which installs the packages and fixes the
environment (one thread unless --default-threads, OpenBLAS's own choice of kernel).
"""
import ctypes
import statistics
import sys
import time

import torch
import torch.nn as nn

DEFAULT_THREADS = "--default-threads" in sys.argv[1:]
if not DEFAULT_THREADS:
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
torch.manual_seed(1)

W4_FLOP = 3.0 * 2 * 64 * 50 * (64 + 256) * 4 * 256


def measure(call, calls, repeats=7, warmup=2):
    """Seconds per call: median and best over `repeats` timed runs of `calls` calls."""
    for _ in range(warmup):
        for _ in range(calls):
            call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times), min(times)


def sine(length, seed=1):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length, dtype=torch.float32)
    return torch.sin(0.1 * t) + 0.1 * (torch.rand(length, generator=g) * 2 - 1)


class Forecaster(nn.Module):
    """Two stacked recurrent layers (num_layers=2) and a linear head on the last step."""

    def __init__(self, kind, units=32):
        super().__init__()
        self.rnn = kind(1, units, num_layers=2, batch_first=True)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        output = self.rnn(x)[0]
        return self.head(output[:, -1, :])


def w1():
    rows = []
    signal = sine(1000)
    inputs2 = [signal[i].reshape(1, 1) for i in range(1000)]
    inputs3 = [signal[i].reshape(1, 1, 1) for i in range(1000)]
    head = nn.Linear(40, 1)
    with torch.inference_mode():
        cell = nn.LSTMCell(1, 40)
        state = [torch.zeros(1, 40), torch.zeros(1, 40)]

        def lstm_cell_stream():
            for x in inputs2:
                h, c = cell(x, (state[0], state[1]))
                head(h).item()
                state[0], state[1] = h, c

        layer = nn.LSTM(1, 40, batch_first=True)
        layer_state = [torch.zeros(1, 1, 40), torch.zeros(1, 1, 40)]

        def lstm_layer_stream():
            for x in inputs3:
                output, (h, c) = layer(x, (layer_state[0], layer_state[1]))
                head(output).item()
                layer_state[0], layer_state[1] = h, c

        gru = nn.GRUCell(1, 40)
        gru_state = [torch.zeros(1, 40)]

        def gru_cell_stream():
            for x in inputs2:
                h = gru(x, gru_state[0])
                head(h).item()
                gru_state[0] = h

        for name, call in [("W1 LSTM(40) LSTMCell", lstm_cell_stream), ("W1 LSTM(40) nn.LSTM T=1", lstm_layer_stream),
                           ("W1 GRU(40) GRUCell", gru_cell_stream)]:
            median, best = measure(call, 1, repeats=7)
            rows.append((name, median / 1000 * 1e9, best / 1000 * 1e9, "ns/step", None))
    return rows


def w2():
    rows = []
    window = sine(10).reshape(1, 10, 1)
    with torch.inference_mode():
        for name, kind in [("W2 RNN(32)x2", nn.RNN), ("W2 LSTM(32)x2", nn.LSTM)]:
            model = Forecaster(kind).eval()
            median, best = measure(lambda: model(window).item(), 2000)
            rows.append((name, median * 1e6, best * 1e6, "µs/seq", None))
    return rows


def w3():
    rows = []
    series = sine(1000)
    count = 990
    inputs = torch.stack([series[i:i + 10] for i in range(count)]).reshape(count, 10, 1)
    targets = series[10:10 + count].reshape(count, 1)
    for name, kind in [("W3 RNN(32)x2", nn.RNN), ("W3 LSTM(32)x2", nn.LSTM)]:
        model = Forecaster(kind).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def epoch():
            order = torch.randperm(count)
            total = 0.0
            for first in range(0, count, 32):
                indices = order[first:first + 32]
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(inputs[indices]), targets[indices])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(indices)
            return total / count

        median, best = measure(epoch, 3, repeats=5)
        rows.append((name, median * 1e3, best * 1e3, "ms/epoch", None))
    return rows


def w4():
    lstm = nn.LSTM(64, 256, batch_first=True)
    x = (torch.rand(64, 50, 64) * 2 - 1).requires_grad_(True)
    gradient = torch.rand(64, 50, 256) * 2 - 1

    def iteration():
        output, _ = lstm(x)
        output.backward(gradient)

    median, best = measure(iteration, 3, repeats=5, warmup=1)
    return [("W4 LSTM(256) B64 T50 fwd+bwd", median * 1e3, best * 1e3, "ms/iter", W4_FLOP / median / 1e9)]


def blas_description():
    """Which BLAS library torch loaded, and OpenBLAS's kernel (core) and thread count if it is OpenBLAS."""
    with open("/proc/self/maps") as maps:
        libraries = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line})
    text = ", ".join(libraries) or "no BLAS library mapped"
    for path in libraries:
        try:
            library = ctypes.CDLL(path)
            library.openblas_get_corename.restype = ctypes.c_char_p
            library.openblas_get_config.restype = ctypes.c_char_p
            text += f"; OpenBLAS core {library.openblas_get_corename().decode()}, threads {library.openblas_get_num_threads()}"
            text += f", config {library.openblas_get_config().decode().strip()}"
            break
        except (OSError, AttributeError):
            continue
    return text


def main():
    print(f"PyTorch {torch.__version__}, python {sys.version.split()[0]}, threads {torch.get_num_threads()} intra / "
          f"{torch.get_num_interop_threads()} inter-op")
    print(next((line.strip() for line in torch.__config__.show().splitlines() if "CPU capability" in line), ""))
    rows = []
    for workload in (w3, w4) if DEFAULT_THREADS else (w1, w2, w3, w4):
        rows += workload()
    if DEFAULT_THREADS:
        rows = [(name + ", default threads", *figures) for name, *figures in rows]
    print(f"BLAS: {blas_description()}")
    print()
    print("| Workload | Median | Best | Unit | GFLOP/s |")
    print("|---|---:|---:|---|---:|")
    for name, median, best, unit, gflops in rows:
        g = "" if gflops is None else f"{gflops:.1f}"
        print(f"| {name} | {median:,.1f} | {best:,.1f} | {unit} | {g} |")


if __name__ == "__main__":
    main()
