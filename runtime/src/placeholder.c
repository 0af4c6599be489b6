/* PLACEHOLDER so libslimrt has a source; delete once real sources exist. */
int slimrt_placeholder_;
