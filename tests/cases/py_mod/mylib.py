"""A plain module beside the entry files."""
_secret = 41
SCALE = 2
def f(x):
    return (x + _secret) * SCALE
def get_scale():
    return SCALE
