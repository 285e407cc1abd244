"""Chart and kustomize tests: render, validate, policy, docs."""
