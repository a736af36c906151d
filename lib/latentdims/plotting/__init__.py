"""Plotting: one style for every figure, and one module per study group.

``style`` holds the colours, palettes, the seaborn style and the axis helpers; ``output`` writes
figures and tables where the manifest expects them.  The topic modules mirror
:mod:`latentdims.studies` (``toys``, ``jet_samples``, ``jet_vae``, ``thesis_ch5_6``,
``thesis_ch7``, ``thesis_ch8``) and draw what the studies computed; they never import a study.
"""
