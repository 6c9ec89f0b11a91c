"""`flux jobs`: list jobs of the instance as flux-core's flux-jobs prints them."""
