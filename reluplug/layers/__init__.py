"""ReLU-family activation layers, one per module."""

from reluplug.layers.celu import CELU
from reluplug.layers.elu import ELU
from reluplug.layers.heaviside import Heaviside
from reluplug.layers.leaky_relu import LeakyReLU
from reluplug.layers.pelu import PELU
from reluplug.layers.prelu import PReLU
from reluplug.layers.rrelu import RReLU
from reluplug.layers.selu import SELU
from reluplug.layers.srelu import SReLU
from reluplug.layers.swish import Swish

__all__ = [
    "CELU",
    "ELU",
    "Heaviside",
    "LeakyReLU",
    "PELU",
    "PReLU",
    "RReLU",
    "SELU",
    "SReLU",
    "Swish",
]
