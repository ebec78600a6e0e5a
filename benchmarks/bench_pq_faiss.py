#!/usr/bin/python3
"""PQ against FAISS on the real GloVe table, in one run.

FAISS ProductQuantizer(dim, dim/d, bits) (train, then compute_codes) and vqscope's "pq" with the same
settings: d-dim sub-vectors, 2^bits fp32 centroids per position, 25 k-means iterations without early
stop, at most 256 training vectors per centroid. Prints both results and the ratios
relMSE(vqscope) / relMSE(FAISS) (target <= 1.02) and time(vqscope) / time(FAISS) (target <= 0.5).

Run with Debian's python3 (python3-faiss, python3-numpy), after building bench_pq:
    /usr/bin/python3 benchmarks/bench_pq_faiss.py [--bench build/release/benchmarks/bench_pq] [--threads N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


faiss = np = None  # imported in main() once the thread counts are set


def rel_mse(x, y):
    x64 = x.astype(np.float64)
    return float(((x64 - y.astype(np.float64)) ** 2).sum() / (x64 ** 2).sum())


def run_faiss(x, d, bits, threads, repeat):
    faiss.omp_set_num_threads(threads)
    best_wall, best_cpu, err = float("inf"), float("inf"), None
    for _ in range(repeat):
        pq = faiss.ProductQuantizer(x.shape[1], x.shape[1] // d, bits)
        t0, c0 = time.perf_counter(), time.process_time()
        pq.train(x)
        codes = pq.compute_codes(x)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        err = rel_mse(x, pq.decode(codes))
    return {"method": "faiss ProductQuantizer", "niter": pq.cp.niter,
            "maxPointsPerCentroid": pq.cp.max_points_per_centroid, "relMse": err,
            "seconds": best_wall, "cpuSeconds": best_cpu, "threads": threads}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "glove-20k.npy"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "release", "benchmarks", "bench_pq"))
    ap.add_argument("--d", type=int, default=5)
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    # FAISS runs OpenMP threads around OpenBLAS, whose own thread pool would otherwise oversubscribe
    # the cores; give both the same thread count as vqscope. Must be set before the libraries load.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    global faiss, np
    import faiss
    import numpy as np

    x = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
    ref = run_faiss(x, args.d, args.bits, args.threads, args.repeat)
    out = subprocess.run([args.bench, "--data", args.data, "--d", str(args.d), "--bits", str(args.bits),
                          "--iterations", str(ref["niter"]), "--codebook", "f32", "--threads", str(args.threads),
                          "--repeat", str(args.repeat)], check=True, capture_output=True, text=True)
    ours = json.loads(out.stdout)

    print(json.dumps(ref))
    print(json.dumps(ours))
    print(f"table {x.shape[0]} x {x.shape[1]}, d={args.d}, {args.bits} bits, {args.threads} threads, best of {args.repeat}")
    print(f"relMSE   FAISS {ref['relMse']:.5f}  vqscope {ours['relMse']:.5f}  ratio {ours['relMse'] / ref['relMse']:.4f}"
          "  (target <= 1.02)")
    print(f"wall s   FAISS {ref['seconds']:.3f}  vqscope {ours['seconds']:.3f}  ratio {ours['seconds'] / ref['seconds']:.3f}"
          "  (target <= 0.5)")
    print(f"CPU s    FAISS {ref['cpuSeconds']:.3f}  vqscope {ours['cpuSeconds']:.3f}"
          f"  ratio {ours['cpuSeconds'] / ref['cpuSeconds']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
