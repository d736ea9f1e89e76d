"""Reference particle pickers (classical, template matching, deep learning) in PyTorch."""
