import pymod_self
X = pymod_self.Y
Y = 1
