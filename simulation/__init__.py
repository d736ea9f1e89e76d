"""Physics-based simulator of SHREC-style cryo-electron tomograms."""
