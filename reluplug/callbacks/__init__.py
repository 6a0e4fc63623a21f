"""Callbacks that show what activations do to a network during `fit`."""

from reluplug.callbacks.dead_units import DeadUnitMonitor
from reluplug.callbacks.gradient_flow import GradientFlowMonitor

__all__ = ["DeadUnitMonitor", "GradientFlowMonitor"]
