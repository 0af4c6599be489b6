from .inner import inner_value
VALUE = inner_value() + 1
