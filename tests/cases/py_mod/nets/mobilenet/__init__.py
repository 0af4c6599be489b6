PKG_VALUE = "mobilenet package"
