import cyc_a
B = 2
def peek():
    return cyc_a.A
