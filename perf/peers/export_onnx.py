#!/usr/bin/python3
"""Exports the W1, W2 and W5 workloads as ONNX models for the ONNX Runtime peer rows of perf/FastSeq.Benchmarks.

Same shapes as the FastSeq models: W1 one streamed step of LSTM(40) or GRU(40) on one input feature,
with the state (h, and c for the LSTM) as inputs and outputs, then Linear(40, 1); W2 one 10-step
sequence (batch 1) through two stacked RNN(32) or LSTM(32) and Linear(32, 1) on the last step; W5 W1's LSTM step
for a batch of independent streams, the batch (the number of streams) a dynamic axis.
The weights are PyTorch's seeded defaults: the rows time the computation, not a trained model.
Needs Debian's python3-torch (see run-pytorch.sh); writes perf/peers/onnx/*.onnx, which are
checked in so that the benchmarks need no Python.
"""
import os

import torch
import torch.nn as nn

from pytorch_bench import Forecaster  # the W2 model as the PyTorch peer times it

torch.manual_seed(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")


class LstmStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 40, batch_first=True)
        self.head = nn.Linear(40, 1)

    def forward(self, x, h, c):
        output, (h, c) = self.lstm(x, (h, c))
        return self.head(output[:, -1, :]), h, c


class GruStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 40, batch_first=True)
        self.head = nn.Linear(40, 1)

    def forward(self, x, h):
        output, h = self.gru(x, h)
        return self.head(output[:, -1, :]), h


def export(model, args, name, inputs, outputs, dynamic_axes=None):
    path = os.path.join(OUT, name)
    torch.onnx.export(model.eval(), args, path, input_names=inputs, output_names=outputs, opset_version=14,
                      dynamic_axes=dynamic_axes)
    print(f"{path}: {os.path.getsize(path)} bytes")


os.makedirs(OUT, exist_ok=True)
step = torch.zeros(1, 1, 1)
export(LstmStep(), (step, torch.zeros(1, 1, 40), torch.zeros(1, 1, 40)), "w1_lstm_step.onnx", ["x", "h", "c"], ["y", "h_out", "c_out"])
export(GruStep(), (step, torch.zeros(1, 1, 40)), "w1_gru_step.onnx", ["x", "h"], ["y", "h_out"])
window = torch.zeros(1, 10, 1)
export(Forecaster(nn.RNN), (window,), "w2_rnn_forecaster.onnx", ["x"], ["y"])
export(Forecaster(nn.LSTM), (window,), "w2_lstm_forecaster.onnx", ["x"], ["y"])
streams = {0: "streams"}, {1: "streams"}  # x and y are [streams, ...]; the states [1, streams, 40]
export(LstmStep(), (torch.zeros(2, 1, 1), torch.zeros(1, 2, 40), torch.zeros(1, 2, 40)), "w5_lstm_streams.onnx",
       ["x", "h", "c"], ["y", "h_out", "c_out"],
       {"x": streams[0], "y": streams[0], "h": streams[1], "c": streams[1], "h_out": streams[1], "c_out": streams[1]})
