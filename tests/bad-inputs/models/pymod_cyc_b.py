from pymod_cyc_a import A
B = 2
