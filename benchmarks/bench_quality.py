#!/usr/bin/python3
"""Quality of vqscope's methods on the real GloVe table against FAISS, in one run.

Runs FAISS ProductQuantizer(100, 20, 8) on glove-20k (one thread and the default thread count, each in
its own process so OpenMP and OpenBLAS get the thread count before they load), then vqscope's methods
through the built `vqscope-cli quantize` on the same table, back to back, and prints the results and
the ratios of the quality targets:

  (a) best vqscope method at <= 2.05 bits/param all-in: relMSE / FAISS PQ relMSE (target <= 0.75);
  (b) best vqscope method at <= 4.5 bits/param against RTN int4 group 100 (target: lower relMSE);
  (c) vqscope `pq` with FAISS's settings (d 5, 8 bits, fp32 codebooks, 25 iterations without early stop,
      256 training vectors per centroid): relMSE ratio (target <= 1.02) and fit-time ratio (<= 0.5),
      at one thread and at the default thread count.

--additive compares vqscope's `aqlm` (and `pq`) with FAISS's additive quantizers on the first 96 columns
(AQLM's groups of 8 and 12 divide them), all at two threads in one run: ResidualQuantizer with beam search
(max_beam_size 8 and 32), LocalSearchQuantizer and ProductResidualQuantizer (2 splits), each at about 1.0,
1.6, 2.0 and 3.0 bits/param all-in. FAISS's bits count its codes at their width and its codebooks at fp32
as it stores them (full-width d-dimensional codewords for RQ/LSQ, d/2 for each PRQ split); no norm is
encoded (search_type ST_decompress, the default, decodes without one), so none is counted. vqscope's bits
are its own all-in count (codes, fp16 codebooks, fp16 per-row scales when on). FAISS's CPU time is its
fit's; vqscope's is the whole `vqscope-cli` process (read, fit, metrics). On a loaded machine set
OMP_WAIT_POLICY=PASSIVE: spinning OpenMP threads otherwise stall on each other (both sides get it).
FAISS's anchors take most of the time (minutes each on a loaded machine): `--anchors FILE` takes them from
the JSON lines an earlier run printed on stderr and runs only vqscope's side.

--table also runs every method at a few budgets and prints a Markdown table (bits/param, relMSE,
neighbour recall@10, fit time, threads) for the README. Methods whose group size must divide the row
(ggml blocks of 32, group size 8) run on the first 96 columns, written to a temporary .npy.

--blocks runs only llama.cpp's block formats next to RTN on a real 256-column table (the K-quants and
iq4_xs need rows of 256-value super-blocks, GloVe rows have 100 values), joined from GloVe as ggml's
test fixture was: row i joins rows i and i + 512 and the first 56 columns of row i + 1024 (18976 rows),
and prints its Markdown table.

Run with Debian's python3 (python3-faiss, python3-numpy) after building vqscope-cli:
    /usr/bin/python3 benchmarks/bench_quality.py [BUILD_DIR] [--repeat 3] [--table]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The bundled sample: the 20000 x 100 GloVe table stored as float16 (read as float32).
DEFAULT_DATA = os.path.join(ROOT, "resources", "sample", "glove-20k.npy")

# FAISS's ProductQuantizer(100, 20, 8): 20 sub-vectors of 5 dims, 256 centroids each.
FAISS_D, FAISS_BITS = 5, 8
FAISS_SETTINGS = {"d": FAISS_D, "bits": FAISS_BITS, "codebook": "f32", "iterations": 25, "tolerance": 0.0,
                  "sampleCap": 256}

# Candidates for targets (a) and (b), on the full 100-column table.
TARGET_RUNS = [
    ("pq", {"d": 5, "bits": 10, "shared": True}),
    ("pq", {"d": 4, "bits": 8, "codebooks": 5}),
    ("pq", {"d": 4, "bits": 8, "codebooks": 6}),
    ("pq", {"d": 4, "bits": 8, "shared": True}),
    ("rtn", {"bits": 4, "group": 100}),
    ("pq", {"d": 1, "bits": 4}),
    ("pq", {"d": 2, "bits": 8, "codebooks": 10}),
    ("pq", {"d": 2, "bits": 8}),
]

# The README table: (method, params, columns); 96 where the group size must divide the row.
TABLE_RUNS = [
    ("rtn", {"bits": 2, "group": 100}, 100),
    ("rtn", {"bits": 3, "group": 100}, 100),
    ("rtn", {"bits": 4, "group": 100}, 100),
    ("rtn", {"bits": 8, "group": 100}, 100),
    ("q4_0", {}, 96),
    ("q8_0", {}, 96),
    ("pq", {"d": 10, "bits": 8}, 100),
    ("pq", {"d": 4, "bits": 8, "shared": True}, 100),
    ("pq", {"d": 4, "bits": 8, "codebooks": 5}, 100),
    ("pq", {"d": 5, "bits": 10, "shared": True}, 100),
    ("pq", {"d": 4, "bits": 8}, 100),
    ("pq", {"d": 2, "bits": 8}, 100),
    ("grvq", {"h": 10, "R": 3, "kappa": 4}, 100),
    ("grvq", {"h": 5, "R": 2, "kappa": 5, "shared": True}, 100),
    ("aqlm", {"M": 1, "B": 8, "g": 8}, 96),
    ("aqlm", {"M": 2, "B": 8, "g": 8}, 96),
    ("aqlm", {"M": 1, "B": 16, "g": 8}, 96),
    ("carvq", {}, 96),
    ("carvq", {"R": 2}, 96),
    ("crvq", {}, 96),
    ("crvq", {"lambda": 0.25, "E": 1}, 96),
]

# The --blocks table on the joined 256-column table, in bits order.
BLOCK_RUNS = [
    ("rtn", {"bits": 2, "group": 256}),
    ("q2_K", {}),
    ("rtn", {"bits": 3, "group": 256}),
    ("q3_K", {}),
    ("rtn", {"bits": 4, "group": 256}),
    ("iq4_xs", {}),
    ("q4_0", {}),
    ("q4_K", {}),
    ("iq4_nl", {}),
    ("q4_1", {}),
    ("q5_0", {}),
    ("q5_K", {}),
    ("q5_1", {}),
    ("q6_K", {}),
    ("rtn", {"bits": 8, "group": 256}),
    ("q8_0", {}),
]


def joined_glove(data):
    """GloVe joined to 256 columns as ggml's fixture was: rows i, i + 512 and the first 56 of i + 1024."""
    import numpy as np
    x = np.load(data).astype(np.float32)
    n = x.shape[0] - 1024
    return np.ascontiguousarray(np.concatenate([x[:n], x[512:512 + n], x[1024:1024 + n, :56]], axis=1))


def run_blocks(cli, data, threads, timeout):
    import numpy as np
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {threads} cores, load {os.getloadavg()[0]:.1f}, table joined from {data}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        joined = os.path.join(tmp, "glove-joined-256.npy")
        table = joined_glove(data)
        np.save(joined, table)
        for m, p in BLOCK_RUNS:
            r = run_cli(cli, joined, m, p, threads, timeout=timeout)
            rows.append((table.shape[1], r, f"{label({'method': m, 'params': p})}: not finished in {timeout:.0f} s"))
            print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"\n{table.shape[0]} x {table.shape[1]}, load {os.getloadavg()[0]:.1f} at the end")
    print("\n| method | columns | bits/param | relMSE | recall@10 | fit time (s) | threads |")
    print("|---|---|---|---|---|---|---|")
    for cols, r, note in rows:
        if r is None:
            print(f"| {note} | {cols} | | | | | |")
            continue
        rec = f"{r['recall10']:.3f}" if r["recall10"] is not None else ""
        print(f"| {label(r)} | {cols} | {r['bitsPerParam']:.4g} | {r['relMse']:.4g} | {rec} | {r['seconds']:.1f} | "
              f"{r['threads']} |")


# --additive: FAISS anchors (kind, budget) and vqscope runs on the same 96 columns.
# (budget, cap): the anchor takes the most codebooks whose all-in bits stay within the cap; 1.6 and 2.0 are
# capped at aqlm's targets (1.65, 2.05) so that FAISS gets at least aqlm's bits.
ADDITIVE_BUDGETS = ((1.0, 1.03), (1.6, 1.65), (2.0, 2.05), (3.0, 3.09))
ADDITIVE_KINDS = (("rq", 8), ("rq", 32), ("lsq", 0), ("prq", 8))  # (quantizer, max_beam_size for RQ/PRQ)
ADDITIVE_NBITS = 6  # 64 codewords: at 20000 rows fp32 full-width codebooks of 2^8 cost 0.82 bits/param each
ADDITIVE_VQSCOPE = [
    ("pq", {"d": 4, "bits": 8, "codebooks": 6}),
    ("pq", {"d": 4, "bits": 8, "codebooks": 4}),
    ("pq", {"d": 4, "bits": 8, "codebooks": 3}),
    ("pq", {"d": 4, "bits": 8, "shared": True}),
    ("pq", {"d": 6, "bits": 9, "shared": True}),
    ("pq", {"d": 4, "bits": 6, "codebooks": 6}),
    ("aqlm", {"M": 2, "B": 8, "g": 8, "scales": False, "beam": 1}),
    ("aqlm", {"M": 2, "B": 8, "g": 8, "scales": False, "beam": 4}),
    ("aqlm", {"M": 2, "B": 8, "g": 8, "scales": False, "beam": 8}),
    ("aqlm", {"M": 2, "B": 8, "g": 8, "scales": False, "beam": 16}),
    ("aqlm", {"M": 2, "B": 9, "g": 12, "scales": False, "beam": 8}),
    ("aqlm", {"M": 3, "B": 8, "g": 16, "scales": False, "beam": 8}),
    ("aqlm", {"M": 2, "B": 8, "g": 12, "beam": 8}),
    # 4x6 g12: the same 2 bits of codes as 2x8 g8 with cheaper codebooks (2.026 bits/param all-in)
    ("aqlm", {"M": 4, "B": 6, "g": 12, "scales": False, "beam": 16}),
    ("aqlm", {"M": 4, "B": 6, "g": 12, "scales": False, "beam": 32}),
    ("aqlm", {"M": 4, "B": 6, "g": 12, "scales": False, "beam": 64}),
    # k-means initialisation on every group (160000) instead of 256 per codeword
    ("aqlm", {"M": 4, "B": 6, "g": 12, "scales": False, "beam": 32, "sampleCap": 4096}),
]


def additive_bits(kind, m, nbits, rows, dim):
    """All-in bits/param of a FAISS additive quantizer: codes plus fp32 codebooks (PRQ: 2 splits of m)."""
    splits = 2 if kind == "prq" else 1
    codes = rows * splits * m * nbits
    books = splits * m * (1 << nbits) * (dim // splits) * 32
    return (codes + books) / (rows * dim)


def additive_configs(rows, dim, budgets):
    """(kind, beam, budget, M) with M the most codebooks (per split for PRQ) within the budget's cap."""
    out = []
    for budget, cap in (b for b in ADDITIVE_BUDGETS if b[0] in budgets):
        for kind, beam in ADDITIVE_KINDS:
            m = max(m for m in range(1, 200) if additive_bits(kind, m, ADDITIVE_NBITS, rows, dim) <= cap)
            out.append((kind, beam, budget, m))
    return out


def additive_worker(data, threads, budgets):
    """FAISS additive quantizers, one JSON line each; runs in a child whose thread counts were set first."""
    import faiss
    import numpy as np
    faiss.omp_set_num_threads(threads)
    x = np.ascontiguousarray(np.load(data), dtype=np.float32)
    x64 = x.astype(np.float64)
    n, d = x.shape
    for kind, beam, budget, m in additive_configs(n, d, budgets):
        if kind == "rq":
            q = faiss.ResidualQuantizer(d, m, ADDITIVE_NBITS)
            q.max_beam_size = beam
            name = f"FAISS `ResidualQuantizer` {m}x{ADDITIVE_NBITS}, beam {beam}"
        elif kind == "lsq":
            q = faiss.LocalSearchQuantizer(d, m, ADDITIVE_NBITS)
            name = f"FAISS `LocalSearchQuantizer` {m}x{ADDITIVE_NBITS}"
        else:
            q = faiss.ProductResidualQuantizer(d, 2, m, ADDITIVE_NBITS)
            for i in range(2):
                faiss.downcast_Quantizer(q.subquantizer(i)).max_beam_size = beam
            name = f"FAISS `ProductResidualQuantizer` 2 x {m}x{ADDITIVE_NBITS}, beam {beam}"
        t0 = time.perf_counter()
        c0 = time.process_time()
        q.train(x)
        codes = q.compute_codes(x)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        err = float(((x64 - q.decode(codes).astype(np.float64)) ** 2).sum() / (x64 ** 2).sum())
        print(json.dumps({"name": name, "kind": kind, "budget": budget, "relMse": err, "seconds": seconds,
                          "cpuSeconds": cpu, "threads": threads,
                          "bitsPerParam": additive_bits(kind, m, ADDITIVE_NBITS, n, d)}), flush=True)


def run_additive(cli, data, threads, timeout, anchors_file=None):
    import numpy as np
    start = time.strftime("%Y-%m-%d %H:%M")
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        narrow = os.path.join(tmp, "glove-20k-96.npy")
        np.save(narrow, np.ascontiguousarray(np.load(data)[:, :96], dtype=np.float32))
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
        anchors, ours = [], []

        def faiss_phase(budgets):
            if anchors_file:
                return
            proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--additive-worker", str(threads),
                                     "--budgets", budgets, "--data", narrow], stdout=subprocess.PIPE, text=True,
                                    env=env)
            for line in proc.stdout:
                anchors.append(json.loads(line))
                print(line.strip(), file=sys.stderr, flush=True)
            if proc.wait() != 0:
                raise RuntimeError("the FAISS worker failed")

        # The targets' budgets first, then vqscope, then the outer budgets: a run cut short still compares.
        faiss_phase("2.0,1.6")
        for m, p in ADDITIVE_VQSCOPE:
            r = run_cli(cli, narrow, m, p, threads, timeout=timeout)
            print(json.dumps(r), file=sys.stderr, flush=True)
            if r is not None:
                ours.append(r)
        faiss_phase("1.0,3.0")
    if anchors_file:  # FAISS's JSON lines from another run (its stderr), read once vqscope's runs are done
        with open(anchors_file) as f:
            anchors = [json.loads(line) for line in f if line.startswith('{"name": "FAISS')]
    load1 = os.getloadavg()
    print(f"{start}, {data} (first 96 columns, float16 stored, read as float32), {threads} threads everywhere, "
          f"1/5/15-minute load {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f} at the start, "
          f"{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f} at the end")
    print("\n| method | columns | bits/param | relMSE | recall@10 | fit time (s) | CPU (s) | threads |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [(a["bitsPerParam"], 0, a["name"], a["relMse"], "", a["seconds"], a["cpuSeconds"], a["threads"])
            for a in anchors]
    rows += [(r["bitsPerParam"], 1, label(r), r["relMse"], f"{r['recall10']:.3f}" if r["recall10"] is not None else "",
              r["seconds"], r["processCpuSeconds"], r["threads"]) for r in ours]
    for bits, _, name, rel, rec, seconds, cpu, threads in sorted(rows, key=lambda row: row[:3]):  # by bits
        print(f"| {name} | 96 | {bits:.3f} | {rel:.4g} | {rec} | {seconds:.1f} | {cpu:.1f} | {threads} |")
    # The aqlm targets: against the best pq at the same or fewer bits and the best FAISS anchor at about the
    # same bits (the anchor budget nearest below the limit).
    for limit, budget in ((2.05, 2.0), (1.65, 1.6)):
        aq = [r for r in ours if r["method"] == "aqlm" and r["bitsPerParam"] <= limit]
        if not aq:
            print(f"\n<= {limit} bits: no aqlm run")
            continue
        best = min(aq, key=lambda r: r["relMse"])
        pqs = [r for r in ours if r["method"] == "pq" and r["bitsPerParam"] <= best["bitsPerParam"]]
        fa = [a for a in anchors if a["budget"] == budget]
        bpq = min(pqs, key=lambda r: r["relMse"]) if pqs else None
        if not fa:
            print(f"\n<= {limit} bits: no FAISS anchor at {budget} bits")
            continue
        bfa = min(fa, key=lambda a: a["relMse"])
        print(f"\n<= {limit} bits: best aqlm {label(best)} at {best['bitsPerParam']:.3f} bits, relMSE "
              f"{best['relMse']:.5f}, {best['seconds']:.1f} s")
        if bpq:
            print(f"  / best pq ({label(bpq)}, {bpq['bitsPerParam']:.3f} bits) {bpq['relMse']:.5f} = "
                  f"{best['relMse'] / bpq['relMse']:.3f} (target <= 0.90)")
        print(f"  / best FAISS ({bfa['name']}, {bfa['bitsPerParam']:.3f} bits) {bfa['relMse']:.5f} = "
              f"{best['relMse'] / bfa['relMse']:.3f} (target <= 0.95); time {best['seconds']:.1f} s / "
              f"{bfa['seconds']:.1f} s = {best['seconds'] / bfa['seconds']:.2f} (target <= 0.5), CPU "
              f"{best['processCpuSeconds']:.1f} s / {bfa['cpuSeconds']:.1f} s = "
              f"{best['processCpuSeconds'] / bfa['cpuSeconds']:.2f}")


def faiss_worker(data, threads, repeat):
    """Runs in a child process whose OMP/OpenBLAS thread counts were set before import."""
    import faiss
    import numpy as np
    faiss.omp_set_num_threads(threads)
    x = np.ascontiguousarray(np.load(data), dtype=np.float32)
    x64 = x.astype(np.float64)
    best, err = float("inf"), None
    for _ in range(repeat):
        pq = faiss.ProductQuantizer(x.shape[1], x.shape[1] // FAISS_D, FAISS_BITS)
        t0 = time.perf_counter()
        pq.train(x)
        codes = pq.compute_codes(x)
        best = min(best, time.perf_counter() - t0)
        err = float(((x64 - pq.decode(codes).astype(np.float64)) ** 2).sum() / (x64 ** 2).sum())
    bits = (x.shape[0] * pq.M * FAISS_BITS + pq.M * pq.ksub * pq.dsub * 32) / (x.shape[0] * x.shape[1])
    print(json.dumps({"relMse": err, "seconds": best, "threads": threads, "bitsPerParam": bits,
                      "faiss": faiss.__version__, "niter": pq.cp.niter,
                      "maxPointsPerCentroid": pq.cp.max_points_per_centroid}))


def run_faiss(data, threads, repeat):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--faiss-worker", str(threads), "--data", data,
                          "--repeat", str(repeat)], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def run_cli(cli, data, method, params, threads, recall=1000, repeat=1, timeout=None):
    """Best fit time of `repeat` runs of `vqscope-cli quantize`; None when it exceeded the timeout."""
    cmd = [cli, "quantize", data, "--method", method, "--recall-queries", str(recall)]
    if threads:
        cmd += ["--threads", str(threads)]
    for k, v in params.items():
        cmd += ["--param", f"{k}={json.dumps(v) if isinstance(v, bool) else v}"]
    best = None
    for _ in range(repeat):
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = json.loads(out.stdout)
        rec = r["metrics"].get("neighbourRecall", {})
        row = {"method": method, "params": params, "bitsPerParam": r["bitsPerParam"],
               "relMse": r["metrics"]["reconstruction"]["relMse"], "recall10": rec.get("mean"),
               "seconds": r["timings"]["fitSeconds"], "threads": threads or os.cpu_count(),
               # the whole CLI process (read, fit, metrics): an upper bound on the fit's CPU time
               "processCpuSeconds": c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime,
               "warnings": [w for w in r.get("warnings", []) if "logit fidelity" not in w]}
        if best is None or row["seconds"] < best["seconds"]:
            best = row
    return best


def label(run):
    p = ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else v}" for k, v in run["params"].items())
    return f"`{run['method']}` {p}".rstrip()


def print_targets(faiss1, faissN, runs, rtn4, ours1, oursN):
    ref = faiss1["relMse"]
    print(f"\nFAISS {faiss1['faiss']} ProductQuantizer(100, 20, 8): relMSE {ref:.5f} at "
          f"{faiss1['bitsPerParam']:.3f} bits/param (fp32 codebooks counted)")
    print(f"\n{'method':48s} {'bits':>7s} {'relMSE':>8s} {'/FAISS':>7s} {'fit s':>7s}")
    for r in runs:
        print(f"{label(r):48s} {r['bitsPerParam']:7.3f} {r['relMse']:8.5f} {r['relMse'] / ref:7.3f} {r['seconds']:7.2f}")
    best2 = min((r for r in runs if r["bitsPerParam"] <= 2.05), key=lambda r: r["relMse"])
    best45 = min((r for r in runs if r["bitsPerParam"] <= 4.5), key=lambda r: r["relMse"])
    ok_a = best2["relMse"] / ref <= 0.75
    print(f"\n(a) best at <= 2.05 bits: {label(best2)} at {best2['bitsPerParam']:.3f} bits, relMSE "
          f"{best2['relMse']:.5f} / FAISS {ref:.5f} = {best2['relMse'] / ref:.3f} (target <= 0.75: "
          f"{'met' if ok_a else 'MISSED'})")
    print(f"(b) best at <= 4.5 bits: {label(best45)} at {best45['bitsPerParam']:.3f} bits, relMSE "
          f"{best45['relMse']:.5f}; RTN int4 group 100 at {rtn4['bitsPerParam']:.3f} bits: {rtn4['relMse']:.5f}; "
          f"ratio {best45['relMse'] / rtn4['relMse']:.3f} (target < 1: "
          f"{'met' if best45['relMse'] < rtn4['relMse'] else 'MISSED'})")
    for f, o in ((faiss1, ours1), (faissN, oursN)):
        print(f"(c) pq with FAISS's settings, {f['threads']} thread(s): relMSE {o['relMse']:.5f} / {f['relMse']:.5f} = "
              f"{o['relMse'] / f['relMse']:.4f} (target <= 1.02); fit time {o['seconds']:.3f} s / {f['seconds']:.3f} s = "
              f"{o['seconds'] / f['seconds']:.3f} (target <= 0.5)")


def print_table(rows, faiss1):
    print("\n| method | columns | bits/param | relMSE | recall@10 | fit time (s) | threads |")
    print("|---|---|---|---|---|---|---|")
    print(f"| FAISS `ProductQuantizer(100, 20, 8)` (reference) | 100 | {faiss1['bitsPerParam']:.3f} | "
          f"{faiss1['relMse']:.4g} | | {faiss1['seconds']:.1f} | {faiss1['threads']} |")
    for cols, r, note in rows:
        if r is None:
            print(f"| {note} | {cols} | | | | | |")
            continue
        rec = f"{r['recall10']:.3f}" if r["recall10"] is not None else ""
        warn = " (warns: codebooks over-fit)" if any("over-fit" in w for w in r["warnings"]) else ""
        print(f"| {label(r)}{warn} | {cols} | {r['bitsPerParam']:.3f} | {r['relMse']:.4g} | {rec} | "
              f"{r['seconds']:.1f} | {r['threads']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build", "release"),
                    help="build directory holding app/vqscope-cli (default build/release)")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the timed FAISS comparison (best time)")
    ap.add_argument("--table", action="store_true", help="also run every method and print a Markdown table")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per table run before it is skipped")
    ap.add_argument("--blocks", action="store_true",
                    help="only the llama.cpp block formats and RTN on GloVe joined to 256 columns")
    ap.add_argument("--additive", action="store_true",
                    help="only aqlm and pq against FAISS's additive quantizers on the first 96 columns")
    ap.add_argument("--threads", type=int, default=2, help="threads of every --additive run (default 2)")
    ap.add_argument("--anchors", help="--additive: take the FAISS rows from this file (the JSON lines an earlier "
                    "--additive run printed on stderr) instead of running FAISS again")
    ap.add_argument("--faiss-worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--additive-worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--budgets", default="1.0,1.6,2.0,3.0", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.faiss_worker:
        faiss_worker(args.data, args.faiss_worker, args.repeat)
        return 0
    if args.additive_worker:
        additive_worker(args.data, args.additive_worker, [float(b) for b in args.budgets.split(",")])
        return 0

    sys.stdout.reconfigure(line_buffering=True)  # results show up as they come, also when piped
    cli = os.path.join(args.build, "app", "vqscope-cli")
    threads = os.cpu_count()
    if args.blocks:
        run_blocks(cli, args.data, threads, args.timeout)
        return 0
    if args.additive:
        run_additive(cli, args.data, args.threads, args.timeout, args.anchors)
        return 0
    start = time.strftime("%Y-%m-%d %H:%M")
    # (c) first, FAISS and vqscope back to back at each thread count, so both see the same machine load.
    faiss1 = run_faiss(args.data, 1, args.repeat)
    ours1 = run_cli(cli, args.data, "pq", FAISS_SETTINGS, 1, recall=0, repeat=args.repeat)
    faissN = run_faiss(args.data, threads, args.repeat)
    oursN = run_cli(cli, args.data, "pq", FAISS_SETTINGS, threads, recall=0, repeat=args.repeat)

    runs = [run_cli(cli, args.data, m, p, threads, recall=0) for m, p in TARGET_RUNS]
    rtn4 = next(r for r in runs if r["method"] == "rtn")
    print(f"{start}, {threads} cores, table {args.data}")
    print_targets(faiss1, faissN, runs, rtn4, ours1, oursN)

    if args.table:
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            narrow = os.path.join(tmp, "glove-20k-96.npy")
            import numpy as np
            np.save(narrow, np.ascontiguousarray(np.load(args.data)[:, :96]))
            for m, p, cols in TABLE_RUNS:
                r = run_cli(cli, args.data if cols == 100 else narrow, m, p, threads, timeout=args.timeout)
                note = f"{label({'method': m, 'params': p})}: not finished in {args.timeout:.0f} s"
                rows.append((cols, r, note))
                print(json.dumps(r), file=sys.stderr, flush=True)
        print_table(rows, faiss1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
