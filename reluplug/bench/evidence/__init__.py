"""The evidence report: each classic "why ReLU" claim, measured.

One module per claim (analysis, verdict rule, figure); ``reluplug-bench
evidence --out DIR`` runs them all and writes the report.
"""
