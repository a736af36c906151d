"""latentdims: a reproducible companion to two bodies of research on how VAEs spend their latent
dimensions (Collins' EMD-VAE on W jets; Bonheme's polarised regime of VAEs).

Import the submodules you need (``latentdims.maths.sinkhorn``, ``latentdims.maths.similarity``, ...); this
package file imports nothing heavy so that ``import latentdims`` stays fast.
"""
__version__ = "0.1.0"
