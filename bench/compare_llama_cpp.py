"""eaglerun vs llama.cpp on the same GGUF file and thread counts, measured in one run.

For each thread count: prefill tokens/s (one batch of --prompt-tokens tokens) and decode tokens/s
(--decode-tokens greedy tokens, one at a time), best of --repeats, for both engines; prints the
ratios. llama.cpp runs through llama-cpp-python's low-level API, built from source by
bench/llama_cpp_venv.sh into .venv-llamacpp/.

    bench/llama_cpp_venv.sh
    .venv-llamacpp/bin/python bench/compare_llama_cpp.py [--threads 1 2] [--json]
"""
import argparse
import ctypes
import json
import pathlib
import subprocess
import sys
import time

import llama_cpp

ROOT = pathlib.Path(__file__).resolve().parents[1]


def llama_cpp_bench(model, threads, prompt, decode_tokens, repeats):
    params = llama_cpp.llama_model_default_params()
    lm = llama_cpp.llama_model_load_from_file(str(model).encode(), params)
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_ctx = len(prompt) + decode_tokens + 8
    cparams.n_batch = max(512, len(prompt))
    cparams.n_ubatch = cparams.n_batch
    cparams.n_threads = threads
    cparams.n_threads_batch = threads
    ctx = llama_cpp.llama_init_from_model(lm, cparams)
    vocab = llama_cpp.llama_model_get_vocab(lm)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
    batch = llama_cpp.llama_batch_init(len(prompt), 0, 1)

    def decode(tokens, start):
        batch.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            batch.token[i] = t
            batch.pos[i] = start + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i == len(tokens) - 1
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")

    best_prefill, best_decode = 0.0, 0.0
    mem = llama_cpp.llama_get_memory(ctx)
    for _ in range(repeats):
        llama_cpp.llama_memory_clear(mem, True)
        t0 = time.perf_counter()
        decode(prompt, 0)
        best_prefill = max(best_prefill, len(prompt) / (time.perf_counter() - t0))
        token, pos = prompt[-1], len(prompt)
        elapsed = 0.0
        for _ in range(decode_tokens):
            t0 = time.perf_counter()
            llama_cpp.llama_decode(ctx, single(batch, token, pos))
            elapsed += time.perf_counter() - t0
            row = llama_cpp.llama_get_logits_ith(ctx, -1)
            token = argmax(row, n_vocab)
            pos += 1
        best_decode = max(best_decode, decode_tokens / elapsed)
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(ctx)
    llama_cpp.llama_model_free(lm)
    return best_prefill, best_decode


def single(batch, token, pos):
    batch.n_tokens = 1
    batch.token[0] = token
    batch.pos[0] = pos
    batch.n_seq_id[0] = 1
    batch.seq_id[0][0] = 0
    batch.logits[0] = True
    return batch


def argmax(row, n):
    # ctypes float* -> Python floats; timed outside the decode call.
    values = (ctypes.c_float * n).from_address(ctypes.addressof(row.contents))
    best, best_v = 0, values[0]
    for v in range(1, n):
        if values[v] > best_v:
            best, best_v = v, values[v]
    return best


def eaglerun_bench(binary, model, threads, prompt_tokens, decode_tokens, repeats):
    out = subprocess.run([str(binary), "bench", "--model", str(model), "--threads", str(threads), "--prompt-tokens",
                          str(prompt_tokens), "--decode-tokens", str(decode_tokens), "--repeats", str(repeats),
                          "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def bench_prompt(binary, model, n):
    # The same token ids eaglerun's bench prefills: ask it through `generate --json --no-chat`.
    text = ("The history of computing is a story of trade-offs between memory and arithmetic. Early machines "
            "stored programs on punched cards; later ones kept them in magnetic cores, and today billions of "
            "transistors hold both data and instructions. Each generation asked the same question: how quickly "
            "can the processor be fed? ")
    out = subprocess.run([str(binary), "generate", "--model", str(model), "--prompt", text, "--no-chat",
                          "--max-new-tokens", "1", "--json"], check=True, capture_output=True, text=True).stdout
    chunk = json.loads(out)["prompt_tokens"]
    ids = []
    while len(ids) < n:
        ids += chunk
    return ids[:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--binary", default=ROOT / "build/release/apps/eaglerun")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    llama_cpp.llama_backend_init()
    prompt = bench_prompt(args.binary, args.model, args.prompt_tokens)
    rows = []
    for threads in args.threads:
        ours = eaglerun_bench(args.binary, args.model, threads, args.prompt_tokens, args.decode_tokens, args.repeats)
        peer_prefill, peer_decode = llama_cpp_bench(args.model, threads, prompt, args.decode_tokens, args.repeats)
        rows.append({"threads": threads,
                     "eaglerun_prefill_tokens_per_second": ours["prefill_tokens_per_second"],
                     "llama_cpp_prefill_tokens_per_second": peer_prefill,
                     "prefill_ratio": ours["prefill_tokens_per_second"] / peer_prefill,
                     "eaglerun_decode_tokens_per_second": ours["decode_tokens_per_second"],
                     "llama_cpp_decode_tokens_per_second": peer_decode,
                     "decode_ratio": ours["decode_tokens_per_second"] / peer_decode,
                     "eaglerun_bandwidth_share": ours["bandwidth_share"],
                     "measured_bandwidth_gbps": ours["measured_bandwidth_gbps"]})
    if args.json:
        print(json.dumps({"model": str(args.model), "llama_cpp_python": llama_cpp.__version__, "rows": rows}))
        return
    print(f"model {args.model} (llama-cpp-python {llama_cpp.__version__})")
    print(f"{'threads':>7} {'prefill ours':>13} {'llama.cpp':>10} {'ratio':>6} {'decode ours':>12} {'llama.cpp':>10} "
          f"{'ratio':>6} {'bw share':>9}")
    for r in rows:
        print(f"{r['threads']:>7} {r['eaglerun_prefill_tokens_per_second']:>13.1f} "
              f"{r['llama_cpp_prefill_tokens_per_second']:>10.1f} {r['prefill_ratio']:>6.2f} "
              f"{r['eaglerun_decode_tokens_per_second']:>12.1f} {r['llama_cpp_decode_tokens_per_second']:>10.1f} "
              f"{r['decode_ratio']:>6.2f} {100 * r['eaglerun_bandwidth_share']:>8.0f}%")


if __name__ == "__main__":
    sys.exit(main())
