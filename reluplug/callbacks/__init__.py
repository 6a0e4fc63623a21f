"""Callbacks that show what activations do to a network during `fit`."""

from reluplug.callbacks.dead_units import DeadUnitMonitor

__all__ = ["DeadUnitMonitor"]
