a = 1
b = 2
_hidden = 3
