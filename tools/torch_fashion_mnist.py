#!/usr/bin/python3
"""PyTorch twin of examples/fashion_mnist: the baseline of bench/time_to_accuracy.sh.

Same data and standardization, same network (784 -> 128 relu -> 64 relu -> 10) with the same
initializer distributions (He uniform for the ReLU layers, Xavier uniform for the logits, zero
biases: ctnn's defaults, not PyTorch's), softmax cross-entropy, Adam, batch 128, lr 1e-3,
shuffled batches with the last partial one left out, the training file's last 10,000 images
held out as the validation split, evaluated every half epoch outside the timed training, stop
at the target validation accuracy, the test set evaluated once at the end. One thread. The random streams
differ (torch's generator, not ctnn::rng), so curves match in distribution, not bit for bit.

Debian's python3-torch does its matrix products through the system BLAS, which is the
reference BLAS unless OpenBLAS is installed: its figures are real but not the best PyTorch
can do. The BLAS in use is printed.

    /usr/bin/python3 tools/torch_fashion_mnist.py [--target-accuracy 0.88] [--epochs 20] ...
"""
import argparse
import gzip
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
# examples/fashion_mnist/fashion_mnist.hpp: training-set pixel statistics on a [0, 1] scale.
PIXEL_MEAN, PIXEL_STD = np.float32(0.2860), np.float32(0.3530)


def read_idx(path, rank):
    """An IDX file of unsigned bytes (gzipped) as a numpy array; exits with a message if invalid."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        sys.exit(f"{path}: {e}")
    if len(raw) < 4 + 4 * rank or raw[:4] != bytes([0, 0, 8, rank]):
        sys.exit(f"{path}: not an IDX file of unsigned bytes in {rank} dimensions")
    shape = [int.from_bytes(raw[4 + 4 * d: 8 + 4 * d], "big") for d in range(rank)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != np.prod(shape):
        sys.exit(f"{path}: the header declares {np.prod(shape)} bytes of data, the file holds {data.size}")
    return data.reshape(shape)


def load(directory, name):
    """Standardized images (float32, N x 784) and labels (int64), as fashion_mnist::normalize computes them."""
    images = read_idx(f"{directory}/{name}-images-idx3-ubyte.gz", 3)
    labels = read_idx(f"{directory}/{name}-labels-idx1-ubyte.gz", 1)
    if len(images) != len(labels):
        sys.exit(f"wrong count: {len(images)} {name} images, {len(labels)} labels")
    scale = np.float32(1) / (np.float32(255) * PIXEL_STD)
    offset = -PIXEL_MEAN / PIXEL_STD
    x = images.reshape(len(images), -1).astype(np.float32) * scale + offset
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def blas_in_use():
    """The BLAS library torch loaded, from this process's memory map."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "blas" in os.path.basename(path).lower():
            kind = "OpenBLAS" if "openblas" in path.lower() else "reference BLAS" if "/blas/" in path else "BLAS"
            return f"{kind} ({path})"
    return "no BLAS library mapped"


def make_model(seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            if layer.out_features == 10:
                torch.nn.init.xavier_uniform_(layer.weight)
            else:
                torch.nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    return model


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def median_latency_ns(model, x):
    times = []
    with torch.no_grad():
        for i in range(len(x)):
            sample = x[i:i + 1]
            start = time.perf_counter_ns()
            model(sample)
            times.append(time.perf_counter_ns() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target-accuracy", type=float, default=0.88, help="0: run every epoch")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--validation", type=int, default=10000,
                   help="hold the training file's last N images out as the validation split")
    p.add_argument("--evals-per-epoch", type=int, default=2)
    p.add_argument("--csv", help="learning curve: epoch,step,train_loss,validation_accuracy,train_time_s")
    p.add_argument("--data", default=DEFAULT_DIR)
    p.add_argument("--quiet", action="store_true", help="only the summary")
    args = p.parse_args()

    torch.set_num_threads(1)
    x_train, y_train = load(args.data, "train")
    x_test, y_test = load(args.data, "t10k")
    if not 0 < args.validation <= len(x_train) - args.batch:
        p.error(f"--validation {args.validation} leaves fewer than a batch of the {len(x_train)} training images")
    keep = len(x_train) - args.validation
    x_validation, y_validation = x_train[keep:], y_train[keep:]
    x_train, y_train = x_train[:keep], y_train[:keep]
    model = make_model(args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    shuffler = torch.Generator().manual_seed(args.seed)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread, {blas_in_use()}; "
          f"batch {args.batch}, Adam lr {args.lr:g}, seed {args.seed}")

    csv = open(args.csv, "w") if args.csv else None
    if csv:
        csv.write("epoch,step,train_loss,validation_accuracy,train_time_s\n")
    steps_per_epoch = len(x_train) // args.batch
    training_time, step, validation_accuracy, reached = 0.0, 0, 0.0, False
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(x_train), generator=shuffler)
        loss_sum, loss_count, evaluations = 0.0, 0, 0
        for s in range(steps_per_epoch):
            start = time.perf_counter()
            rows = order[s * args.batch:(s + 1) * args.batch]
            loss = F.cross_entropy(model(x_train[rows]), y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = loss.item()
            training_time += time.perf_counter() - start
            step += 1
            loss_sum += loss_value
            loss_count += 1
            if (s + 1) * args.evals_per_epoch < (evaluations + 1) * steps_per_epoch:
                continue
            evaluations += 1
            validation_accuracy = accuracy(model, x_validation, y_validation)
            epochs_done = step / steps_per_epoch
            train_loss = loss_sum / loss_count
            if not args.quiet:
                print(f"epoch {epochs_done:5.2f}  step {step:6d}  train loss {train_loss:.4f}  "
                      f"validation accuracy {100 * validation_accuracy:6.2f} %  {step * args.batch / training_time:7.0f} samples/s  "
                      f"{training_time:6.2f} s", flush=True)
            if csv:
                csv.write(f"{epochs_done:.4f},{step},{train_loss:.6f},{validation_accuracy:.4f},{training_time:.4f}\n")
            loss_sum, loss_count = 0.0, 0
            reached = args.target_accuracy > 0 and validation_accuracy >= args.target_accuracy
            if reached:
                break
        if reached:
            break
    if csv:
        csv.close()

    test_accuracy = accuracy(model, x_test, y_test)  # the test set's only reading
    latency = median_latency_ns(model, x_test)
    if args.target_accuracy > 0:
        if reached:
            print(f"time to {100 * args.target_accuracy:.1f} % validation accuracy: {training_time:.3f} s of training "
                  f"(epoch {step / steps_per_epoch:.2f}, step {step})")
        else:
            print(f"time to {100 * args.target_accuracy:.1f} % validation accuracy: not reached in {args.epochs} epochs "
                  f"({training_time:.3f} s of training)")
    print(f"final validation accuracy: {100 * validation_accuracy:.2f} %")
    print(f"final test accuracy: {100 * test_accuracy:.2f} % (the test set's only evaluation)")
    print(f"training throughput: {step * args.batch / training_time:.0f} samples/s "
          f"({step} steps of {args.batch} in {training_time:.3f} s, one thread)")
    print(f"inference latency: {latency:.0f} ns per sample (median of {len(x_test)} single-sample calls)")
    return 1 if args.target_accuracy > 0 and not reached else 0


if __name__ == "__main__":
    sys.exit(main())
