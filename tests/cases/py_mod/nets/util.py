_private = 7
def add_private(x):
    return x + _private
def module_name():
    return __name__
