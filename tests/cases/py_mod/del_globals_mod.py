x = 1
y = 2
z = 3
del x
def drop():
    global y
    del y
drop()
