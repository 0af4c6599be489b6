from pymod_cyc_b import B
A = 1
