"""Training: task data preparation, the training loop, the child entry point, and the
hand-written reference loops the suite's overhead is measured against."""
