"""ReLU-family activation layers and structured (fast) linear layers, one
per module."""

from reluplug.layers.celu import CELU
from reluplug.layers.circulant_dense import CirculantDense
from reluplug.layers.elu import ELU
from reluplug.layers.hadamard_dense import HadamardDense
from reluplug.layers.heaviside import Heaviside
from reluplug.layers.leaky_relu import LeakyReLU
from reluplug.layers.pelu import PELU
from reluplug.layers.prelu import PReLU
from reluplug.layers.rrelu import RReLU
from reluplug.layers.selu import SELU
from reluplug.layers.srelu import SReLU
from reluplug.layers.swish import Swish
from reluplug.layers.walsh_hadamard import WalshHadamard

__all__ = [
    "CELU",
    "CirculantDense",
    "ELU",
    "HadamardDense",
    "Heaviside",
    "LeakyReLU",
    "PELU",
    "PReLU",
    "RReLU",
    "SELU",
    "SReLU",
    "Swish",
    "WalshHadamard",
]
