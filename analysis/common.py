"""Output helpers shared by the table and figure commands: Markdown tables, CSV, PNG, paper numbers, and
the command-line wrapper that turns AnalysisError into one `analysis: error:` line and exit status 1."""
import argparse
import json
import math
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")

from cells import AnalysisError  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
PAPER_NUMBERS = HERE / "paper_numbers.json"


def parse_args(description, argv):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("results", help="a folder written by `eaglerun experiment run --out`")
    parser.add_argument("--out", help="where to write tables and figures (default: RESULTS/analysis)")
    args = parser.parse_args(argv)
    args.out = pathlib.Path(args.out) if args.out else pathlib.Path(args.results) / "analysis"
    return args


def table_command(doc, write, what):
    """The main(argv) of a table or figure command: RESULTS_DIR [--out DIR] -> write(cell table, out)."""
    import cells

    def main(argv):
        args = parse_args(doc.splitlines()[0], argv)
        df = cells.load(args.results)
        write(df, args.out)
        print(f"{what} of {len(df)} cells written to {args.out}")
    return main


def run_cli(main, argv=None):
    """Runs main(argv); an AnalysisError becomes one line on stderr and exit status 1."""
    try:
        main(sys.argv[1:] if argv is None else argv)
    except AnalysisError as e:
        print(f"analysis: error: {e}", file=sys.stderr)
        sys.exit(1)


def out_dir(path):
    path = pathlib.Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AnalysisError(f"{path}: cannot create the output folder ({e.strerror})") from None
    return path


def fmt(value, digits=2, suffix=""):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}{suffix}"


def markdown_table(header, rows, align=None):
    """A GitHub Markdown table from a header list and rows of already formatted strings."""
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_text(path, content):
    try:
        pathlib.Path(path).write_text(content)
    except OSError as e:
        raise AnalysisError(f"{path}: cannot write ({e.strerror})") from None


def write_csv(df, path):
    try:
        df.to_csv(path, index=False)
    except OSError as e:
        raise AnalysisError(f"{path}: cannot write ({e.strerror})") from None


def save_figure(fig, path):
    import matplotlib.pyplot as plt
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except OSError as e:
        raise AnalysisError(f"{path}: cannot write ({e.strerror})") from None
    finally:
        plt.close(fig)


def paper_numbers():
    try:
        return json.loads(PAPER_NUMBERS.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise AnalysisError(f"{PAPER_NUMBERS}: unreadable ({e})") from None


def variants(df):
    """The variants (tree, temperature and any extra axis) present, in the cell table's variant order."""
    return list(df.sort_values("variant_order")["variant"].drop_duplicates())
