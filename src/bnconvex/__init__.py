"""bnconvex: equivalent convex models of batch-normalized ReLU networks.

Reproduction and toolkit for Ergen, Sahiner, Ozturkler, Pauly, Mardani, Pilanci,
"Demystifying Batch Normalization in ReLU Networks: Equivalent Convex Optimization Models and
Implicit Regularization", ICLR 2022.

Modules
-------
- :mod:`bnconvex.linalg`: centering, compact SVD, ``U' = [U, 1/sqrt(n) 1]``, truncation (eq. 17).
- :mod:`bnconvex.network`: the two-layer BN ReLU network (BN before ReLU), objective (9), rescaling.
- :mod:`bnconvex.closed_form`: closed-form optimal networks with optimality certificates.
- :mod:`bnconvex.data`: data sets (embedded default; downloads in later stages).
- :mod:`bnconvex.report`: papermill rendering of the report notebooks.
"""

__version__ = "0.1.0"
