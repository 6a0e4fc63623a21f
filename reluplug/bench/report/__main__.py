"""`python -m reluplug.bench.report RUN_DIR`: rebuild a run's report."""

import sys

from reluplug.bench.report.writer import write_report


def main(argv=None):
    """Writes the report of each run folder given on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m reluplug.bench.report RUN_DIR [RUN_DIR ...]")
        return 2
    for run_dir in args:
        written = write_report(run_dir)
        print(f"{run_dir}: wrote {len(written)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
