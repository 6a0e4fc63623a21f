"""The evidence report: each classic "why ReLU" claim, measured.

One module per claim (analysis, verdict rule next to it, figure);
``reluplug-bench evidence --out DIR`` runs them all and writes the report.
"""

from reluplug.bench.evidence import continuity
from reluplug.bench.evidence import dead_units
from reluplug.bench.evidence import derivatives
from reluplug.bench.evidence import filter_bank
from reluplug.bench.evidence import idempotence
from reluplug.bench.evidence import readout
from reluplug.bench.evidence import softmax
from reluplug.bench.evidence import speed
from reluplug.bench.evidence import step
from reluplug.bench.evidence import switch
from reluplug.bench.evidence import vanishing

CLAIMS = (
    derivatives,
    idempotence,
    vanishing,
    speed,
    dead_units,
    switch,
    softmax,
    filter_bank,
    step,
    readout,
    continuity,
)

__all__ = ["CLAIMS"]
