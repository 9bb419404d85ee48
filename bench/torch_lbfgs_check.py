#!/usr/bin/env python3
"""torch.optim.LBFGS in float64 on a small MLP, the oracle of Ravine's Lbfgs (LbfgsTorchReferenceTest).

Reads a JSON problem (features, labels, widths, activation, θ₀ in Ravine's layout with each layer's weight and
bias offsets, the LBFGS settings, the number of steps) and writes JSON: θ after every step and the loss each step
returned, in Ravine's layout. Strict JSON both ways.

    python3 bench/torch_lbfgs_check.py problem.json result.json
"""
import json
import sys

import torch


def main():
    with open(sys.argv[1]) as f:
        prob = json.load(f)
    torch.set_default_dtype(torch.float64)
    widths = prob["widths"]
    n = len(prob["labels"])
    x = torch.tensor(prob["features"]).reshape(n, widths[0])
    y = torch.tensor(prob["labels"], dtype=torch.long)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "logistic": torch.nn.Sigmoid}[prob["activation"]]
    layers = []
    for k in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[k], widths[k + 1]))
        if k < len(widths) - 2:
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    theta = torch.tensor(prob["theta"])
    with torch.no_grad():
        for k, lin in enumerate(linears):
            w0 = prob["weight_offsets"][k]
            b0 = prob["bias_offsets"][k]
            lin.weight.copy_(theta[w0:w0 + lin.weight.numel()].reshape(lin.weight.shape))
            lin.bias.copy_(theta[b0:b0 + lin.bias.numel()])
    opt = torch.optim.LBFGS(net.parameters(), lr=prob["lr"], max_iter=prob["max_iter"],
                            history_size=prob["history_size"],
                            line_search_fn=None if prob["line_search"] == "none" else "strong_wolfe")
    loss_fn = torch.nn.CrossEntropyLoss()

    def closure():
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        return loss

    thetas, losses = [], []
    for _ in range(prob["steps"]):
        losses.append(float(opt.step(closure)))
        flat = torch.zeros_like(theta)
        with torch.no_grad():
            for k, lin in enumerate(linears):
                w0 = prob["weight_offsets"][k]
                b0 = prob["bias_offsets"][k]
                flat[w0:w0 + lin.weight.numel()] = lin.weight.reshape(-1)
                flat[b0:b0 + lin.bias.numel()] = lin.bias
        thetas.append(flat.tolist())
    with open(sys.argv[2], "w") as f:
        json.dump({"thetas": thetas, "losses": losses}, f, allow_nan=False)


if __name__ == "__main__":
    main()
