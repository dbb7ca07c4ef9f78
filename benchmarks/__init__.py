"""chainrule's benchmarks against karpathy's micrograd; run them with `python -m benchmarks`.

Each workload is one module with a `run(quick: bool) -> Section` function, listed once in
`benchmarks.__main__.WORKLOADS`. See `benchmarks/__main__.py` for what is measured and why.
"""
