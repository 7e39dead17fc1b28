"""The torch models (CPU or GPU), one family on one batch norm and one initialisation
(:mod:`bnconvex.models.base`, which also writes down the interface of the training loop):

- :mod:`~bnconvex.models.two_layer`: :class:`BNNet` (9) (mini-batch or full batch, BN before or after the
  ReLU, or no BN), :class:`WhitenedNet` (16), :class:`ConvexNet` (8) in App. A's penalized form and
  :class:`ConvexNoBNNet`, the convex program of the network without BN (Fig. 13);
- :mod:`~bnconvex.models.deep`: :class:`DeepBNNet` (Sec. 4) and the closed form of its last two layers;
- :mod:`~bnconvex.models.cnn`: Table 1's CNN with channel-wise BN and its convex counterpart over blocks.

The numpy reference of the two-layer network is :class:`bnconvex.network.BNNetwork`
(``BNNet.from_network`` / ``BNNet.to_network``).
"""

from bnconvex.models.base import BatchNorm, Model, SpectralMap, init_uniform
from bnconvex.models.two_layer import BNNet, ConvexNet, ConvexNoBNNet, WhitenedNet

__all__ = ["BNNet", "BatchNorm", "ConvexNet", "ConvexNoBNNet", "Model", "SpectralMap", "WhitenedNet", "init_uniform"]
