import cyc_b
A = 1
def total():
    return A + cyc_b.B
