"""CI check: ``pip install ".[jax,test]"`` resolves without TensorFlow.

Runs ``pip install --dry-run --ignore-installed --report`` (a full
resolution from the package indexes, as on a fresh machine; nothing is
installed) and fails if TensorFlow, or a backend other than JAX, would be
installed. Prints the resolved set.

Usage: python .ci/no_tensorflow.py [EXTRAS]   (default: jax,test)
"""

import json
import os
import subprocess
import sys
import tempfile

FORBIDDEN = ("tensorflow", "tensorflow-cpu", "tf-keras", "torch")


def main(argv):
    extras = argv[1] if len(argv) > 1 else "jax,test"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                report,
                f"{root}[{extras}]",
            ],
            check=True,
        )
        with open(report) as file:
            names = sorted(
                item["metadata"]["name"].lower()
                for item in json.load(file)["install"]
            )
    print(f'pip install ".[{extras}]" would install {len(names)} packages:')
    print(" ".join(names))
    bad = [n for n in names if n in FORBIDDEN or n.startswith("tensorflow")]
    if bad:
        print(f"FAIL: it would install {bad}", file=sys.stderr)
        return 1
    print(f"OK: no {', '.join(FORBIDDEN)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
