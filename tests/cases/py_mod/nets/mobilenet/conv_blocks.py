from .. import util
from ..util import add_private as _ap
from . import helper
from .helper import HELP as _HELP
def expanded_conv(x):
    return _ap(x) * 2 + helper.h()
def where():
    return (__name__, util.module_name(), _HELP)
